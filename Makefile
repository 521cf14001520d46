# thermolearn: the two set-up commands are `make demo` and `make test`.
# Both create .venv, install thermolearn (editable, with test extras) and ngspice, then run.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT ?= runs/demo
# One BLAS thread: the suites and benchmarks are measured single-threaded (predictable on 2 cores).
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: demo test test-all ngspice venv bench docs lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=python3 ...'"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,docs,dev]"
	touch $(STAMP)

# ngspice: tools/ngspice_setup.py looks for libngspice where PySpice and thermolearn open it
# (NGSPICE_LIBRARY_PATH, libngspice.so / libngspice.so.0 in the multiarch directories, ldconfig)
# and for the ngspice program on PATH; it installs only what is missing (root + apt-get only)
# and prints what it found and did; without root it prints the exact apt-get command.
ngspice:
	@$(PYTHON) tools/ngspice_setup.py

# --resume: a killed demo continues where it stopped; a finished one re-reports (same settings).
demo: venv ngspice
	$(VENV)/bin/thermolearn demo --out $(OUT) --resume

# The test suite, then the docs build as its own step (with its own progress lines), then the
# checks of the built site (offline math and highlighting, every example on the page).
DOCS_SITE ?= $(CURDIR)/build/test-site
test: venv ngspice
	@echo "== architecture: lint-imports (layers contract in pyproject.toml, docs/architecture.md)"
	$(VENV)/bin/lint-imports
	@echo "== tests: pytest (default suite; slow physics runs are in make test-all)"
	$(PY) -m pytest -q -p no:cacheprovider -n auto
	@echo "== docs: mkdocs build --strict into $(DOCS_SITE) (runs every example)"
	$(VENV)/bin/mkdocs build --strict -d $(DOCS_SITE)
	@echo "== docs: checks of the built site"
	THERMOLEARN_SITE_DIR=$(DOCS_SITE) $(PY) -m pytest -q -p no:cacheprovider -m docs tests/test_docs.py

test-all: venv ngspice
	$(PY) -m pytest -q -m "slow or not slow or docs" -n auto

bench: venv ngspice
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

docs: venv
	$(VENV)/bin/mkdocs build --strict

lint: venv
	$(VENV)/bin/ruff check src tests

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache

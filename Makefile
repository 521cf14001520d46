# thermolearn: the two set-up commands are `make demo` and `make test`.
# Both create .venv, install thermolearn (editable, with test extras) and ngspice, then run.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NGSPICE_PKGS := ngspice libngspice0 libngspice0-dev
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
	$(PY) -m pip install --quiet -e ".[test,docs]"
	touch $(STAMP)

# ngspice from Debian: the -dev package provides the unversioned libngspice.so that PySpice opens.
ngspice:
	@if ls /usr/lib/*/libngspice.so /usr/lib/libngspice.so >/dev/null 2>&1 && command -v ngspice >/dev/null 2>&1; then \
	  echo "ngspice: found $$(ngspice --version 2>/dev/null | grep -m1 -o 'ngspice-[0-9.]*' || echo ngspice)"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "ngspice: installing $(NGSPICE_PKGS) from Debian"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(NGSPICE_PKGS) >/dev/null; \
	else \
	  echo "ngspice is missing and this user cannot install it. Run:"; \
	  echo "    sudo apt-get install -y $(NGSPICE_PKGS)"; \
	  echo "then run make again."; exit 1; \
	fi

# --resume: a killed demo continues where it stopped; a finished one re-reports (same settings).
demo: venv ngspice
	$(VENV)/bin/thermolearn demo --out $(OUT) --resume

test: venv ngspice
	$(PY) -m pytest -q -p no:cacheprovider

test-all: venv ngspice
	$(PY) -m pytest -q -m "slow or not slow"

bench: venv ngspice
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

docs: venv
	$(VENV)/bin/mkdocs build --strict

lint: venv
	$(VENV)/bin/ruff check src tests

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache

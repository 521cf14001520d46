"""The documentation cannot rot: every equation on the physics page links to code and a test.

The physics foundations page (docs/physics.md) cites implementations as ``[[code:dotted.name]]``
and tests as ``[[test:tests/file.py::test_name]]``; the MkDocs hook turns them into links.
These tests check, without building the site, that each equation block is followed by at least
one of each, that every cited object imports and every cited test exists; one test renders the
physics page with the site's Markdown configuration and checks that its equations became MathML
(no network, no script). The ``docs``-marked test checks the built site (``mkdocs build
--strict``, which also runs every example): ``make test`` builds it as its own step and passes
the directory in ``THERMOLEARN_SITE_DIR``; run alone, the test builds it.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PHYSICS = ROOT / "docs" / "physics.md"
REF = re.compile(r"\[\[(code|test):\s*([A-Za-z][^\]\s]*)\s*\]\]")
DISPLAY = re.compile(r'<math [^>]*display="block"')


def _refs(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in REF.finditer(text)]


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for attr in parts[k:]:
            obj = getattr(obj, attr)  # AttributeError fails the test with the name
        return obj
    raise ImportError(dotted)


def _test_exists(ref: str) -> bool:
    path, _, qual = ref.partition("::")
    file = ROOT / path
    if not file.is_file() or not qual:
        return False
    body = ast.parse(file.read_text(encoding="utf-8")).body
    for name in qual.split("::"):
        node = next((n for n in body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef
                                                    | ast.ClassDef) and n.name == name), None)
        if node is None:
            return False
        body = node.body
    return True


def test_every_equation_cites_code_and_a_test():
    text = PHYSICS.read_text(encoding="utf-8")
    blocks = text.split("$$")
    assert len(blocks) % 2 == 1, "unbalanced $$ in physics.md"
    n_eq = (len(blocks) - 1) // 2
    assert n_eq >= 20
    for k in range(n_eq):
        equation = blocks[2 * k + 1]
        after = blocks[2 * k + 2]
        # the citations of an equation come before the next heading or equation
        following = re.split(r"\n#{1,3} ", after)[0]
        kinds = {kind for kind, _ in _refs(following)}
        assert kinds == {"code", "test"}, f"equation {k + 1} lacks a citation: {equation[:80]!r}"


def test_every_cited_function_imports():
    refs = [t for kind, t in _refs(PHYSICS.read_text(encoding="utf-8")) if kind == "code"]
    assert len(refs) >= 40
    for dotted in refs:
        obj = _resolve(dotted)
        assert callable(obj) or isinstance(obj, type), dotted


def test_every_cited_test_exists():
    refs = [t for kind, t in _refs(PHYSICS.read_text(encoding="utf-8")) if kind == "test"]
    assert len(refs) >= 40
    missing = [r for r in refs if not _test_exists(r)]
    assert not missing, f"physics.md cites tests that do not exist: {missing}"


def test_references_on_every_page_resolve():
    # the other pages may use the same notation; the build would fail on a broken one
    for md in sorted((ROOT / "docs").rglob("*.md")):
        for kind, target in _refs(md.read_text(encoding="utf-8")):
            if kind == "code":
                _resolve(target)
            else:
                assert _test_exists(target), f"{md.name} cites a missing test {target}"


def test_checker_detects_a_missing_test():
    # the existence check itself can fail: a real file with a made-up test, and a made-up file
    assert _test_exists("tests/core/test_physics.py::test_rc_step_and_ramp_loss")
    assert not _test_exists("tests/core/test_physics.py::test_that_does_not_exist")
    assert not _test_exists("tests/core/no_such_file.py::test_x")


def _load_hooks():
    spec = importlib.util.spec_from_file_location("tl_docs_hooks", ROOT / "docs" / "hooks.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def test_hook_expands_references_and_rejects_broken_ones():
    pytest.importorskip("mkdocs")
    from mkdocs.exceptions import PluginError

    hooks = _load_hooks()
    out = hooks.expand_refs("[[code:thermolearn.physics.rc_ramp_loss]] and "
                            "[[test:tests/core/test_physics.py::test_rc_step_and_ramp_loss]]", 0)
    assert "[`thermolearn.physics.rc_ramp_loss`][thermolearn.physics.rc_ramp_loss]" in out
    assert "tests-index.md#t-tests-core-test-physics-py-test-rc-step-and-ramp-loss" in out
    with pytest.raises(PluginError, match="code reference"):
        hooks.expand_refs("[[code:thermolearn.physics.no_such_function]]", 0)
    with pytest.raises(PluginError, match="test reference"):
        hooks.expand_refs("[[test:tests/core/test_physics.py::test_nope]]", 0)
    table = hooks.params_table("diode")
    assert "`i_s`" in table and "1e-14" in table


def test_physics_page_math_becomes_mathml_offline():
    """Render docs/physics.md as the site does; every formula must become <math> markup."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("latex2mathml")
    import markdown
    from mkdocs.config import load_config

    cfg = load_config(str(ROOT / "mkdocs.yml"))
    assert not any(str(js).startswith(("http:", "https:", "//"))
                   for js in cfg["extra_javascript"]), "a script is fetched by the browser"
    assert cfg["theme"]["highlightjs"] is False, "highlight.js would load from a CDN"
    md = markdown.Markdown(extensions=cfg["markdown_extensions"],
                           extension_configs=cfg["mdx_configs"])
    text = PHYSICS.read_text(encoding="utf-8")
    raw = md.convert(text)
    hooks = _load_hooks()
    page = hooks.render_math(raw)
    n_display = text.count("$$") // 2
    assert len(DISPLAY.findall(page)) == n_display
    assert page.count("<math") > n_display  # inline formulas too
    assert "\\[" not in page and "\\(" not in page and "$$" not in page
    # the Boltzmann equation p(x) = e^{-U/kT} / Z: a fraction with a superscript in MathML
    first = page[DISPLAY.search(page).start():]
    first = first[: first.index("</math>")]
    assert "<mfrac>" in first and "<msup>" in first and "<mi>Z</mi>" in first
    # code blocks are highlighted at build time (Pygments spans), with the stylesheet generated
    code = md.reset().convert("```python\nimport numpy as np\n```\n")
    assert '<span class="kn">import</span>' in code
    assert ".highlight .kn" in hooks.pygments_css()


def test_unrenderable_formula_fails_the_build():
    pytest.importorskip("latex2mathml")
    from mkdocs.exceptions import PluginError

    hooks = _load_hooks()
    ok = hooks.render_math('<span class="arithmatex">\\(kT \\ln 2\\)</span>')
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in ok
    assert "<mi>ln</mi><mn>2</mn>" in ok
    with pytest.raises(PluginError, match="formula"):
        hooks.render_math('<div class="arithmatex">\\[\\frac{1}{\\]</div>')


@pytest.mark.docs
def test_mkdocs_build_strict(tmp_path):
    """The built site (issue 9; issue 17: offline). ``make test`` builds it as its own step."""
    given = os.environ.get("THERMOLEARN_SITE_DIR")
    if given:
        site = Path(given)
        assert (site / "index.html").is_file(), f"THERMOLEARN_SITE_DIR={given} has no site"
    else:
        site = tmp_path / "site"
        mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or shutil.which(
            "mkdocs")
        if mkdocs is None:
            pytest.skip("mkdocs is not installed (pip install -e '.[docs]')")
        proc = subprocess.run([mkdocs, "build", "--strict", "-d", str(site)],
                              cwd=ROOT, capture_output=True, text=True, timeout=1200,
                              check=False)
        assert proc.returncode == 0, proc.stderr[-4000:]
        assert "WARNING" not in proc.stderr
    physics = (site / "physics" / "index.html").read_text(encoding="utf-8")
    assert "[[code:thermolearn" not in physics and "tests-index/#t-" in physics
    assert len(DISPLAY.findall(physics)) == PHYSICS.read_text().count("$$") // 2
    assert "\\[" not in physics
    assert (site / "css" / "pygments.css").is_file()
    external = re.compile(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', re.I)
    for page in site.rglob("*.html"):
        hit = external.search(page.read_text(encoding="utf-8"))
        assert hit is None, f"{page.relative_to(site)} fetches {hit.group(0)!r} from the network"
    assert len(list((site / "img" / "iv").glob("*.png"))) >= 9
    examples = (site / "examples" / "index.html").read_text(encoding="utf-8")
    for script in (ROOT / "examples").glob("*.py"):
        assert script.name in examples

r"""MkDocs hooks: run every ``examples/*.py`` and draw the device I–V plots during the build.

* ``on_pre_build`` executes each example script in a fresh Python process (working directory:
  a temporary folder, ``MPLBACKEND=Agg``). A failing example (non-zero exit or timeout) fails
  the build with its stderr; the captured stdout is kept for the *Examples* page.
* The same hook simulates every device of :data:`thermolearn.devices.presets.CATALOGUE` under a
  sine drive (Python engine) and renders its pinched I–V loop; the PNGs are added to the site
  as generated files ``img/iv/<name>.png``.
* Math and code are rendered at build time, so the site works offline: ``on_page_content``
  converts every formula that ``pymdownx.arithmatex`` marked (``\( \)`` inline, ``\[ \]``
  display) to MathML with ``latex2mathml`` (a formula it cannot convert fails the build), and
  ``on_files`` writes the Pygments stylesheet ``css/pygments.css`` for ``pymdownx.highlight``.
* Progress: each example and the I–V plots log a line as they finish (``make docs`` is long).
* ``on_page_markdown`` replaces the marker ``<!-- examples-output -->`` with one section per
  example (source and output), ``<!-- cli-help -->`` with the ``--help`` text of every
  discovered sub-command, and expands the references of the physics pages:
  ``[[code:thermolearn.module.function]]`` becomes a cross-reference to the API page (the
  object must import) and ``[[test:tests/path.py::test_name]]`` a link into the generated
  *Test index* page, which shows each referenced test's source (the test must exist). A
  broken reference fails the build.

Set ``THERMOLEARN_DOCS_EXAMPLE_TIMEOUT`` (seconds, default 300) to change the timeout.
"""

from __future__ import annotations

import ast
import html
import importlib
import io
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
MARKER = "<!-- examples-output -->"
CLI_MARKER = "<!-- cli-help -->"
REF = re.compile(r"\[\[(code|test):\s*([A-Za-z][^\]\s]*)\s*\]\]")

MATH = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
log = logging.getLogger("mkdocs.hooks.thermolearn")

_outputs: dict[str, dict[str, Any]] = {}
_images: dict[str, bytes] = {}


def run_examples() -> dict[str, dict[str, Any]]:
    """Run every example; return ``{name: {source, stdout, seconds}}`` or raise PluginError."""
    timeout = float(os.environ.get("THERMOLEARN_DOCS_EXAMPLE_TIMEOUT", "300"))
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    out: dict[str, dict[str, Any]] = {}
    failures = []
    scripts = sorted(EXAMPLES.glob("*.py"))
    for k, script in enumerate(scripts, 1):
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="tl-example-") as tmp:
            try:
                proc = subprocess.run([sys.executable, str(script)], cwd=tmp, env=env,
                                      capture_output=True, text=True, timeout=timeout,
                                      check=False)
            except subprocess.TimeoutExpired:
                failures.append(f"{script.name}: timed out after {timeout:g} s")
                continue
        dt = time.perf_counter() - t0
        log.info("example %d/%d %s: exit %d in %.1f s", k, len(scripts), script.name,
                 proc.returncode, dt)
        if proc.returncode != 0:
            failures.append(f"{script.name}: exit code {proc.returncode}\n{proc.stderr[-3000:]}")
            continue
        out[script.name] = {"source": script.read_text(encoding="utf-8"),
                            "stdout": proc.stdout, "seconds": dt}
    if failures:
        raise PluginError("examples failed during the docs build:\n" + "\n".join(failures))
    return out


def draw_iv_plots() -> dict[str, bytes]:
    """Simulate each catalogue device under two sine frequencies; return PNG bytes by name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from thermolearn.circuit.device_iv import simulate_iv
    from thermolearn.devices import presets, sine_drive

    images: dict[str, bytes] = {}
    for k, (name, entry) in enumerate(presets.CATALOGUE.items(), 1):
        t0 = time.perf_counter()
        model = entry.factory()
        fig, ax = plt.subplots(figsize=(4.6, 3.4))
        for f in entry.frequencies:
            t, v = sine_drive(entry.amplitude, f, periods=1.0, points_per_period=200)
            res = simulate_iv(model, entry.x0, t, v, engine="python")
            ax.plot(res.voltage, res.current * 1e3, lw=1.0, label=f"{f:g} Hz")
        ax.set_xlabel("voltage (V)")
        ax.set_ylabel("current (mA)")
        ax.set_title(name, fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90)
        plt.close(fig)
        images[name] = buf.getvalue()
        log.info("I–V plot %d/%d %s in %.1f s", k, len(presets.CATALOGUE), name,
                 time.perf_counter() - t0)
    return images


def on_pre_build(config: Any, **kwargs: Any) -> None:
    """Run the examples and draw the I–V plots (fails the build on any error)."""
    _outputs.clear()
    log.info("running the %d examples (each one's line follows when it finishes)",
             len(list(EXAMPLES.glob("*.py"))))
    _outputs.update(run_examples())
    _images.clear()
    t0 = time.perf_counter()
    try:
        _images.update(draw_iv_plots())
    except Exception as exc:  # a broken device model must fail the build, loudly
        raise PluginError(f"device I–V plots failed: {exc!r}") from exc
    log.info("drew %d device I–V plots in %.1f s; rendering the pages", len(_images),
             time.perf_counter() - t0)


def render_math(page_html: str) -> str:
    r"""Replace every arithmatex formula in ``page_html`` by MathML (raise PluginError if bad).

    ``pymdownx.arithmatex`` (generic mode) leaves ``<span class="arithmatex">\(x\)</span>``
    and ``<div class="arithmatex">\[x\]</div>`` with the TeX HTML-escaped; the result is
    ``<math>`` markup (display="block" for display math) that browsers render without scripts.
    """
    from latex2mathml.converter import convert

    def sub(m: re.Match[str]) -> str:
        tag, body = m.group(1), html.unescape(m.group(2)).strip()
        if body[:2] in ("\\(", "\\[") and body[-2:] in ("\\)", "\\]"):
            body = body[2:-2]
        try:
            mathml = convert(body, display="block" if tag == "div" else "inline")
        except Exception as exc:  # latex2mathml raises several kinds
            raise PluginError(f"formula {body[:80]!r} cannot be rendered: {exc!r}") from exc
        if "<merror" in mathml:
            raise PluginError(f"formula {body[:80]!r} rendered as an error: {mathml[:200]}")
        return f'<{tag} class="arithmatex">{mathml}</{tag}>'

    return MATH.sub(sub, page_html)


def on_page_content(html_text: str, page: Any, config: Any, files: Any) -> str:
    """Render the page's math to MathML at build time (no script in the browser)."""
    return render_math(html_text)


def pygments_css() -> str:
    """Stylesheet of the Pygments classes that ``pymdownx.highlight`` emits."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="default").get_style_defs(".highlight")


def resolve_object(dotted: str) -> Any:
    """Import ``dotted`` (module, or module attribute chain); raise ImportError if absent."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for attr in parts[k:]:
            if not hasattr(obj, attr):
                raise ImportError(f"{dotted}: {'.'.join(parts[:k])} has no {attr!r}")
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"{dotted}: no importable module prefix")


def read_test_source(ref: str) -> str:
    """Source of ``path::name`` (a test function, or ``path::Class::method``) or raise."""
    path, _, qual = ref.partition("::")
    file = ROOT / path
    if not file.is_file() or not qual:
        raise FileNotFoundError(f"{ref}: no such test file")
    text = file.read_text(encoding="utf-8")
    body: list[ast.stmt] = ast.parse(text).body
    node: Any = None
    for name in qual.split("::"):
        node = next((n for n in body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef
                                                    | ast.ClassDef) and n.name == name), None)
        if node is None:
            raise LookupError(f"{ref}: {name!r} not found in {path}")
        body = node.body
    start = min([d.lineno for d in node.decorator_list] + [node.lineno])
    return "\n".join(text.splitlines()[start - 1: node.end_lineno])


def anchor(ref: str) -> str:
    """HTML id of a test reference on the Test index page."""
    return "t-" + re.sub(r"[^A-Za-z0-9]+", "-", ref).strip("-").lower()


def collect_test_refs(docs_dir: Path) -> list[str]:
    """Every ``[[test:...]]`` reference in the Markdown under ``docs_dir`` (sorted, unique)."""
    refs = set()
    for md in docs_dir.rglob("*.md"):
        refs.update(m.group(2) for m in REF.finditer(md.read_text(encoding="utf-8"))
                    if m.group(1) == "test")
    return sorted(refs)


def render_test_index(refs: list[str]) -> str:
    """Markdown of the Test index page (raises if a referenced test does not exist)."""
    parts = ["# Test index\n",
             "The tests that the physics pages cite, with their source as of this build. Run "
             "one with `pytest 'tests/<file>.py::<name>'` (slow ones need `-m slow`).\n"]
    for ref in refs:
        parts.append(f'<h3 id="{anchor(ref)}"><code>{ref}</code></h3>\n')
        parts.append("```python\n" + read_test_source(ref) + "\n```\n")
    return "\n".join(parts)


def on_files(files: Files, config: Any, **kwargs: Any) -> Files:
    """Add the generated I–V PNGs, the Pygments CSS and the Test index page to the site."""
    files.append(File.generated(config, "css/pygments.css", content=pygments_css()))
    for name, png in _images.items():
        files.append(File.generated(config, f"img/iv/{name}.png", content=png))
    try:
        page = render_test_index(collect_test_refs(Path(config["docs_dir"])))
    except (OSError, LookupError, SyntaxError) as exc:
        raise PluginError(f"broken test reference: {exc}") from exc
    files.append(File.generated(config, "tests-index.md", content=page))
    return files


def expand_refs(markdown: str, page_url_depth: int) -> str:
    """Replace ``[[code:...]]`` and ``[[test:...]]`` by links (raise PluginError if broken)."""
    up = "../" * page_url_depth

    def sub(m: re.Match[str]) -> str:
        kind, target = m.group(1), m.group(2)
        if kind == "code":
            try:
                resolve_object(target)
            except ImportError as exc:
                raise PluginError(f"broken code reference: {exc}") from exc
            return f"[`{target}`][{target}]"
        try:
            read_test_source(target)
        except (OSError, LookupError, SyntaxError) as exc:
            raise PluginError(f"broken test reference: {exc}") from exc
        short = target.split("::", 1)
        return f"[`{short[0]}::{short[1]}`]({up}tests-index.md#{anchor(target)})"

    return REF.sub(sub, markdown)


def cli_help() -> str:
    """Markdown with ``thermolearn --help`` and the ``--help`` of every (nested) sub-command."""
    from thermolearn.cli import build_parser

    parts: list[str] = []
    _help_tree(build_parser(), "thermolearn", parts)
    return "\n".join(parts)


def _help_tree(parser: Any, prog: str, parts: list[str]) -> None:
    import argparse

    level = "###" if prog == "thermolearn" or prog.count(" ") == 1 else "####"
    parts.append(f"{level} `{prog} --help`\n")
    parts.append("```text\n" + parser.format_help().rstrip() + "\n```\n")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in sorted(action.choices.items()):
                _help_tree(sub, f"{prog} {name}", parts)


PARAMS = re.compile(r"<!--\s*params:([a-z0-9_]+)\s*-->")


def params_table(name: str) -> str:
    """Markdown table of the parameters of catalogue preset ``name`` (or ``diode``/``ideal``)."""
    import dataclasses

    from thermolearn.devices import DiodeParams, presets

    if name == "diode":
        params: Any = DiodeParams()
    elif name == "ideal":
        params = presets.ideal().params
    else:
        params = presets.get(name).factory().params
    rows = ["| parameter | value in the preset |", "|---|---|"]
    for f in dataclasses.fields(params):
        v = getattr(params, f.name)
        rows.append(f"| `{f.name}` | `{v:.4g}` |" if isinstance(v, float)
                    else f"| `{f.name}` | `{v!r}` |")
    return f"Parameters of `{type(params).__name__}` (preset `{name}`):\n\n" + "\n".join(rows)


def render_examples() -> str:
    """Markdown for the examples page: for each script, its source and captured output."""
    parts = []
    for name, d in _outputs.items():
        parts.append(f"## `{name}`\n\nRan in {d['seconds']:.1f} s during this build.\n")
        parts.append("```python\n" + d["source"].rstrip() + "\n```\n")
        text = d["stdout"].rstrip() or "(no output)"
        parts.append("Output:\n\n```text\n" + text + "\n```\n")
    return "\n".join(parts)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Insert the example outputs where the page asks for them."""
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, render_examples())
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_help())
    markdown = PARAMS.sub(lambda m: params_table(m.group(1)), markdown)
    depth = page.file.src_uri.count("/")
    return expand_refs(markdown, depth)

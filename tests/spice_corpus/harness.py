"""Real-world SPICE corpus: run each file in plain ngspice and on thermolearn's engines.

The corpus files (``ngspice39/``) are third-party netlists, unchanged; ``README.md`` beside
this file records each file's origin and licence. This module

* runs a file in plain ngspice (``ngspice -b -r``, a subprocess) and records the vectors of
  every analysis as a JSON reference in ``reference/`` (with the exact command), so that the
  comparison still runs where ngspice is absent;
* runs the same file, unchanged, through thermolearn's importer on the ``python`` and
  ``ngspice`` engines and compares: operating points within 1e-6 V on every node, transients
  within 2e-3 of each node's range at ngspice's time points, AC within 1e-6 relative in
  magnitude (the criteria of issue 15);
* writes the results table for ``docs/spice-corpus.md``.

Plain ngspice executes the analyses of a file's ``.control`` block itself; the reference run
needs vectors written to a raw file, so it runs the file's text with its ``.control`` block
removed and the block's analysis commands (listed per file in :data:`CORPUS`, read by a human
from the file) appended as dot cards. Files without a ``.control`` block run exactly as they
are. A file with no analysis at all gets ``.op``.

Run ``python tests/spice_corpus/harness.py record`` to rerun ngspice and rewrite the
references, ``python tests/spice_corpus/harness.py table`` to rewrite the docs table.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
CORPUS_DIR = HERE / "ngspice39"
REF_DIR = HERE / "reference"
DOC_TABLE = HERE.parent.parent / "docs" / "spice-corpus.md"

OP_ATOL = 1e-6  # V, every node
TRAN_RTOL_RANGE = 2e-3  # of each node's range, at ngspice's time points
AC_RTOL = 1e-6  # relative, magnitude

NGSPICE_SOURCE = "Debian source package ngspice 39.3+ds-1 (apt-get source ngspice)"
LICENCE = "Modified BSD (ngspice COPYING, copied beside the files)"


@dataclass(frozen=True)
class CorpusFile:
    """One corpus netlist.

    Attributes
    ----------
    path : str
        Path below ``ngspice39/`` (the same path as in ngspice's source tree).
    control : tuple of str
        The analysis commands its ``.control`` block runs in batch mode, as dot cards, for
        the reference run (empty when the file has no ``.control`` block).
    note : str
        What the file exercises.
    root : str
        The folder below this one that holds it: ``ngspice39`` (third-party corpus) or
        ``regress`` (thermolearn's own regression netlists for issue 15's silent errors).
    """

    path: str
    control: tuple[str, ...] = ()
    note: str = ""
    root: str = "ngspice39"

    @property
    def full_path(self) -> Path:
        """Absolute path of the netlist."""
        return HERE / self.root / self.path


CORPUS: tuple[CorpusFile, ...] = (
    CorpusFile("tests/general/rc.cir", note="PULSE(0 1) defaults, AC spec during .tran"),
    CorpusFile("tests/filters/lowpass.cir", note=".op + .ac, SIN without parentheses, DISTOF"),
    CorpusFile("tests/resistance/res_simple.cir", note="resistor, .tran of a DC circuit"),
    CorpusFile("tests/resistance/res_partition.cir", note="resistor divider"),
    CorpusFile("tests/resistance/res_array.cir", note="semiconductor resistor model, ac= values"),
    CorpusFile("tests/polezero/filt_rc.cir", note=".pz analysis"),
    CorpusFile("tests/polezero/filt_multistage.cir", note=".pz analysis, VCVS"),
    CorpusFile("tests/regression/func/func-1.cir", ("op",), ".func, quoted values, B sources"),
    CorpusFile("tests/regression/lib-processing/ex1a.cir", ("op",), ".lib FILE SECTION"),
    CorpusFile("tests/regression/lib-processing/ex1b.cir", ("op",), ".lib inside .subckt"),
    CorpusFile("tests/regression/lib-processing/ex2a.cir", ("op",), ".lib with nested .lib"),
    CorpusFile("tests/regression/lib-processing/scope-1.cir", ("op",), "nested .subckt scopes"),
    CorpusFile("tests/regression/misc/ac-zero.cir", ("ac lin 1 0Hz 0Hz",), ".ac at f = 0"),
    CorpusFile("tests/regression/misc/log-functions-1.cir", ("op",), "ln/log/log10"),
    CorpusFile("tests/regression/misc/bugs-1.cir", ("op",), "unary minus/plus in B sources"),
    CorpusFile("tests/regression/parser/minus-minus.cir", ("op",), "'--' in names"),
    CorpusFile("tests/regression/parser/xpressn-3.cir", ("op",), "expressions, subckt params"),
    CorpusFile("tests/regression/subckt-processing/global-1.cir", ("op",), ".global"),
    CorpusFile("tests/regression/temper/temper-1.cir", ("op",), "'temper' in a .model"),
    CorpusFile("tests/regression/temper/temper-2.cir", (".dc temp 10 100 10.0",), ".dc TEMP"),
    CorpusFile("tests/regression/temper/temper-3.cir", (".dc temp 10 100 10.0",), ".dc TEMP"),
    CorpusFile("tests/regression/model/special-names-1.cir", ("op",), "model names 1n4002"),
    CorpusFile("tests/regression/model/instance-defaults.cir", ("op",), ".model R defaults"),
    CorpusFile(
        "examples/memristor/memristor.sp",
        ("tran 1e-10 1e-08 uic",),
        "Pershin-Di Ventra threshold memristor; .control let/$&/alter (first tran: stime/100)",
    ),
    CorpusFile("examples/numparam/param-example.cir", (), "subckt params, AC spec with phase"),
    CorpusFile("examples/measure/func_cap.sp", (), ".func in .param, .measure param="),
    CorpusFile("examples/measure/rc-meas-ac.sp", (), ".global, .ac, .meas ac"),
    CorpusFile("examples/measure/simple-meas-tran.sp", (), ".meas tran"),
    CorpusFile(
        "examples/various/diode_ac_par.sp",
        ("dc v1 -5 .1 0.01",),
        "vendor diode card (BV IBV CJO TT EG XTI), DC sweep into breakdown",
    ),
    CorpusFile(
        "examples/various/todo-temper-3.cir", ("dc temp 0 125 1.0",), "'temper' in model, area"
    ),
    CorpusFile("examples/various/res-value-options.cir", ("op",), "LTspice-style values 2R5"),
    CorpusFile("examples/control_structs/if-batchmode.cir", (), "analysis inside .control if"),
)

#: thermolearn's own netlists, one per silent wrong answer of issue 15 (authored for the
#: tests; ngspice's results on them are the reference).
REGRESS: tuple[CorpusFile, ...] = tuple(
    CorpusFile(name, root="regress")
    for name in (
        "pulse_defaults.cir",
        "pulse_tr_zero.cir",
        "scale_digits.cir",
        "temp_default.cir",
        "temp_options.cir",
        "temp_card.cir",
        "temp_tnom.cir",
        "temp_instance.cir",
        "ic_without_uic.cir",
        "ic_with_uic.cir",
        "diode_charge.cir",
        "exp_defaults.cir",
    )
)


#: published memristor subcircuits (``published/``, transcribed from the papers) and the
#: thermolearn behavioural model of the same family with the same parameters
PUBLISHED: dict[str, dict[str, Any]] = {
    "biolek2009_joglekar.cir": {
        "model": "LinearIonDrift",
        "params": {
            "r_on": 1e3,
            "r_off": 100e3,
            "d": 10e-9,
            "mu_v": 10e-15,
            "window": "joglekar",
            "p": 10,
        },
        "x0": (100e3 - 80e3) / (100e3 - 1e3),
        "drive": (1.0, 1.0, 2.0),  # amplitude V, frequency Hz, duration s
    },
    "biolek2009_biolek.cir": {
        "model": "LinearIonDrift",
        "params": {
            "r_on": 1e3,
            "r_off": 100e3,
            "d": 10e-9,
            "mu_v": 10e-15,
            "window": "biolek",
            "p": 10,
        },
        "x0": (100e3 - 80e3) / (100e3 - 1e3),
        "drive": (1.5, 1.0, 2.0),  # drives x into the bound: the window decides
    },
    "yakopcic2011.cir": {
        "model": "Yakopcic",
        "params": {},
        "x0": 0.11,
        "drive": (0.45, 100.0, 20e-3),
    },
}
#: ngspice's compatibility mode for them: LTspice and PSpice functions (if, stp, limit) on
#: the whole netlist ('a'); plain 'lt' translates only included libraries
PUBLISHED_COMPAT = "ltpsa"


def published_path(name: str) -> Path:
    """Path of a published-model netlist."""
    return HERE / "published" / name


def record_published() -> None:
    """Run each published subcircuit in ngspice (LTspice compatibility) and store V, I(V1)."""
    from thermolearn.circuit.spice.batch import run_batch

    out = REF_DIR / "published"
    out.mkdir(parents=True, exist_ok=True)
    for name in PUBLISHED:
        res = run_batch(published_path(name).read_text(encoding="utf-8"), compat=PUBLISHED_COMPAT)
        plot = next(p for p in res.plots if p.kind == "tran")
        rec = {
            "file": f"published/{name}",
            "command": f"SPICE_ASCIIRAWFILE=1 ngspice -b -r out.raw {name} with "
            f"$HOME/.spiceinit = 'set ngbehavior={PUBLISHED_COMPAT}' (ngspice 39)",
            "time": plot.vectors["time"].tolist(),
            "v_in": plot.vectors["v(in)"].tolist(),
            "i_v1": plot.vectors["i(v1)"].tolist(),
        }
        (out / (name + ".json")).write_text(json.dumps(rec) + "\n", encoding="utf-8")
        print(f"{name}: {len(rec['time'])} points")


def loop_figures(time: Any, v: Any, i: Any) -> tuple[float, float]:
    """Peak |I| (A) and normalised lobe area of a pinched loop (last full period)."""
    from thermolearn.devices.simulate import IVResult, lobe_area

    t = np.asarray(time, dtype=float)
    res = IVResult("", t, np.asarray(v, dtype=float), np.asarray(i, dtype=float), t * 0)
    return float(np.max(np.abs(res.current))), lobe_area(res)


# ---------------------------------------------------------------------------------------
# plain ngspice
# ---------------------------------------------------------------------------------------
def ngspice_binary() -> str | None:
    """The ngspice executable on PATH, or None."""
    return shutil.which("ngspice")


def strip_control(text: str) -> str:
    """The netlist text without its ``.control`` ... ``.endc`` blocks (line count kept)."""
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        head = line.strip().split(None, 1)[0].lower() if line.strip() else ""
        if head == ".control":
            inside = True
        if inside:
            out.append("*" + line if line.strip() else line)
        else:
            out.append(line)
        if head == ".endc":
            inside = False
    return "\n".join(out) + "\n"


_ANALYSIS_RE = re.compile(r"^\s*\.(op|tran|ac|dc|pz|noise|tf|sens|disto|pss)\b", re.I | re.M)


def reference_deck(cf: CorpusFile) -> str:
    """The text the reference ngspice run executes (see the module docstring)."""
    text = cf.full_path.read_text(encoding="utf-8", errors="replace")
    deck = strip_control(text)
    cards = [c if c.startswith(".") else "." + c for c in cf.control]
    if not cards and not _ANALYSIS_RE.search(deck):
        cards = [".op"]
    if cards:
        lines = deck.splitlines()
        end = next(
            (i for i in range(len(lines) - 1, -1, -1) if lines[i].strip().lower() == ".end"),
            len(lines),
        )
        lines[end:end] = cards
        deck = "\n".join(lines) + "\n"
    return deck


def parse_raw_ascii(text: str) -> list[dict[str, Any]]:
    """Parse an ngspice ASCII raw file into plots ``{"plotname", "vectors": {name: list}}``.

    Complex vectors become ``[re, im]`` pairs (lists), real ones plain floats.
    """
    plots: list[dict[str, Any]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("Title:"):
            i += 1
            continue
        hdr: dict[str, str] = {}
        while i < len(lines) and not lines[i].startswith("Variables:"):
            k, _, v = lines[i].partition(":")
            hdr[k.strip().lower()] = v.strip()
            i += 1
        nvar = int(hdr["no. variables"])
        npts = int(hdr["no. points"])
        cplx = "complex" in hdr.get("flags", "")
        names = []
        for j in range(nvar):
            parts = lines[i + 1 + j].split()
            names.append(parts[1].lower())
        i += 1 + nvar
        assert lines[i].startswith("Values:"), lines[i]
        i += 1
        data: list[list[Any]] = [[] for _ in names]
        for _p in range(npts):
            for j in range(nvar):
                tok = lines[i].split()[-1]
                i += 1
                if cplx:
                    re_, im_ = tok.split(",")
                    data[j].append([float(re_), float(im_)])
                else:
                    data[j].append(float(tok))
        plots.append(
            {"plotname": hdr.get("plotname", ""), "vectors": dict(zip(names, data, strict=True))}
        )
    return plots


#: the card added for the converged reference: ngspice's own answer to far below the criteria
TIGHT_OPTIONS = ".options reltol=1e-9 vntol=1e-12 abstol=1e-15"


def run_plain_ngspice(cf: CorpusFile, *, tight: bool = False) -> dict[str, Any]:
    """Run the reference deck in ``ngspice -b -r`` and return the reference record.

    ``tight`` adds :data:`TIGHT_OPTIONS` (ngspice's default RELTOL = 1e-3 lets a converged
    Newton iterate sit up to ~1e-4 V from the solution; see ``README.md``).
    """
    exe = ngspice_binary()
    if exe is None:
        raise RuntimeError("ngspice is not on PATH (apt-get install ngspice)")
    src = cf.full_path
    with tempfile.TemporaryDirectory() as tmp:
        deck_path = Path(tmp) / src.name
        deck = reference_deck(cf)
        if tight:
            lines = deck.splitlines()
            ends = [i for i, t in enumerate(lines) if t.strip().lower() == ".end"]
            end = ends[-1] if ends else len(lines)
            lines[end:end] = [TIGHT_OPTIONS]
            deck = "\n".join(lines) + "\n"
        deck_path.write_text(deck, encoding="utf-8")
        raw = Path(tmp) / "out.raw"
        cmd = [exe, "-b", "-r", str(raw), str(deck_path)]
        env = dict(os.environ, SPICE_ASCIIRAWFILE="1")
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
            cmd, cwd=src.parent, env=env, capture_output=True, text=True, timeout=120
        )
        plots = parse_raw_ascii(raw.read_text()) if raw.exists() else []
        printed = ""
        if re.search(r"^\s*\.meas", deck, re.M | re.I):
            # ngspice evaluates .measure only without -r: a second run for the printout
            printed = subprocess.run(  # noqa: S603 - fixed argv, no shell
                [exe, "-b", str(deck_path)],
                cwd=src.parent,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            ).stdout
    return {
        "file": cf.path,
        "command": (
            f"cd tests/spice_corpus/{cf.root}/{Path(cf.path).parent} && "
            f"SPICE_ASCIIRAWFILE=1 ngspice -b -r out.raw <deck>"
        ),
        "deck_cards_added": list(cf.control),
        "returncode": proc.returncode,
        "plots": plots,
        "stderr_tail": proc.stderr.strip().splitlines()[-5:],
        # ngspice's printout of the .measure cards: "name = value [targ= ...]"
        "measures": [
            [m.group(1), float(m.group(2))]
            for m in re.finditer(r"^(\w+)\s+=\s+([-+]?[0-9.]+(?:e[-+]?\d+)?)", printed, re.M | re.I)
            if m.group(1).lower() in _measure_names(deck)
        ],
    }


def _measure_names(deck: str) -> set[str]:
    return {
        m.group(1).lower()
        for m in re.finditer(r"^\s*\.meas(?:ure)?\s+\w+\s+(\w+)", deck, re.M | re.I)
    }


def ref_path(cf: CorpusFile) -> Path:
    """Where the reference JSON of ``cf`` lives."""
    return REF_DIR / cf.root / (cf.path.replace("/", "__") + ".json")


def record(files: tuple[CorpusFile, ...] = CORPUS) -> None:
    """Rerun plain ngspice on every corpus file and rewrite the references."""
    for cf in files:
        ref_path(cf).parent.mkdir(parents=True, exist_ok=True)
        rec = run_plain_ngspice(cf)
        tight = run_plain_ngspice(cf, tight=True)
        rec["plots_tight"] = tight["plots"]
        rec["command_tight"] = rec["command"] + f"  (with {TIGHT_OPTIONS!r} before .end)"
        ref_path(cf).write_text(json.dumps(rec, indent=0) + "\n", encoding="utf-8")
        kinds = [p["plotname"] for p in rec["plots"]]
        print(f"{cf.path}: rc={rec['returncode']} plots={kinds}")


def load_reference(cf: CorpusFile) -> dict[str, Any]:
    """The stored reference record of ``cf``."""
    return json.loads(ref_path(cf).read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------
# comparison
# ---------------------------------------------------------------------------------------
@dataclass
class Comparison:
    """The outcome of one corpus file on one engine."""

    file: str
    engine: str
    status: str  # "agree", "disagree", "refused", "crashed", "no-reference"
    detail: str = ""
    worst: dict[str, float] = field(default_factory=dict)


def _kind(plotname: str) -> str:
    from thermolearn.circuit.spice.batch import plot_kind

    return plot_kind(plotname)


def _ref_key(name: str) -> str:
    """ngspice raw names: ``v(n)`` for nodes, ``i(vx)`` for branches."""
    name = name.lower()
    m = re.fullmatch(r"v\((.*)\)", name)
    if m:
        return m.group(1)
    m = re.fullmatch(r"i\((.*)\)", name)
    if m:
        return m.group(1) + "#branch"
    return name


def compare_plot(ref_plot: dict[str, Any], res: Any) -> tuple[bool, str, float]:
    """Compare one ngspice plot with thermolearn's result of the same analysis.

    ``res`` is a :class:`~thermolearn.circuit.spice.simulate.AnalysisResult`; transients are
    interpolated (linearly) at ngspice's time points. Returns (ok, detail, worst figure).
    """
    kind = _kind(ref_plot["plotname"])
    vecs = ref_plot["vectors"]
    got = {k.lower(): np.asarray(v) for k, v in res.voltages.items()}
    axis_ref = None
    for name in ("time", "frequency", "temp-sweep", "v-sweep", "i-sweep"):
        if name in vecs:
            axis_ref = np.asarray(vecs[name], dtype=float)
            if axis_ref.ndim > 1:
                axis_ref = axis_ref[:, 0]
    worst = 0.0
    worst_name = "-"
    for name, ref in vecs.items():
        if not name.startswith("v(") or re.fullmatch(r"v\(pa_\d+\)|v\(.*sweep\)", name):
            # node voltages are the criterion (branch currents are informative); pa_NN are
            # ngspice's own auxiliary nodes for par() in .measure, not the user's circuit
            continue
        key = _ref_key(name)
        if key not in got:
            return False, f"{kind}: node {key!r} missing from thermolearn's result", math.inf
        g = got[key]
        if kind == "tran":
            g = np.interp(axis_ref, np.asarray(res.axis, dtype=float), np.real(g))
        elif axis_ref is not None and len(g) != len(axis_ref):
            return False, f"{kind}: {len(g)} sweep points, ngspice has {len(axis_ref)}", math.inf
        if kind == "ac":
            r = np.array([complex(a, b) for a, b in ref])
            mag_r, mag_g = np.abs(r), np.abs(g)
            err = np.where(
                mag_r > 1e-12,
                np.abs(mag_g - mag_r) / np.maximum(mag_r, 1e-300),
                np.abs(mag_g - mag_r),
            )
            e, tol = float(np.max(err)), AC_RTOL
        elif kind == "tran":
            r = np.asarray(ref, dtype=float)
            span = float(np.ptp(r)) or max(float(np.max(np.abs(r))), 1e-12)
            e, tol = float(np.max(np.abs(g - r))) / span, TRAN_RTOL_RANGE
        else:
            r = np.asarray(ref, dtype=float)
            e, tol = float(np.max(np.abs(np.real(g) - r))), OP_ATOL
        if e > worst or worst_name == "-":
            worst, worst_name = e, key
        if not e <= tol:
            return False, f"{kind}: node {key!r} off by {e:.3g} (tolerance {tol:g})", e
    return True, f"{kind}: worst {worst:.2g} at {worst_name}", worst


def evaluate(cf: CorpusFile, engine: str) -> Comparison:
    """Import ``cf`` unchanged, run its analyses on ``engine``, compare with the reference."""
    from thermolearn.circuit.spice.parser import read_netlist
    from thermolearn.circuit.spice.simulate import run_netlist_analyses
    from thermolearn.errors import ThermolearnError

    try:
        parsed = read_netlist(cf.full_path)
    except ThermolearnError as exc:
        return Comparison(cf.path, engine, "refused", _rel(str(exc)))
    try:
        run = run_netlist_analyses(parsed, engine)
    except ThermolearnError as exc:
        return Comparison(cf.path, engine, "refused", _rel(str(exc)))
    ref = load_reference(cf)
    plain = _compare_run(cf, engine, run, ref["plots"])
    if plain.status == "agree" or "plots_tight" not in ref:
        return plain
    tight = _compare_run(cf, engine, run, ref["plots_tight"])
    if tight.status == "agree":
        tight.status = "agree (converged)"
        tight.detail = f"plain ngspice: {plain.detail}; converged ngspice: {tight.detail}"
        return tight
    return plain


def _compare_run(cf: CorpusFile, engine: str, run: Any, plots: list[Any]) -> Comparison:
    details = []
    worst: dict[str, float] = {}
    used: set[int] = set()
    for plot in plots:
        kind = _kind(plot["plotname"])
        k = next((i for i, a in enumerate(run.analyses) if a.kind == kind and i not in used), None)
        if k is None:
            return Comparison(cf.path, engine, "disagree", f"no {kind} analysis was run")
        used.add(k)
        ok, detail, w = compare_plot(plot, run.analyses[k])
        worst[kind] = max(worst.get(kind, 0.0), w)
        details.append(detail)
        if not ok:
            return Comparison(cf.path, engine, "disagree", detail, worst)
    return Comparison(cf.path, engine, "agree", "; ".join(details), worst)


def _rel(msg: str) -> str:
    """Error messages with the corpus folder made relative."""
    return msg.replace(str(HERE) + os.sep, "")


DOC_HEADER = """# Real-world SPICE corpus

thermolearn's importer is held to plain ngspice on third-party netlists: ngspice 39's own
examples and regression tests, **unchanged** (origin, licence and selection in
`tests/spice_corpus/README.md`). Each file is parsed, its analyses (dot cards and the analysis
commands of its `.control` block) are run on both engines, and the node voltages are compared
with plain `ngspice -b` on the same file:

- operating points and DC sweeps within **1e-6 V** on every node,
- transients within **2e-3 of each node's range** at ngspice's time points,
- AC within **1e-6 relative** in magnitude.

The *ngspice engine* runs the file's own text (only the analysis cards of its `.control`
block are added), so its column checks thermolearn's reading of the analyses; the *python
engine* column checks the importer and the MNA engine. "agree (converged)": plain ngspice's
default RELTOL = 1e-3 leaves its own DC-sweep answer up to 1.3e-4 V from the solution;
with `.options reltol=1e-9 vntol=1e-12 abstol=1e-15` added, ngspice and thermolearn agree
to the figure shown. A refused file names the line and the reason.

Regenerate with `PYTHONPATH=src python tests/spice_corpus/harness.py docs` (the references
with `... harness.py record`, which needs ngspice). The test suite holds every row
(`tests/circuit/test_spice_corpus.py`).

"""


def results(engines: tuple[str, ...] = ("python", "ngspice")) -> list[Comparison]:
    """Every corpus file on every engine."""
    return [evaluate(cf, eng) for cf in CORPUS for eng in engines]


def table(rows: list[Comparison]) -> str:
    """The Markdown results table of ``docs/spice-corpus.md``."""
    by_file: dict[str, dict[str, Comparison]] = {}
    for r in rows:
        by_file.setdefault(r.file, {})[r.engine] = r
    lines = [
        "| file | python engine | ngspice engine (the file's own text) | detail |",
        "|---|---|---|---|",
    ]
    for f, d in by_file.items():
        py, ng = d.get("python"), d.get("ngspice")
        detail = (py.detail if py else "") or (ng.detail if ng else "")
        lines.append(
            f"| `{f}` | {py.status if py else '-'} | {ng.status if ng else '-'} | "
            f"{detail.replace('|', '/')} |"
        )
    n = len(by_file)
    strict = sum(1 for d in by_file.values() if all(c.status == "agree" for c in d.values()))
    conv = sum(1 for d in by_file.values() if all(c.status.startswith("agree") for c in d.values()))
    refused = sum(1 for d in by_file.values() if any(c.status == "refused" for c in d.values()))
    lines.append("")
    lines.append(
        f"**{conv} of {n}** files ({100 * conv / n:.0f} %) parse unchanged and agree with ngspice "
        f"on both engines ({strict} of them with plain ngspice at its default tolerances, "
        f"{conv - strict} with ngspice converged); {refused} refused with a line-numbered "
        "reason."
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    what = sys.argv[1] if len(sys.argv) > 1 else "record"
    if what == "record":
        record(CORPUS + REGRESS)
        record_published()
    elif what == "table":
        print(table(results()))
    elif what == "docs":
        DOC_TABLE.write_text(DOC_HEADER + table(results()), encoding="utf-8")
        print(f"wrote {DOC_TABLE}")
    else:
        raise SystemExit(f"unknown command {what!r}; use 'record'")

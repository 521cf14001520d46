"""Run the analyses of an imported netlist on either engine, into one result type.

``run_netlist_analyses(parsed, engine)`` executes every analysis of a
:class:`~thermolearn.circuit.spice.parser.ParsedNetlist` (dot cards, then the analysis
commands of its ``.control`` block) and returns one :class:`AnalysisResult` per analysis,
with node voltages keyed by thermolearn's node names on both engines:

* ``"python"``: ``.op`` and ``.tran`` on the MNA engine (trapezoidal rule, adaptive step no
  longer than ngspice's TMAX = min(TSTEP, TSTOP/50), ``IC=`` only with ``uic``), ``.dc``
  as repeated operating points (a ``TEMP`` sweep re-reads the netlist at each temperature so
  that everything temperature-dependent follows), ``.ac`` as the MNA linearised at the
  operating point (diode conductances and capacitances, B-source gradients) with
  ``jwC``/``jwL`` stamps, solved as a complex sparse system per frequency;
* ``"ngspice"``: the user's own text in plain ``ngspice -b`` (see
  :mod:`thermolearn.circuit.spice.batch`), so that the two engines' agreement tests the
  importer.

References
----------
.. [1] L. W. Nagel, "SPICE2: A computer program to simulate semiconductor circuits,"
   UCB/ERL M520 (1975): small-signal AC analysis at the operating point.
.. [2] H. Vogt et al., *Ngspice User's Manual*, version 39, sections 15.3.1-15.3.10
   (``.ac``, ``.dc``, ``.op``, ``.tran``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from thermolearn.circuit.elements import NonlinearStamps
from thermolearn.circuit.mna import compiled, operating_point, transient
from thermolearn.circuit.spice.batch import add_cards, comment_out_control, run_batch
from thermolearn.circuit.spice.measure import evaluate_measures
from thermolearn.circuit.spice.parser import parse_netlist
from thermolearn.devices.spice_diode import SpiceDiode, SpiceDiodeParams
from thermolearn.errors import NetlistError, ParameterError, SpiceError

ENGINES = ("python", "ngspice")


@dataclass
class AnalysisResult:
    """One analysis of an imported netlist.

    Attributes
    ----------
    kind : str
        ``op``, ``tran``, ``ac`` or ``dc``.
    origin : str
        ``file:line`` of the analysis card or control command.
    axis_name : str
        ``""`` (op), ``time`` (s), ``frequency`` (Hz) or the swept source/``temp``.
    axis : ndarray
        Sweep points (empty for op).
    voltages : dict of str to ndarray
        Node voltages, V (complex for AC), one value per sweep point (one for op).
    currents : dict of str to ndarray
        Branch currents of voltage sources (``name`` as in the netlist), A.
    engine : str
        ``python`` or ``ngspice``.
    """

    kind: str
    origin: str
    axis_name: str
    axis: NDArray[np.float64]
    voltages: dict[str, NDArray[Any]]
    currents: dict[str, NDArray[Any]] = field(default_factory=dict)
    engine: str = "python"
    measures: list[tuple[str, float]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (complex values as ``[re, im]``)."""

        def enc(a: NDArray[Any]) -> Any:
            a = np.asarray(a)
            if np.iscomplexobj(a):
                return [[float(z.real), float(z.imag)] for z in a]
            return a.tolist()

        return {
            "kind": self.kind,
            "origin": self.origin,
            "engine": self.engine,
            "axis_name": self.axis_name,
            "axis": enc(self.axis),
            "voltages": {k: enc(v) for k, v in self.voltages.items()},
            "currents": {k: enc(v) for k, v in self.currents.items()},
            "measures": [[k, v] for k, v in self.measures],
        }


@dataclass
class NetlistRun:
    """All analyses of one netlist on one engine, with the importer's notes."""

    source: str
    engine: str
    analyses: list[AnalysisResult]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "source": self.source,
            "engine": self.engine,
            "notes": list(self.notes),
            "analyses": [a.to_json() for a in self.analyses],
        }


def _analyses(parsed: Any) -> tuple[list[tuple[Any, ...]], list[str], list[str]]:
    analyses = list(parsed.analyses)
    origins = list(parsed.analysis_lines) or [parsed.source] * len(analyses)
    notes: list[str] = []
    if not analyses:
        analyses = [("op",)]
        origins = [f"{parsed.source}"]
        notes.append(f"{parsed.source}: the netlist has no analysis; ran .op")
    return analyses, origins, notes


def run_netlist_analyses(
    parsed: Any, engine: str = "python", *, ensure_op: bool = False, **options: Any
) -> NetlistRun:
    """Run every analysis of ``parsed`` on ``engine`` (``"python"`` or ``"ngspice"``).

    ``ensure_op`` runs an operating point first when the netlist has none (the CLI reports
    one for every netlist). ``options``: ``method`` (``"trap"``/``"be"``) and ``reltol`` of
    the python engine's transient; ``compat`` of the ngspice engine (ngspice's
    ``ngbehavior``, e.g. ``"ltpsa"`` for LTspice-format models using ``if``/``stp``).

    Raises
    ------
    ParameterError
        For an unknown engine.
    NetlistError
        For an analysis the circuit cannot support (the message names the line), and on the
        python engine for an ``.options`` name that changes the circuit in ngspice and that it
        does not model (``ParsedNetlist.unmodelled_options``).
    SpiceError, ConvergenceError
        From the engines.
    """
    if engine not in ENGINES:
        raise ParameterError(
            f"The 'engine' parameter of run_netlist_analyses must be one of {ENGINES}; "
            f"got {engine!r}."
        )
    analyses, origins, notes = _analyses(parsed)
    notes = list(parsed.notes) + notes
    extra: list[str] = []
    if ensure_op and not any(a[0] == "op" for a in analyses):
        analyses, origins = [("op",), *analyses], [parsed.source, *origins]
        extra = [".op"]
    if engine == "ngspice":
        return _run_ngspice(parsed, analyses, origins, notes, extra, options.get("compat"))
    unmodelled = getattr(parsed, "unmodelled_options", None)
    if unmodelled:
        # the python engine's answer would belong to another circuit (parser.ParsedNetlist)
        raise NetlistError(unmodelled[0])
    out = []
    measured = False
    for an, origin in zip(analyses, origins, strict=True):
        res = _python_analysis(parsed, an, origin, **options)
        if res.kind == "tran" and not measured and getattr(parsed, "measures", None):
            res.measures, failed = evaluate_measures(
                parsed.measures, res.axis, res.voltages, res.currents, parsed.params
            )
            notes.extend(failed)
            measured = True
        out.append(res)
    return NetlistRun(parsed.source, "python", out, notes)


# ---------------------------------------------------------------------------------------
# python engine
# ---------------------------------------------------------------------------------------
def _branch_currents(circuit: Any, currents: dict[str, Any]) -> dict[str, Any]:
    """Currents of the sources and inductors (SPICE sign: into the first node)."""
    return {e.name: currents[e.name] for e in circuit.elements if e.kind in "VIEFGHBL"}


def _python_analysis(
    parsed: Any, an: tuple[Any, ...], origin: str, **options: Any
) -> AnalysisResult:
    c = parsed.circuit
    kind = an[0]
    if kind == "op":
        op = operating_point(c)
        return AnalysisResult(
            "op",
            origin,
            "",
            np.zeros(0),
            {k: np.array([v]) for k, v in op.voltages.items()},
            {k: np.array([v]) for k, v in _branch_currents(c, op.currents).items()},
        )
    if kind == "tran":
        _tstep, tstop, uic = an[1], an[2], an[3]
        tstep = an[1]
        tmax = min(tstep, tstop / 50)
        tr = transient(
            c,
            tstop,
            tmax,
            method=options.get("method", "trap"),
            adaptive=True,
            uic=bool(uic),
            reltol=options.get("reltol", 1e-4),
            max_step=tmax,
        )
        return AnalysisResult(
            "tran",
            origin,
            "time",
            np.asarray(tr.time),
            {k: np.asarray(v) for k, v in tr.voltages.items()},
            {k: np.asarray(v) for k, v in _branch_currents(c, tr.currents).items()},
        )
    if kind == "dc":
        return _dc_sweep(parsed, an[1], origin)
    if kind == "ac":
        return _ac(parsed, an, origin)
    raise NetlistError(f"{origin}: analysis {kind!r} is not supported")  # pragma: no cover


def sweep_points(start: float, stop: float, step: float) -> NDArray[np.float64]:
    """Ngspice's DC sweep points: start, start+step, ... up to stop (inclusive)."""
    n = int(math.floor((stop - start) / step * (1 + 1e-12) + 1e-9)) + 1
    return start + step * np.arange(n)


def _dc_sweep(
    parsed: Any, sweeps: tuple[tuple[str, float, float, float], ...], origin: str
) -> AnalysisResult:
    if len(sweeps) != 1:
        raise NetlistError(f"{origin}: .dc with two sweeps is not supported (one source or TEMP)")
    src, start, stop, step = sweeps[0]
    pts = sweep_points(start, stop, step)
    volts: dict[str, list[float]] = {}
    curs: dict[str, list[float]] = {}
    guess: dict[str, float] | None = None
    if src == "temp":
        circuits = [
            parse_netlist(parsed.text, parsed.source, temperature=float(t)).circuit for t in pts
        ]
    else:
        c = parsed.circuit
        names = {e.name.lower(): e.name for e in c.elements if e.kind in "VI"}
        if src not in names:
            raise NetlistError(f"{origin}: .dc source {src!r} is not an independent V or I source")
        original = c.element(names[src]).value
        circuits = [c] * len(pts)
    for k, c in enumerate(circuits):
        if src != "temp":
            c.set_value(names[src], float(pts[k]))
        try:
            op = operating_point(c, initial=guess)
        finally:
            if src != "temp" and k == len(pts) - 1:
                c.set_value(names[src], original)
        guess = {nd: val for nd, val in op.voltages.items()}
        for nd, val in op.voltages.items():
            volts.setdefault(nd, []).append(val)
        for nm, val in _branch_currents(c, op.currents).items():
            curs.setdefault(nm, []).append(val)
    return AnalysisResult(
        "dc",
        origin,
        src,
        pts,
        {k: np.asarray(v) for k, v in volts.items()},
        {k: np.asarray(v) for k, v in curs.items()},
    )


def ac_frequencies(sweep: str, points: int, fstart: float, fstop: float) -> NDArray[np.float64]:
    """Ngspice's AC frequency points (``dec``/``oct``: points per decade/octave; ``lin``)."""
    if sweep == "lin":
        if points == 1:
            return np.array([fstart])
        return np.linspace(fstart, fstop, points)
    base = 10.0 if sweep == "dec" else 2.0
    if fstop == fstart:
        return np.array([fstart])
    n = int(math.floor(math.log(fstop / fstart, base) * points + 1e-9)) + 1
    return fstart * base ** (np.arange(n) / points)


def _ac(parsed: Any, an: tuple[Any, ...], origin: str) -> AnalysisResult:
    """Small-signal AC: the MNA linearised at the operating point, solved per frequency."""
    c = parsed.circuit
    freqs = ac_frequencies(an[1], an[2], an[3], an[4])
    op = operating_point(c)
    comp = compiled(c)
    n = comp.size
    z = np.zeros(n)
    for nd, i in comp.index.items():
        if i >= 0 and i < comp.n:
            z[i] = op.voltages[nd]
    a_lin = comp.matrix().tocoo()
    rows = [a_lin.row]
    cols = [a_lin.col]
    data: list[NDArray[Any]] = [a_lin.data.astype(complex)]
    if comp.nonlinear:
        nl = NonlinearStamps(comp)
        nl.reset(z)
        trip, _rhs, _lim = nl.stamps(z, limit=False)
        rows.append(trip[0])
        cols.append(trip[1])
        data.append(np.asarray(trip[2], dtype=complex))
    # resistors with a separate AC value
    extra_g: list[tuple[int, int, float]] = []
    for name, rac in parsed.ac_resistance.items():
        e = c.element(name)
        dg = 1.0 / rac - 1.0 / e.value
        ia, ib = comp.index[e.p], comp.index[e.n]
        extra_g += [(ia, ia, dg), (ib, ib, dg), (ia, ib, -dg), (ib, ia, -dg)]
    # capacitances: capacitors and diode junction/diffusion charge at the operating point
    caps: list[tuple[int, int, float]] = []
    for e in c.elements:
        if e.kind == "C":
            caps.append((comp.index[e.p], comp.index[e.n], e.value))
        elif e.kind == "D" and isinstance(e.model, SpiceDiodeParams):
            dev = SpiceDiode(e.model)
            if dev.has_charge:
                vd = op.voltages[e.p] - op.voltages[e.n]
                _q, cd = dev.charge_and_capacitance(np.array([vd]))
                caps.append((comp.index[e.p], comp.index[e.n], float(cd[0])))
    for ia, ib, dg in extra_g:
        if ia >= 0 and ib >= 0:
            rows.append(np.array([ia]))
            cols.append(np.array([ib]))
            data.append(np.array([dg], dtype=complex))
    base_r = np.concatenate(rows)
    base_c = np.concatenate(cols)
    base_d = np.concatenate(data)
    rhs = np.zeros(n, dtype=complex)
    names = {e.name: e for e in c.elements}
    for k, e in enumerate(comp.vsrc):
        mag, ph = parsed.ac_sources.get(e.name, (0.0, 0.0))
        rhs[comp.vs_rows[k]] = mag * np.exp(1j * math.radians(ph))
    for e in comp.isrc:
        mag, ph = parsed.ac_sources.get(e.name, (0.0, 0.0))
        val = mag * np.exp(1j * math.radians(ph))
        ia, ib = comp.index[e.p], comp.index[e.n]
        if ia >= 0:
            rhs[ia] -= val
        if ib >= 0:
            rhs[ib] += val
    del names
    ind = [(comp.branch_row[e.name], e.value) for e in comp.ind]
    volts = {nd: np.zeros(len(freqs), dtype=complex) for nd in op.voltages}
    curs = {e.name: np.zeros(len(freqs), dtype=complex) for e in c.elements if e.kind in "VL"}
    for k, f in enumerate(freqs):
        w = 2 * math.pi * f
        r_ = [base_r]
        c_ = [base_c]
        d_ = [base_d]
        for ia, ib, cv in caps:
            y = 1j * w * cv
            for r0, c0, s in ((ia, ia, 1), (ib, ib, 1), (ia, ib, -1), (ib, ia, -1)):
                if r0 >= 0 and c0 >= 0:
                    r_.append(np.array([r0]))
                    c_.append(np.array([c0]))
                    d_.append(np.array([s * y]))
        for row, lval in ind:
            r_.append(np.array([row]))
            c_.append(np.array([row]))
            d_.append(np.array([-1j * w * lval]))
        mat = sp.csc_matrix(
            (np.concatenate(d_), (np.concatenate(r_), np.concatenate(c_))), shape=(n, n)
        )
        with np.errstate(all="ignore"):
            x = spla.spsolve(mat, rhs)
        if not np.all(np.isfinite(x)):
            raise NetlistError(f"{origin}: the AC matrix is singular at {f:g} Hz")
        for nd in volts:
            i = comp.index.get(nd, -1)
            volts[nd][k] = x[i] if i >= 0 else 0.0
        for nm in curs:
            curs[nm][k] = x[comp.branch_row[nm]]
    return AnalysisResult("ac", origin, "frequency", freqs, volts, curs)


# ---------------------------------------------------------------------------------------
# ngspice engine: the user's own text
# ---------------------------------------------------------------------------------------
def ngspice_deck(parsed: Any, extra: list[str] | None = None) -> str:
    """Return the text the ngspice engine runs: the user's netlist, analysis cards added only.

    The ``.control`` block (if any) is commented out and its analysis commands are added as
    dot cards (with ``extra`` cards, and ``.op`` when the netlist has no analysis at all).
    """
    text = parsed.text
    cards = list(extra or []) + list(parsed.control_cards)
    if not parsed.analyses and ".op" not in cards:
        cards.append(".op")
    if parsed.control_cards:
        text = comment_out_control(text)
    return add_cards(text, cards) if cards else text


def _run_ngspice(
    parsed: Any,
    analyses: list[tuple[Any, ...]],
    origins: list[str],
    notes: list[str],
    extra: list[str],
    compat: str | None = None,
) -> NetlistRun:
    src = parsed.source
    cwd = os.path.dirname(os.path.abspath(src)) if src and not src.startswith("<") else None
    res = run_batch(ngspice_deck(parsed, extra), cwd=cwd, compat=compat)
    errors = [
        ln for ln in (res.stdout + "\n" + res.stderr).splitlines() if ln.lower().startswith("error")
    ]
    used: set[int] = set()
    out: list[AnalysisResult] = []
    for an, origin in zip(analyses, origins, strict=True):
        kind = an[0]
        k = next((i for i, p in enumerate(res.plots) if p.kind == kind and i not in used), None)
        if k is None:
            hint = ""
            if compat is None and any("no such function" in e for e in errors):
                hint = (
                    " (an LTspice/PSpice-format model? run ngspice in its compatibility mode: "
                    "compat='ltpsa', CLI --ngspice-compat ltpsa)"
                )
            raise SpiceError(
                f"{origin}: ngspice produced no {kind} result (exit status {res.returncode}); "
                + ("; ".join(errors[:5]) or res.stderr.strip()[-500:])
                + hint
            )
        used.add(k)
        plot = res.plots[k]
        axis_name = {"op": "", "tran": "time", "ac": "frequency"}.get(kind, "")
        axis = np.zeros(0)
        volts: dict[str, NDArray[Any]] = {}
        curs: dict[str, NDArray[Any]] = {}
        for name, vec in plot.vectors.items():
            # ngspice's raw file may name a DC sweep vector v(v-sweep) as well as v-sweep
            bare = name[2:-1] if name[:2] in ("v(", "i(") and name.endswith(")") else name
            if name in ("time", "frequency") or bare.endswith("-sweep"):
                axis = np.real(vec).astype(float)
                if kind == "dc":
                    axis_name = an[1][0][0]
                continue
            if name.startswith("v(") and name.endswith(")"):
                volts[name[2:-1]] = vec
            elif name.startswith("i(") and name.endswith(")"):
                curs[name[2:-1]] = vec
            else:
                volts[name] = vec
        volts.setdefault("0", np.zeros(max(1, axis.size)))
        out.append(AnalysisResult(kind, origin, axis_name, axis, volts, curs, engine="ngspice"))
    return NetlistRun(src, "ngspice", out, notes)


__all__ = [
    "AnalysisResult",
    "ENGINES",
    "NetlistRun",
    "ac_frequencies",
    "ngspice_deck",
    "run_netlist_analyses",
    "sweep_points",
]

"""Run summaries: joules per learned bit beside a context table, with honest wording.

The context figures are orders of magnitude from cited sources. They are energies per
*operation* (a floating-point operation, a synaptic event) or per *erased bit* (Landauer), not
per *learned* bit, so the table places the run's figure on a common energy scale; it does not
claim that the quantities are the same kind of thing. Each line of the summary says where its
number comes from: a simulation, a model (a cited figure of merit), an estimate, or a bound.

References
----------
.. [1] R. Landauer, "Irreversibility and heat generation in the computing process",
   IBM J. Res. Dev. 5, 183 (1961); A. Bérut et al., Nature 483, 187 (2012) (measured).
.. [2] NVIDIA H100 Tensor Core GPU datasheet (2023): 700 W board power (SXM) for ~67 TFLOP/s
   FP32 dense, i.e. ~1e-11 J per FP32 operation at full load; M. Horowitz, "Computing's energy
   problem", ISSCC 2014 (45 nm: 3.7 pJ per 32-bit float multiply, arithmetic alone).
.. [3] D. Attwell, S. B. Laughlin, "An energy budget for signaling in the grey matter of the
   brain", J. Cereb. Blood Flow Metab. 21, 1133 (2001); P. Lennie, "The cost of cortical
   computation", Curr. Biol. 13, 493 (2003): ~20 W for ~1e15 synaptic events per second,
   i.e. ~2e-14 J per synaptic event; the table gives its order of magnitude, 1e-14 J.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from thermolearn.physics import T_ROOM, landauer_limit

__all__ = [
    "ContextFigure",
    "context_table",
    "format_summary",
    "format_energy",
    "energy_breakdown_figure",
    "accuracy_figure",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ContextFigure:
    """One line of the context table.

    Attributes
    ----------
    name : str
    joules : float
        Energy in J per ``unit``.
    unit : str
        What the energy is counted per.
    kind : str
        ``"measured/datasheet"``, ``"estimate"`` or ``"bound"``.
    citation : str
    """

    name: str
    joules: float
    unit: str
    kind: str
    citation: str


def context_table(temperature: float = T_ROOM) -> list[ContextFigure]:
    """Return the context figures (GPU, brain, Landauer at ``temperature``)."""
    return [
        ContextFigure(
            name="GPU (H100, FP32)", joules=1e-11, unit="FP32 operation",
            kind="datasheet (board power / peak rate)",
            citation="NVIDIA H100 datasheet 2023; Horowitz ISSCC 2014"),
        ContextFigure(
            name="brain", joules=1e-14, unit="synaptic event", kind="estimate (order of magnitude)",
            citation="Attwell & Laughlin 2001; Lennie 2003"),
        ContextFigure(
            name=f"Landauer limit at {temperature:g} K", joules=landauer_limit(temperature),
            unit="erased bit", kind="bound (kT ln 2)", citation="Landauer 1961; Berut et al. 2012"),
    ]


def format_energy(joules: float | None) -> str:
    """Format an energy in J with an engineering prefix (``None`` -> ``"n/a"``)."""
    if joules is None or not math.isfinite(joules):
        return "n/a"
    if joules == 0:
        return "0 J"
    prefixes = [(1e0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f"),
                (1e-18, "a"), (1e-21, "z"), (1e-24, "y")]
    for scale, p in prefixes:
        if abs(joules) >= scale:
            return f"{joules / scale:.3g} {p}J"
    return f"{joules:.3g} J"


def format_summary(report: Mapping[str, Any], *, title: str | None = None) -> str:
    """Plain-text summary of a :func:`~thermolearn.information.joules_per_bit_report` dict.

    Lines: the simulated energy, bits learned per estimator (the default named), joules per
    learned bit and its ratio to kT ln 2, the largest categories, and the context table with
    the run's figure placed beside each context figure.
    """
    temp = float(report.get("temperature_K", T_ROOM))
    kt_ln2 = float(report.get("landauer_joules_per_bit", landauer_limit(temp)))
    lines: list[str] = []
    if title:
        lines += [title, "=" * len(title)]
    src = dict(report.get("energy_by_source") or {})
    parts = ", ".join(f"{k} {format_energy(v)}" for k, v in src.items()) or "source not given"
    lines.append(f"energy of learning (ledger total): {format_energy(report.get('energy_joules'))}"
                 f" [{parts}]")
    default = report.get("default_estimator")
    for name, bits in dict(report.get("bits_learned", {})).items():
        tag = " (default)" if name == default else ""
        lines.append(f"bits learned, {name}{tag} (estimate): {bits:.4g} bit")
    jpb = report.get("joules_per_bit")
    if jpb is None:
        lines.append(f"joules per learned bit: n/a — {report.get('joules_per_bit_note') or ''}"
                     .rstrip(" —"))
    else:
        ratio = report.get("landauer_ratio")
        lines.append(f"joules per learned bit: {format_energy(jpb)}/bit = "
                     f"{ratio:.3g} × kT ln 2 ({format_energy(kt_ln2)} at {temp:g} K)")
        cats = {k: v for k, v in dict(report.get("joules_per_bit_by_category", {})).items()
                if v is not None}
        for cat, v in list(cats.items())[:5]:
            lines.append(f"  of which {cat}: {format_energy(v)}/bit")
    lines.append("")
    lines.append("context (orders of magnitude; per operation or per erased bit, "
                 "not per learned bit):")
    width = max(len(c.name) for c in context_table(temp))
    for c in context_table(temp):
        rel = "" if jpb is None else f"   run J/bit ÷ this = {jpb / c.joules:.2g}"
        lines.append(f"  {c.name:<{width}}  {c.joules:.2g} J per {c.unit} [{c.kind}; "
                     f"{c.citation}]{rel}")
    lines.append("")
    lines.append("A bound is a bound: kT ln 2 is the minimum heat of erasing one bit, not a "
                 "prediction of this circuit's dissipation. A simulation is a simulation: the "
                 "energy is what the simulated circuit and its modelled converters dissipate, "
                 "and the bits are estimates of what was learned about the labels.")
    return "\n".join(lines)


#: Bar colours and legend names of the ledger's energy sources (STYLE: every energy figure says
#: where it comes from).
SOURCE_STYLE = {
    "simulated": ("tab:blue", "", "simulated (integral of I·V dt in the circuit)"),
    "model": ("tab:orange", "//", "modelled (converter/amplifier figure of merit)"),
}


def energy_breakdown_figure(
    rows: Sequence[Mapping[str, Any]], title: str, *, empty_note: str | None = None
) -> Any:
    """Horizontal bars of dissipated joules per ledger category, marked by source.

    ``rows`` are :meth:`thermolearn.energy.EnergyLedger.rows` (bounds and reversible entries
    are skipped: they are not dissipation). Simulated and modelled figures get their own colour,
    hatch and legend entry. With nothing booked the axes show ``empty_note`` ("not booked")
    instead of empty bars; the energy axis is logarithmic only when every bar is > 0.
    Returns the matplotlib Figure (the caller saves and closes it).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = sorted(
        ((str(r["category"]), str(r["source"]), float(r["joules"])) for r in rows
         if r["source"] in SOURCE_STYLE and not r["reversible"]),
        key=lambda b: b[2],
    )
    fig, ax = plt.subplots(figsize=(7.5, 1.6 + 0.35 * max(len(bars), 3)))
    ax.set_title(title, fontsize=9)
    if not bars:
        ax.text(0.5, 0.5, empty_note or "not booked: no energy was recorded for this run",
                ha="center", va="center", transform=ax.transAxes, fontsize=10, wrap=True)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.tight_layout()
        return fig
    y = np.arange(len(bars))
    seen: set[str] = set()
    for k, (_cat, src, joules) in enumerate(bars):
        colour, hatch, name = SOURCE_STYLE[src]
        ax.barh(y[k], joules, color=colour, hatch=hatch, edgecolor="k", lw=0.4,
                label=None if src in seen else name)
        seen.add(src)
    ax.set_yticks(y, [f"{cat} ({src})" for cat, src, _ in bars], fontsize=8)
    if all(b[2] > 0 for b in bars):
        ax.set_xscale("log")
    ax.set_xlabel("energy dissipated over the run (J)")
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: labels[i])[::-1]  # simulated first
    ax.legend([handles[i] for i in order], [labels[i] for i in order], fontsize=7,
              loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def accuracy_figure(history: Sequence[Mapping[str, Any]], title: str) -> Any:
    """Train and test accuracy per epoch (``history`` rows with ``epoch`` and accuracies)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    ep = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.plot(ep, [100 * h["train_accuracy"] for h in history], "o-", label="train")
    ax.plot(ep, [100 * h["test_accuracy"] for h in history], "s-", label="test (held out)")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("accuracy (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig

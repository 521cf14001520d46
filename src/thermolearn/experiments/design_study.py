"""Crossbar design study: the sweep of :mod:`thermolearn.crossbar.design` with its files.

:func:`run_design_sweep` runs :func:`thermolearn.crossbar.design.sweep` and writes
``design.json``, ``error_vs_size.png`` and ``cell_voltage_heatmap.png`` (the largest array at
the largest wire resistance). The plotting lives here so that the library layers
(``crossbar/``) never import matplotlib.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.crossbar.design import DesignPoint, sweep

Array = NDArray[np.float64]


def run_design_sweep(
    sizes: Sequence[tuple[int, int]],
    r_wires: Sequence[float],
    *,
    out_dir: str | Path,
    v_read: float = 0.2,
    **sweep_kwargs: Any,
) -> dict[str, Any]:
    """Run the design sweep and write ``design.json`` and the two plots into ``out_dir``.

    Keyword arguments are those of :func:`thermolearn.crossbar.design.sweep`; returns its
    result.
    """
    maps: dict[tuple[int, int, float, str], Array] = {}
    result = sweep(sizes, r_wires, v_read=v_read, voltage_maps=maps, **sweep_kwargs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "design.json").write_text(json.dumps(result, indent=2) + "\n")
    points = [DesignPoint(**p) for p in result["points"]]
    plot_design(points, maps, out, v_read)
    return result


def plot_design(
    points: list[DesignPoint],
    maps: dict[tuple[int, int, float, str], Array],
    out: Path,
    v_read: float,
) -> None:
    """Write ``error_vs_size.png`` and ``cell_voltage_heatmap.png`` into ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    device = points[0].device if points else "?"
    run = f"crossbar design '{out.name}': device {device}, v_read {v_read:g} V"
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.8))
    zero: list[str] = []
    for ci, cell in enumerate(sorted({p.cell for p in points})):
        for ri, r in enumerate(sorted({p.r_wire for p in points})):
            pts = sorted(
                (p for p in points if p.cell == cell and p.r_wire == r),
                key=lambda p: p.rows * p.cols,
            )
            label = f"{cell}, r_wire {r:g} Ω"
            for k, attr in enumerate(("ir_drop_error", "sneak_path_error")):
                # a log axis shows only errors that exist: exact zeros (no wire resistance)
                # are listed in a note instead of being drawn at an invented floor
                xy = [
                    (np.sqrt(p.rows * p.cols), getattr(p, attr))
                    for p in pts
                    if getattr(p, attr) > 0
                ]
                if len(xy) < len(pts):
                    zero.append(f"{'IR drop' if k == 0 else 'sneak'}: {label}")
                if xy:
                    # marker per cell, line style per r_wire: overlapping curves stay visible
                    ax[k].plot(
                        *zip(*xy, strict=True),
                        marker="os^"[ci % 3],
                        ls=("-", "--", ":", "-.")[ri % 4],
                        mfc="none",
                        label=label,
                    )
    titles = ("IR-drop error of a VMM", "sneak-path error of a single-cell read")
    ylabels = (
        "relative RMS error of column currents (ΔI/I)",
        "relative error of the read current (ΔI/I)",
    )
    for k, a in enumerate(ax):
        a.set_xscale("log", base=2)
        if any(line.get_ydata().size for line in a.get_lines()):
            a.set_yscale("log")
            a.legend(fontsize=7, loc="best", framealpha=0.6)
        a.set_xlabel("array size √(rows·cols) (cells per line)")
        a.set_ylabel(ylabels[k])
        a.set_title(titles[k], fontsize=10)
        notes = [z.split(": ", 1)[1] for z in zero if z.startswith(("IR", "sneak")[k])]
        if notes:
            a.text(
                0.0,
                -0.2,
                "exactly 0, so not on the log axis: " + "; ".join(notes),
                transform=a.transAxes,
                fontsize=7,
                va="top",
            )
    fig.suptitle(run, fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "error_vs_size.png", dpi=120)
    plt.close(fig)
    key = max(maps, key=lambda k: (k[0] * k[1], k[2]))
    fig, ax = plt.subplots(figsize=(5.5, 4.4))
    im = ax.imshow(maps[key] / v_read, cmap="viridis", aspect="auto")
    fig.colorbar(im, ax=ax, label="cell voltage / v_read (1 = no IR drop)")
    ax.set_title(
        f"{run}\n{key[3]} {key[0]}x{key[1]}, r_wire {key[2]:g} Ω: cell voltages", fontsize=8
    )
    ax.set_xlabel("column (bit line index)")
    ax.set_ylabel("row (word line index)")
    fig.tight_layout()
    fig.savefig(out / "cell_voltage_heatmap.png", dpi=120)
    plt.close(fig)


__all__ = ["plot_design", "run_design_sweep"]

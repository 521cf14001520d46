"""Crossbar design sweeps: IR-drop error, sneak-path error, energy per MAC and read latency.

For every (size, wire resistance, cell type) the sweep builds a :class:`CrossbarArray` with
random conductances and measures:

- **IR-drop error**: RMS over a batch of random input vectors of the column-current error
  relative to the ideal ``Gᵀ v``, normalised by the RMS ideal current (all lines driven, TIA
  readout).
- **Sneak-path error**: the classic memory read of one cell — its row at ``v_read``, its
  column at the TIA, every other line floating — with the worst-case pattern (selected cell
  at g_min, all others at g_max, far corner from the periphery); the relative error of the
  sensed current against ``G_sel · v_read``. Access transistors (1T1R, unselected rows off)
  and selectors (1S1R) suppress it.
- **Energy per MAC**: everything one VMM books (cells, wires, drivers, line charging, DAC, ADC,
  TIA), divided by rows × cols.
- **Read latency**: 2.2 × the Elmore delay of a driven row plus a sensed column, each a
  distributed RC line of ``n`` segments ``r_wire``, ``c_wire`` behind the driver resistance:
  τ = r_d·n·c + r·c·n(n+1)/2.

References
----------
.. [1] A. Chen, IEEE Trans. Electron Devices 60(4), 1318 (2013) (line resistance, sneak paths).
.. [2] W. C. Elmore, "The transient response of damped linear networks with particular
   regard to wideband amplifiers," J. Appl. Phys. 19, 55 (1948).
.. [3] J. Rabaey, A. Chandrakasan, B. Nikolić, *Digital Integrated Circuits*, 2nd ed.
   (Prentice Hall, 2003), ch. 4 (distributed RC line, 0.38 RC for 50 %, 2.2 τ for 10-90 %).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.crossbar.array import CrossbarArray
from thermolearn.crossbar.array_solver import CrossbarNetwork
from thermolearn.devices import MEMRISTOR_MODELS, LinearConductance
from thermolearn.errors import ParameterError
from thermolearn.validation import check_int, check_nonnegative, check_positive

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class DesignPoint:
    """Figures of one array design (SI units)."""

    rows: int
    cols: int
    r_wire: float
    cell: str
    device: str
    ir_drop_error: float
    sneak_path_error: float
    energy_per_mac: float
    energy_breakdown_per_mac: dict[str, float]
    read_latency: float
    min_cell_voltage_fraction: float
    solve_seconds: float


def elmore_delay(n: int, r_wire: float, c_wire: float, r_driver: float = 0.0) -> float:
    """Elmore delay (s) of a line of ``n`` RC segments driven through ``r_driver``.

    τ = r_driver·n·c + r·c·n(n+1)/2 (each segment's resistance times the capacitance
    downstream of it).
    """
    n = check_int(n, "n", "elmore_delay", minimum=1)
    r = check_nonnegative(r_wire, "r_wire", "elmore_delay", "ohm")
    c = check_nonnegative(c_wire, "c_wire", "elmore_delay", "F")
    rd = check_nonnegative(r_driver, "r_driver", "elmore_delay", "ohm")
    return rd * n * c + r * c * n * (n + 1) / 2.0


def device_range(device: str, v_read: float = 0.2) -> tuple[Any, float, float]:
    """(model, g_min, g_max) for a device name: ``"ideal"`` or a memristor model name.

    The window is the chord conductance I(v_read)/v_read at the two state bounds, i.e. at
    the same read voltage at which :class:`CrossbarArray` maps conductances to states.
    """
    if device == "ideal":
        return LinearConductance(g_min=1e-6, g_max=1e-4), 1e-6, 1e-4
    if device not in MEMRISTOR_MODELS:
        raise ParameterError(
            f"The 'device' parameter of the crossbar design must be 'ideal' or one of "
            f"{sorted(MEMRISTOR_MODELS)}; got {device!r}."
        )
    model = MEMRISTOR_MODELS[device]()
    lo, hi = model.state_bounds
    vr = check_positive(v_read, "v_read", "device_range", "V")
    g = np.asarray(model.conductance(np.array([lo, hi]), vr), dtype=float)
    return model, float(np.min(g)), float(np.max(g))


def _array(
    rows: int, cols: int, r_wire: float, cell: str, device: str, seed: int, **kw: Any
) -> Any:
    model, g_min, g_max = device_range(device, float(kw.get("v_read", 0.2)))
    xb = CrossbarArray(
        rows,
        cols,
        device=model,
        g_min=g_min,
        g_max=g_max,
        r_wire=r_wire,
        cell=cell,
        rng=np.random.default_rng(seed),
        **kw,
    )
    rng = np.random.default_rng(seed)
    xb.program_conductances(rng.uniform(g_min, g_max, (rows, cols)), verify=False)
    xb.ledger.clear()
    return xb


def sneak_path_error(xb: Any) -> float:
    """Relative error of a single-cell read with floating unselected lines (worst case).

    Programs a copy of the conductance pattern: selected cell (0, cols−1) — the farthest from
    both peripheries — at g_min, all others at g_max; reads it with its row at ``v_read`` and
    its column at the TIA (1T1R: only row 0's transistors on). Restores nothing (call on a
    scratch array).
    """
    m, n = xb.rows, xb.cols
    i, j = 0, n - 1
    g = np.full((m, n), xb.g_max)
    g[i, j] = xb.g_min
    xb.program_conductances(g, verify=False)
    g = xb.conductances
    rr = np.full(m, np.inf)
    cr = np.full(n, np.inf)
    rr[i] = xb.r_driver
    cr[j] = 0.0
    if xb.cell == "1T1R":
        access = np.full((m, n), xb.r_access_off)
        access[i, :] = xb.r_access
        geff = 1.0 / (1.0 / g + access)
    else:
        geff = xb._effective(g)
    net = CrossbarNetwork(geff, r_wire=xb.r_wire, row_r_term=rr, col_r_term=cr)
    u_row = np.zeros(m)
    u_row[i] = xb.v_read
    u_col = np.zeros(n)
    if xb.cell == "1S1R":
        sol = net.solve_nonlinear(u_row, u_col, xb._law(g))
        # the selector alone limits the ideal current too: reference = isolated 1S1R cell
        ref = float(xb._law(np.array([g[i, j]]))(np.array([xb.v_read]))[0][0])
    else:
        sol = net.solve(u_row, u_col)
        ref = float(geff[i, j] * xb.v_read)
    return float(abs(sol.i_col[0, j] - ref) / abs(ref))


def evaluate(
    rows: int,
    cols: int,
    r_wire: float,
    *,
    cell: str = "1R",
    device: str = "ideal",
    seed: int = 0,
    vectors: int = 8,
    r_driver: float = 0.0,
    c_wire: float = 1e-16,
    v_read: float = 0.2,
    t_read: float = 10e-9,
) -> tuple[DesignPoint, Array]:
    """Measure one design; return its :class:`DesignPoint` and the cell-voltage map (V).

    The map is the cell voltages of an all-``v_read`` input (its IR-drop pattern).
    """
    check_int(vectors, "vectors", "evaluate", minimum=1)
    check_positive(v_read, "v_read", "evaluate", "V")
    kw = dict(r_driver=r_driver, c_wire=c_wire, v_read=v_read, t_read=t_read)
    xb = _array(rows, cols, r_wire, cell, device, seed, **kw)
    rng = np.random.default_rng(seed + 1)
    v = rng.uniform(0.0, v_read, (vectors, rows))
    t0 = time.perf_counter()
    out = xb.read(v)
    dt = time.perf_counter() - t0
    geff = xb._effective(xb.conductances)
    if cell == "1S1R":
        ideal = np.stack(
            [
                xb._law(np.tile(xb.conductances.ravel(), 1))(np.repeat(vv, cols))[0]
                .reshape(rows, cols)
                .sum(axis=0)
                for vv in v
            ]
        )
    else:
        ideal = v @ geff
    err = float(np.sqrt(np.mean((out - ideal) ** 2)) / np.sqrt(np.mean(ideal**2)))
    energy = xb.ledger.breakdown()
    per_mac = {k: e / (vectors * rows * cols) for k, e in energy.items()}
    sol = xb.solve(np.full(rows, v_read))
    vmap = sol.v_cell[0]
    lat = 2.2 * (elmore_delay(cols, r_wire, c_wire, r_driver) + elmore_delay(rows, r_wire, c_wire))
    sneak = sneak_path_error(_array(rows, cols, r_wire, cell, device, seed, **kw))
    point = DesignPoint(
        rows=rows,
        cols=cols,
        r_wire=float(r_wire),
        cell=cell,
        device=device,
        ir_drop_error=err,
        sneak_path_error=sneak,
        energy_per_mac=float(sum(per_mac.values())),
        energy_breakdown_per_mac=per_mac,
        read_latency=lat,
        min_cell_voltage_fraction=float(np.min(vmap) / v_read),
        solve_seconds=dt,
    )
    return point, vmap


def sweep(
    sizes: Sequence[tuple[int, int]],
    r_wires: Sequence[float],
    *,
    cells: Sequence[str] = ("1R",),
    device: str = "ideal",
    seed: int = 0,
    vectors: int = 8,
    r_driver: float = 0.0,
    c_wire: float = 1e-16,
    v_read: float = 0.2,
    progress: bool = False,
    voltage_maps: dict[tuple[int, int, float, str], Array] | None = None,
) -> dict[str, Any]:
    """Sweep sizes × wire resistances × cell types.

    Writing files and plotting belong to
    :func:`thermolearn.experiments.design_study.run_design_sweep`.

    Returns
    -------
    dict
        ``{"points": [DesignPoint as dict, ...], "settings": {...}}``. ``voltage_maps``, when
        given, receives each design's mean cell-voltage map keyed by (rows, cols, r_wire, cell).
    """
    if not sizes or not r_wires or not cells:
        raise ParameterError("crossbar design sweep needs at least one size, r_wire and cell.")
    points: list[DesignPoint] = []
    for cell in cells:
        for rows, cols in sizes:
            for r in r_wires:
                p, vmap = evaluate(
                    rows,
                    cols,
                    r,
                    cell=cell,
                    device=device,
                    seed=seed,
                    vectors=vectors,
                    r_driver=r_driver,
                    c_wire=c_wire,
                    v_read=v_read,
                )
                points.append(p)
                if voltage_maps is not None:
                    voltage_maps[(rows, cols, r, cell)] = vmap
                if progress:
                    print(
                        f"{cell:5s} {rows:4d}x{cols:<4d} r_wire={r:<6g} "
                        f"IR err={p.ir_drop_error:.3e} (rel.) "
                        f"sneak err={p.sneak_path_error:.3e} (rel.) "
                        f"E/MAC={p.energy_per_mac:.3e} J "
                        f"latency={p.read_latency:.3e} s",
                        flush=True,
                    )
    result: dict[str, Any] = {
        "settings": {
            "device": device,
            "seed": seed,
            "vectors": vectors,
            "r_driver": r_driver,
            "c_wire": c_wire,
            "v_read": v_read,
            "cells": list(cells),
            "energy_sources": "read/wire(I^2R)/driver/sense: simulated; wire line charging, "
            "dac, adc, amplifier: model (thermolearn.devices.peripherals)",
        },
        "points": [asdict(p) for p in points],
    }
    return result


__all__ = ["DesignPoint", "elmore_delay", "device_range", "sneak_path_error", "evaluate", "sweep"]

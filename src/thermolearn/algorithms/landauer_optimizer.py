"""An energy-aware optimizer whose updates are programmed into simulated hardware.

Each parameter lives in an analog cell with ``levels`` quantised values in [w_min, w_max].
An update w <- w - lr * g moves a cell by an integer number of levels, |Delta l|, and is
written with |Delta l| identical programming pulses on the cell's programming line: a driver
of output resistance R charges the line capacitance C (wire plus device) to ``v_program``
and then releases it. The line is simulated as an RC circuit with the circuit engine
(:func:`thermolearn.circuit.transient`, Python engine) and the energy lost in R is the
integral of i^2 R over the simulated transient:

* charge: a linear ramp 0 -> V of duration T = ``adiabatic_factor`` x RC (factor 0: a step);
  the loss follows (RC/T) C V^2 [1 - (RC/T)(1 - e^{-T/RC})] (:func:`thermolearn.physics.
  rc_ramp_loss`), tending to ½ C V^2 for a step and (RC/T) C V^2 for slow ramps [1]_;
* release with ``use_reversible=True``: a ramp V -> 0 of the same duration returns the stored
  ½ C V^2 (minus the same ramp loss) to the driver (booked as reversible energy);
* release with ``use_reversible=False``: the line is dumped to ground through R, which
  dissipates the stored ½ C V^2 whatever the ramp.

Because the RC line is linear, the loss of a pulse of amplitude V is the simulated loss at
1 V times V^2; the unit-amplitude transients are simulated once per ramp time and cached.

Bits erased (Landauer): with ``use_reversible=False`` the increment is discarded after the
write, and the Landauer cost of the overwrite is the conditional entropy H(old | new) of the
cell levels [3]_: what the new contents no longer tell about the old ones. It is estimated per
update from the increments of all cells (:func:`thermolearn.information.overwrite_erased_bits`,
the cells of one tensor taken as samples of one overwrite distribution), not as log2(levels)
per changed cell, which would count every changed cell as if its old value had been uniformly
unknown given the new one. With ``use_reversible=True`` the
increments are kept (the write w -> w + Delta is then invertible), and only clipping at the
range ends is many-to-one: a cell erases log2(n_pre) bits, n_pre being the number of old
levels that the same clipped increment maps to its new level. (Keeping the increments needs
memory that must itself be erased eventually; that cost is outside this count.)

References
----------
.. [1] W. C. Athas, L. J. Svensson, J. G. Koller, N. Tzartzanis, E. Y.-C. Chou,
   "Low-power digital systems based on adiabatic-switching principles", IEEE Trans. VLSI
   Syst. 2, 398 (1994).
.. [2] R. Landauer, IBM J. Res. Dev. 5, 183 (1961); C. H. Bennett, IBM J. Res. Dev. 17, 525
   (1973) (reversible computation keeps the history).
.. [3] T. Sagawa, J. Stat. Mech. (2014) P03025 (a deterministic map X -> Y costs at least
   kT ln 2 · H(X | Y)).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.circuit import PWL, Circuit, transient
from thermolearn.energy import EnergyLedger
from thermolearn.errors import ParameterError
from thermolearn.information import overwrite_erased_bits
from thermolearn.physics import T_ROOM, landauer_limit, rc_ramp_loss
from thermolearn.validation import (
    check_int,
    check_nonnegative,
    check_positive,
    finite_array,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgrammingLine:
    """The programming path of one cell: driver resistance and line + device capacitance.

    Parameters
    ----------
    r_driver : float
        Driver output resistance plus wire resistance, ohm (default 10 kΩ).
    c_line : float
        Programming-line capacitance, F (default 20 fF: a ~100-cell crossbar line at about
        0.2 fF per cell).
    c_device : float
        Device capacitance, F (default 1 fF).
    v_program : float
        Programming pulse amplitude, V (default 1.0 V).
    hold : float
        Time the cell is held at ``v_program`` between the ramps, in units of RC (default 5);
        part of the pulse time, not of the loss (the line is settled then).
    """

    r_driver: float = 10e3
    c_line: float = 20e-15
    c_device: float = 1e-15
    v_program: float = 1.0
    hold: float = 5.0

    def __post_init__(self) -> None:
        check_positive(self.r_driver, "r_driver", "ProgrammingLine", "ohm")
        check_positive(self.c_line, "c_line", "ProgrammingLine", "F")
        check_nonnegative(self.c_device, "c_device", "ProgrammingLine", "F")
        check_positive(self.v_program, "v_program", "ProgrammingLine", "V")
        check_nonnegative(self.hold, "hold", "ProgrammingLine", "RC")

    @property
    def capacitance(self) -> float:
        """Total capacitance C = c_line + c_device (F)."""
        return self.c_line + self.c_device

    @property
    def rc(self) -> float:
        """Time constant RC (s)."""
        return self.r_driver * self.capacitance


@dataclass(frozen=True, slots=True)
class PulseEnergy:
    """Measured energies (J) of one programming pulse at amplitude ``voltage``."""

    ramp_time: float
    pulse_time: float
    voltage: float
    charge_loss: float
    release_loss: float
    recovered: float
    stored: float
    reversible: bool

    @property
    def dissipated(self) -> float:
        """Total energy dissipated per pulse (J)."""
        return self.charge_loss + self.release_loss


def _trapz(y: NDArray[np.float64], t: NDArray[np.float64]) -> float:
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(t)))


def _line_transient(
    line: ProgrammingLine, v_start: float, v_end: float, ramp: float, settle: float,
    points_per_rc: int,
) -> tuple[float, float]:
    """Simulate one ramp of the driver on the RC line; return (loss in R, driver energy).

    The driver goes v_start -> v_end in ``ramp`` s with the line starting at v_start, then
    holds for ``settle`` RC. Energies in J.
    """
    rc = line.rc
    t_stop = ramp + settle * rc
    src = PWL(times=(0.0, ramp), values=(v_start, v_end))
    c = Circuit("programming line")
    c.add_vsource("VDRV", "drv", "0", dc=v_start, waveform=src)
    c.add_resistor("RDRV", "drv", "line", line.r_driver)
    c.add_capacitor("CLINE", "line", "0", line.capacitance, ic=v_start)
    dt = max(min(ramp, rc) / points_per_rc, rc / 1000.0)
    tr = transient(c, t_stop, dt, engine="python", method="trap")
    t = np.asarray(tr.time)
    i = np.asarray(tr.currents["RDRV"])
    vs = np.asarray(tr.v("drv"))
    return _trapz(i * i * line.r_driver, t), _trapz(vs * i, t)


@functools.lru_cache(maxsize=256)
def _cached_pulse(line: ProgrammingLine, ramp_time: float, reversible: bool,
                  voltage: float) -> PulseEnergy:
    return simulate_pulse(line, ramp_time, reversible=reversible, voltage=voltage)


def simulate_pulse(
    line: ProgrammingLine,
    ramp_time: float,
    *,
    reversible: bool,
    voltage: float = 1.0,
    settle: float = 12.0,
    points_per_rc: int = 100,
) -> PulseEnergy:
    """Simulate one programming pulse on the RC line with the circuit engine.

    Two transients: the charge, in which the driver goes 0 -> V in ``ramp_time`` (a step,
    and any ramp shorter than RC/200, is modelled as a ramp of RC/200, whose loss is within
    0.2 % of ½ C V^2) and holds for ``settle`` RC so the tail is included; and the release
    from a line at V, in which the driver returns V -> 0 by the same ramp (reversible) or by
    a step (irreversible dump through R), again followed by ``settle`` RC. The losses are
    integrals of i^2 R over the simulated current (trapezoidal method, fixed step
    max(min(T, RC)/``points_per_rc``, RC/1000)). The reported pulse time is
    ramp up + ``line.hold`` RC + release ramp (the cell must see V for the hold time).
    """
    rc = line.rc
    t_ramp = check_nonnegative(ramp_time, "ramp_time", "simulate_pulse", "s")
    step_rise = rc / 200.0
    t_up = max(t_ramp, step_rise)
    t_down = t_up if reversible else step_rise
    v = float(voltage)
    charge_loss, _ = _line_transient(line, 0.0, v, t_up, settle, points_per_rc)
    release_loss, delivered = _line_transient(line, v, 0.0, t_down, settle, points_per_rc)
    stored = 0.5 * line.capacitance * v * v
    return PulseEnergy(
        ramp_time=t_ramp, pulse_time=t_up + line.hold * rc + t_down, voltage=v,
        charge_loss=charge_loss, release_loss=release_loss, recovered=max(-delivered, 0.0),
        stored=stored, reversible=reversible,
    )


def speed_energy_curve(
    line: ProgrammingLine,
    adiabatic_factors: Sequence[float],
    *,
    reversible: bool = True,
) -> list[dict[str, float]]:
    """Energy per pulse vs pulse time measured on the circuit for several ramp times.

    Returns one dict per factor with ``adiabatic_factor``, ``ramp_time_s``, ``pulse_time_s``,
    ``energy_J`` (dissipated per pulse), ``charge_loss_J``, ``release_loss_J``,
    ``closed_form_charge_J`` (rc_ramp_loss, for comparison), ``energy_x_time_Js``.
    """
    out = []
    for a in adiabatic_factors:
        f = check_nonnegative(a, "adiabatic_factors", "speed_energy_curve")
        pe = _cached_pulse(line, f * line.rc, reversible, line.v_program)
        out.append({
            "adiabatic_factor": f, "ramp_time_s": pe.ramp_time, "pulse_time_s": pe.pulse_time,
            "energy_J": pe.dissipated, "charge_loss_J": pe.charge_loss,
            "release_loss_J": pe.release_loss, "recovered_J": pe.recovered,
            "closed_form_charge_J": rc_ramp_loss(line.r_driver, line.capacitance,
                                                 line.v_program, pe.ramp_time),
            "energy_x_time_Js": pe.dissipated * pe.pulse_time,
        })
    return out



class LandauerOptimizer:
    """SGD whose updates are programmed into simulated analog cells, with an energy account.

    Parameters
    ----------
    lr : float
        Learning rate.
    temperature : float
        Temperature (K) of the Landauer bound kT ln 2.
    use_reversible : bool
        Release the programming line by a ramp that returns the stored energy to the driver
        and keep the increments (only clipping erases bits); otherwise dump the line to
        ground and overwrite the old values.
    adiabatic_factor : float
        Ramp time in units of the line's RC (0: step).
    line : ProgrammingLine, optional
        The programming path of every cell.
    levels : int
        Number of quantised levels per cell (default 256, 8 bits).
    w_range : tuple of float
        Parameter range [w_min, w_max] mapped onto the levels.
    ledger : EnergyLedger, optional
        Where energies are booked (a new one at ``temperature`` by default).

    Examples
    --------
    >>> import numpy as np
    >>> opt = LandauerOptimizer(0.1, 300.0, use_reversible=True, adiabatic_factor=10.0)
    >>> w = opt.step(np.array([1.0, -1.0]), np.array([0.0, 0.0]))
    >>> bool(w[0] < 0 < w[1])
    True
    """

    def __init__(
        self,
        lr: float,
        temperature: float = T_ROOM,
        *,
        use_reversible: bool = False,
        adiabatic_factor: float = 1.0,
        line: ProgrammingLine | None = None,
        levels: int = 256,
        w_range: tuple[float, float] = (-1.0, 1.0),
        ledger: EnergyLedger | None = None,
    ) -> None:
        owner = "LandauerOptimizer"
        self.lr = check_positive(lr, "lr", owner)
        self.temperature = check_positive(temperature, "temperature", owner, "K")
        self.use_reversible = bool(use_reversible)
        self.adiabatic_factor = check_nonnegative(adiabatic_factor, "adiabatic_factor", owner)
        self.line = line if line is not None else ProgrammingLine()
        self.levels = check_int(levels, "levels", owner, minimum=2)
        lo, hi = float(w_range[0]), float(w_range[1])
        if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
            raise ParameterError(
                f"The 'w_range' parameter of {owner} must be finite with w_max > w_min; "
                f"got {w_range!r}."
            )
        self.w_range = (lo, hi)
        self.ledger = ledger if ledger is not None else EnergyLedger(temperature=temperature)
        self._pulse: PulseEnergy | None = None
        self.updates = 0
        self.pulses = 0
        self.cells_written = 0
        self.bits_erased = 0.0
        self.busy_time = 0.0

    # -- quantisation ------------------------------------------------------------------
    @property
    def step_size(self) -> float:
        """Parameter change per level."""
        return (self.w_range[1] - self.w_range[0]) / (self.levels - 1)

    def quantise(self, w: ArrayLike) -> NDArray[np.int64]:
        """Level indices 0..levels-1 nearest to ``w`` (clipped to the range)."""
        a = np.asarray(w, float)
        lv = np.rint((a - self.w_range[0]) / self.step_size)
        return np.clip(lv, 0, self.levels - 1).astype(np.int64)

    def dequantise(self, lv: ArrayLike) -> NDArray[np.float64]:
        """Parameter values of level indices."""
        return self.w_range[0] + np.asarray(lv, float) * self.step_size

    def pulse_energy(self) -> PulseEnergy:
        """Measured energies of one pulse at this optimizer's ramp (simulated once, cached)."""
        if self._pulse is None:
            self._pulse = _cached_pulse(
                self.line, self.adiabatic_factor * self.line.rc, self.use_reversible,
                self.line.v_program,
            )
        return self._pulse

    def _bits_erased(self, old: NDArray[np.int64], delta: NDArray[np.int64],
                     new: NDArray[np.int64]) -> float:
        if not self.use_reversible:
            return overwrite_erased_bits(old, new, self.levels)
        # preimages of the clipped map l -> clip(l + delta): levels l' with clip(l'+d) == new
        top = self.levels - 1
        n_pre = np.ones_like(new)
        hi_clip = (new == top) & (delta > 0)
        lo_clip = (new == 0) & (delta < 0)
        n_pre[hi_clip] = np.minimum(delta[hi_clip], top) + 1
        n_pre[lo_clip] = np.minimum(-delta[lo_clip], top) + 1
        return float(np.sum(np.log2(n_pre)))

    # -- the update ----------------------------------------------------------------------
    def step(self, gradient: ArrayLike | Sequence[ArrayLike],
             params: ArrayLike | Sequence[ArrayLike]) -> Any:
        """Apply w <- w - lr * gradient as programming pulses; return the new parameters.

        ``gradient`` and ``params`` are arrays of equal shape, or equal-length sequences of
        arrays (one per parameter tensor); the return value has the same structure, holding
        the quantised values actually stored in the cells.
        """
        seq = isinstance(params, list | tuple)
        ps: list[Any] = list(params) if isinstance(params, list | tuple) else [params]
        gs: list[Any] = list(gradient) if isinstance(gradient, list | tuple) else [gradient]
        if len(ps) != len(gs):
            raise ParameterError(
                "The 'gradient' argument of LandauerOptimizer.step must match 'params'; got "
                f"{len(gs)} gradients for {len(ps)} parameter arrays."
            )
        pe = self.pulse_energy()
        out = []
        n_pulses = 0
        max_pulses = 0
        bits = 0.0
        cells = 0
        for p, g in zip(ps, gs, strict=True):
            pa = finite_array(p, "params", "LandauerOptimizer.step")
            ga = finite_array(g, "gradient", "LandauerOptimizer.step")
            if pa.shape != ga.shape:
                raise ParameterError(
                    "The 'gradient' argument of LandauerOptimizer.step must have the shape of "
                    f"its parameter array; got {ga.shape} for {pa.shape}."
                )
            old = self.quantise(pa)
            desired = np.rint((pa - self.lr * ga - self.w_range[0]) / self.step_size).astype(
                np.int64) - old
            new = np.clip(old + desired, 0, self.levels - 1)
            moved = np.abs(new - old)
            n_pulses += int(moved.sum())
            max_pulses = max(max_pulses, int(moved.max(initial=0)))
            cells += int(np.count_nonzero(moved))
            bits += self._bits_erased(old, desired, new)
            out.append(self.dequantise(new).reshape(pa.shape))
        self.ledger.book("program_line_charge", pe.charge_loss * n_pulses, count=n_pulses,
                         source="simulated")
        self.ledger.book("program_line_release", pe.release_loss * n_pulses, count=n_pulses,
                         source="simulated")
        if self.use_reversible and n_pulses:
            self.ledger.book("program_line_recovered", pe.recovered * n_pulses, reversible=True,
                             count=n_pulses, source="simulated")
        self.ledger.book("landauer", 0.0, bits_erased=bits, source="bound")
        self.updates += 1
        self.pulses += n_pulses
        self.cells_written += cells
        self.bits_erased += bits
        self.busy_time += max_pulses * pe.pulse_time  # lines are driven in parallel
        return out if seq else out[0]

    def efficiency_report(self) -> dict[str, Any]:
        """Dissipation as a multiple of the Landauer bound, with its breakdown.

        Every joule figure comes from the simulated line transients (``source:
        simulated``); the bound is bits_erased x kT ln 2.
        """
        pe = self.pulse_energy()
        charge = self.pulses * pe.charge_loss
        release = self.pulses * pe.release_loss
        total = charge + release
        bound = self.bits_erased * landauer_limit(self.temperature)
        return {
            "updates": self.updates,
            "pulses": self.pulses,
            "cells_written": self.cells_written,
            "bits_erased": self.bits_erased,
            "bits_erased_per_update": self.bits_erased / self.updates if self.updates else 0.0,
            "bits_erased_semantics": (
                "increments kept; only clipping erases log2(preimages) bits"
                if self.use_reversible else
                "old value overwritten: H(old | new) of the cell levels per update"
            ),
            "dissipated_J": total,
            "energy_per_update_J": total / self.updates if self.updates else 0.0,
            "energy_per_pulse_J": pe.dissipated,
            "update_time_s": self.busy_time / self.updates if self.updates else 0.0,
            "pulse_time_s": pe.pulse_time,
            "ramp_time_s": pe.ramp_time,
            "rc_s": self.line.rc,
            "adiabatic_factor": self.adiabatic_factor,
            "use_reversible": self.use_reversible,
            "landauer_bound_J": bound,
            "multiple_of_landauer": (total / bound) if bound > 0 else None,
            "breakdown_J": {
                "line_charge": charge,
                "line_release": release,
                "recovered_to_driver (not dissipated)": self.pulses * pe.recovered,
                "landauer_bound": bound,
            },
            "source": "simulated (Python circuit engine transient of the RC programming line)",
        }


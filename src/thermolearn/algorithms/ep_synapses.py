"""EP synapses as memristor crossbars: reads, read disturb and pulse programming on device models.

Each crossbar of the EP network is a :class:`~thermolearn.crossbar.CrossbarArray` whose cells
are a :mod:`thermolearn.devices` memristor model (optionally wrapped by
:class:`~thermolearn.devices.Variability`: device-to-device spread of conductance and switching
rate, stuck-at faults, cycle-to-cycle noise, read noise). A weight is the device's chord
conductance at the array's read voltage. The network never edits a conductance directly:

* **Phases disturb.** During every phase each device sits at its own drop ΔV for the phase
  duration; :meth:`CrossbarSynapses.disturb` runs the model's state equation there (first
  order in the phase duration; a threshold model below threshold moves by exactly zero), so
  read disturb is simulated and counted, never assumed away.
* **Updates are pulses.** :meth:`CrossbarSynapses.program` turns a requested ΔG into pulse
  counts. The controller sees only a read of each device (Johnson read noise when the
  variability enables it, digitised by an ADC of ``adc_bits`` over the conductance window;
  both booked) and the *nominal* device's pulse response (ΔG per pulse vs G, tabulated once by
  simulating one pulse of the nominal model): it does not know the device-to-device spread.
  Counts are rounded stochastically and capped. Every pulse runs through the model's state
  equation (RK4 sub-steps, ``model.step``) and its energy is the integral of V·I over the
  pulse. Programming uses the V/2 scheme of :mod:`thermolearn.crossbar.programming` on an
  array without line resistance: the selected cell sees ±V_p, every other cell of its row and
  column ±V_p/2 for the pulse width (half-select), which is integrated through the state
  equation too (aggregated per cell and polarity) and costs its V·I·t.

References
----------
.. [1] S. Kvatinsky et al., IEEE TCAS-II 62, 786 (2015) (VTEAM thresholds).
.. [2] A. Chen, IEEE TED 60, 1318 (2013) (V/2, V/3 biasing, half-select).
.. [3] F. Alibart et al., Nanotechnology 23, 075201 (2012) (read-before-write control).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.crossbar import CrossbarArray
from thermolearn.errors import ParameterError
from thermolearn.validation import check_converter_bits, check_int, check_positive

Array = NDArray[np.float64]


@dataclass
class ProgramReport:
    """Energy (J) and counts of one update of all crossbars."""

    pulse_energy: float = 0.0
    half_select_energy: float = 0.0
    read_energy: float = 0.0
    reads: int = 0
    pulses: int = 0
    half_select_dx: float = 0.0
    notes: list[str] = field(default_factory=list)


class CrossbarSynapses:
    """The weights of an EP network held as memristor crossbars.

    Parameters
    ----------
    crossbars : list of CrossbarArray
        One per EP crossbar, shapes (2 n_l + 2, n_{l+1}).
    v_program : float
        Programming pulse amplitude, V (sign chooses the direction).
    t_program : float
        Programming pulse width, s.
    max_pulses : int
        Largest number of pulses per device per update.
    substeps : int
        RK4 sub-steps per pulse.
    adc_bits : int
        Resolution of the controller's read of each device.
    """

    def __init__(
        self,
        crossbars: list[Any],
        *,
        v_program: float,
        t_program: float,
        max_pulses: int = 8,
        substeps: int = 8,
        adc_bits: int = 12,
    ) -> None:
        for k, xb in enumerate(crossbars):
            if not isinstance(xb, CrossbarArray):
                raise ParameterError(
                    f"The 'crossbars[{k}]' argument of CrossbarSynapses must be a CrossbarArray; "
                    f"got {type(xb).__name__}."
                )
        self.crossbars = list(crossbars)
        self.v_program = check_positive(abs(v_program), "v_program", "CrossbarSynapses", "V")
        self.t_program = check_positive(t_program, "t_program", "CrossbarSynapses", "s")
        self.max_pulses = check_int(max_pulses, "max_pulses", "CrossbarSynapses", minimum=1)
        self.substeps = check_int(substeps, "substeps", "CrossbarSynapses", minimum=1)
        self.adc_bits = check_converter_bits(adc_bits, "adc_bits", "CrossbarSynapses")
        xb0 = self.crossbars[0]
        self.nominal = xb0.device
        self.v_read = float(xb0.v_read)
        self.t_read = float(xb0.t_read)
        lo, hi = self.nominal.state_bounds
        g = self.nominal.conductance(np.array([lo, hi]), self.v_read)
        # conductances must stay > 0: a device reaching G = 0 at a bound is used down to 1e-3
        g = np.maximum(g, 1e-3 * float(np.max(g)))
        self.g_window = (float(min(g)), float(max(g)))
        self._table = self._pulse_table()

    # -- conductances ------------------------------------------------------------------------
    def conductances(self) -> list[Array]:
        """Return the true chord conductances (S) of every device at the read voltage."""
        return [xb.conductances for xb in self.crossbars]

    # -- the nominal pulse response ----------------------------------------------------------
    def _pulse(self, model: Any, x: Array, v: Array | float) -> tuple[Array, Array]:
        """One pulse of amplitude ``v`` (per device or one for all): new state, ∫V·I dt (J)."""
        dt = self.t_program / self.substeps
        e = np.zeros(np.shape(x))
        for _ in range(self.substeps):
            i0 = model.current(v, x)
            x_new = model.step(v, x, dt)
            i1 = model.current(v, x_new)
            e = e + 0.5 * v * (i0 + i1) * dt
            x = x_new
        return np.asarray(x, dtype=float), np.asarray(e, dtype=float)

    def _pulse_table(self, n: int = 257) -> dict[str, Array]:
        lo, hi = self.nominal.state_bounds
        xs = np.linspace(lo, hi, n)
        g0 = self.nominal.conductance(xs, self.v_read)
        out: dict[str, Array] = {"g": g0}
        for sign, key in ((1.0, "plus"), (-1.0, "minus")):
            x1, e = self._pulse(self.nominal, xs, np.full(n, sign * self.v_program))
            out[f"dg_{key}"] = self.nominal.conductance(x1, self.v_read) - g0
            out[f"e_{key}"] = e
        order = np.argsort(g0)
        return {k: v[order] for k, v in out.items()}

    def nominal_step(self, g: Array, sign: float) -> Array:
        """ΔG (S) of one nominal pulse of polarity ``sign`` at conductance ``g``."""
        t = self._table
        key = "dg_plus" if sign > 0 else "dg_minus"
        return np.asarray(np.interp(g, t["g"], t[key]), dtype=np.float64)

    def nominal_pulse_energy(self, g: Array, sign: float) -> Array:
        """∫V·I dt (J) of one nominal pulse of polarity ``sign`` at conductance ``g``."""
        t = self._table
        key = "e_plus" if sign > 0 else "e_minus"
        return np.asarray(np.interp(g, t["g"], t[key]), dtype=np.float64)

    def state_for(self, xb: Any, g: Array) -> Array:
        """States whose chord conductance (of ``xb``'s own, possibly varied, devices) is ``g``.

        Bisection over the state bounds (the conductance is monotone in the state), or the
        model's closed-form inverse ``state_at_conductance`` where it has one (a nominal
        device; a variability wrapper has none); targets outside a device's own window end at
        its bound.
        """
        lo, hi = xb.model.state_bounds
        inverse = getattr(xb.model, "state_at_conductance", None)
        if inverse is not None:
            return np.asarray(np.clip(inverse(g, self.v_read), lo, hi), dtype=np.float64)
        g_lo = xb.model.conductance(np.full(g.shape, lo), self.v_read)
        g_hi = xb.model.conductance(np.full(g.shape, hi), self.v_read)
        inc = g_hi > g_lo
        a = np.full(g.shape, lo)
        b = np.full(g.shape, hi)
        for _ in range(50):
            mid = 0.5 * (a + b)
            gm = xb.model.conductance(mid, self.v_read)
            up = np.where(inc, gm < g, gm > g)
            a = np.where(up, mid, a)
            b = np.where(up, b, mid)
        return np.asarray(0.5 * (a + b), dtype=np.float64)

    def _write_cost(self, direction: float) -> tuple[float, float]:
        """Return (J per siemens of change, mean |ΔG| per pulse) of nominal writes.

        Over the nominal pulses that move G in ``direction`` (+1 up, −1 down), averaged over
        the conductance window; the cheaper polarity is taken.
        """
        t = self._table
        best = (np.inf, 1.0)
        for key in ("plus", "minus"):
            dg = t[f"dg_{key}"]
            ok = np.sign(dg) == direction
            if np.any(ok):
                step = float(np.mean(np.abs(dg[ok])))
                cost = float(np.mean(t[f"e_{key}"][ok])) / step
                if cost < best[0]:
                    best = (cost, step)
        return best

    # -- phases ------------------------------------------------------------------------------
    def disturb(self, drops: list[Array], duration: float) -> float:
        """Run every device's state equation at its phase drops; return max |ΔG|/G_window.

        ``drops[k]`` is (B, rows, cols): the drop of each device in each sample's phase, each
        held for ``duration`` s (first-order integration over the batch).
        """
        worst = 0.0
        span = self.g_window[1] - self.g_window[0]
        for xb, d in zip(self.crossbars, drops, strict=True):
            rate = xb.model.dxdt(d, xb.state[None, :, :]).sum(axis=0)
            if not np.any(rate):
                continue
            g0 = xb.conductances
            xb.state = xb.state + rate * duration
            worst = max(worst, float(np.max(np.abs(xb.conductances - g0))) / span)
        return worst

    # -- programming -------------------------------------------------------------------------
    def read(self, rng: np.random.Generator) -> tuple[list[Array], float, int]:
        """Read every device as the controller does: noisy digitised G (S), joules, count."""
        out = []
        energy = 0.0
        count = 0
        g_lo, g_hi = self.g_window
        lsb = g_hi / 2.0**self.adc_bits
        for xb in self.crossbars:
            model = xb.model
            noisy = getattr(model, "read_current", None)
            i = (
                noisy(self.v_read, xb.state, self.t_read)
                if noisy is not None
                else model.current(self.v_read, xb.state)
            )
            g = np.clip(np.round(i / self.v_read / lsb) * lsb, 0.0, g_hi)
            out.append(g)
            energy += float(np.sum(self.v_read * model.current(self.v_read, xb.state))) * (
                self.t_read
            )
            count += int(g.size)
        return out, energy, count

    def program(
        self, dg_request: list[Array], rng: np.random.Generator, *, ideal: bool = False
    ) -> ProgramReport:
        """Realise ΔG ≈ ``dg_request`` (S) on every device with pulses; report the energy.

        ``ideal=True`` is the oracle control: each device is set exactly to its clipped target
        conductance (an ideal write); its energy, a model figure, is |ΔG| times the nominal
        model's mean pulse energy per siemens of change over the window (the cheaper polarity
        for each direction).
        """
        rep = ProgramReport()
        g_lo, g_hi = self.g_window
        if ideal:
            for xb, dg in zip(self.crossbars, dg_request, strict=True):
                g = xb.conductances
                tgt = np.clip(g + dg, g_lo, g_hi)
                xb.state = self.state_for(xb, tgt)
                g_new = xb.conductances
                d = g_new - g
                for direction in (1.0, -1.0):
                    m = np.sign(d) == direction
                    if not np.any(m):
                        continue
                    joules_per_siemens, step = self._write_cost(direction)
                    rep.pulse_energy += float(np.sum(np.abs(d[m]))) * joules_per_siemens
                    rep.pulses += int(round(float(np.sum(np.abs(d[m]))) / step))
            return rep
        g_read, e_read, n_read = self.read(rng)
        rep.read_energy += e_read
        rep.reads += n_read
        for xb, dg, gr in zip(self.crossbars, dg_request, g_read, strict=True):
            # the polarity whose nominal pulse moves G the requested way, and its step
            sp = self.nominal_step(gr, 1.0)
            sm = self.nominal_step(gr, -1.0)
            up = dg > 0
            use_plus = np.where(up, sp > 0, sp < 0)
            sign = np.where(use_plus, 1.0, -1.0)
            step = np.where(use_plus, sp, sm)
            with np.errstate(divide="ignore", invalid="ignore"):
                ok = np.where(up, step > 0, step < 0)
                want = np.where(ok & (dg != 0), np.abs(dg) / np.abs(step), 0.0)
            want = np.minimum(np.nan_to_num(want, nan=0.0, posinf=0.0), self.max_pulses)
            n = np.floor(want)
            n += rng.random(n.shape) < (want - n)
            n = n.astype(np.int64)
            rep.pulses += int(n.sum())
            model = xb.model
            x = xb.state
            after = getattr(model, "after_program", None)
            take = getattr(model, "take", None)
            for k in range(int(n.max(initial=0))):
                active = n > k
                # only the driven cells are integrated (the others sit at 0 V: no motion)
                sub = model if take is None else take(active)
                xa = x[active]
                sa = sign[active]
                # each polarity's cells share one pulse amplitude: integrate them with a scalar
                # drive (the model's g(V) evaluated once, not per cell and RK stage), then
                # reassemble in the original order (same values, same random draws after)
                x1 = np.empty_like(xa)
                e = np.empty_like(xa)
                for s in (1.0, -1.0):
                    ms = sa == s
                    if not np.any(ms):
                        continue
                    part = sub if take is None else sub.take(ms)
                    x1[ms], e[ms] = self._pulse(part, xa[ms], s * self.v_program)
                if after is not None:
                    x1 = sub.after_program(xa, x1)
                rep.pulse_energy += float(np.sum(e))
                x = x.copy()
                x[active] = x1
            # V/2 half-select: each other cell of a selected cell's row and column sees ±V_p/2
            half = 0.5 * self.v_program
            for s in (1.0, -1.0):
                ns = np.where(sign == s, n, 0).astype(float)
                expo = ns.sum(axis=1, keepdims=True) + ns.sum(axis=0, keepdims=True) - 2 * ns
                if not np.any(expo):
                    continue
                t_exp = expo * self.t_program
                i_h = model.current(s * half, x)
                rep.half_select_energy += float(np.sum(s * half * i_h * t_exp))
                rate = model.dxdt(s * half, x)
                if np.any(rate):
                    x_new = model.clip(x + rate * t_exp)
                    rep.half_select_dx += float(np.sum(np.abs(x_new - x)))
                    x = x_new
            xb.state = x
        return rep


__all__ = ["CrossbarSynapses", "ProgramReport"]

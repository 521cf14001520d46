"""Memristor crossbar arrays (1R, 1T1R, 1S1R) and signed layers built from differential pairs.

:class:`CrossbarArray` holds the states of an M×N array of memristors and executes reads:
rows driven and column currents sensed (a vector-matrix multiply, ``I = Gᵀ v`` for ideal
wires), or the transposed read with the columns driven and the rows sensed. With line
resistance the full wire grid is solved (:mod:`thermolearn.crossbar.array_solver`). Every
operation books its energy in an :class:`~thermolearn.energy.EnergyLedger`:

- ``"read"``: Σ I·V over the cells during the read pulse (simulated),
- ``"wire"``: I²R of the wire segments (simulated) and C·V² of charging the line capacitance
  (model),
- ``"driver"`` / ``"sense"``: dissipation in the driver source resistance or sense resistors,
- ``"access"``: the access transistor (1T1R) or the selector (1S1R) in series with each cell,
- ``"dac"``, ``"adc"``, ``"amplifier"``: converters and TIAs from
  :mod:`thermolearn.devices.peripherals` (figure-of-merit models),
- ``"program"``: programming pulses.

:class:`SignedCrossbarLayer` stores a signed matrix W (out, in) on two arrays (G⁺, G⁻) whose
rows are the inputs and whose columns are the outputs: ``matvec`` drives the rows of both
arrays with the inputs and subtracts the column currents, ``rmatvec`` drives the columns and
subtracts the row currents (transposed read of the same arrays).

References
----------
.. [1] M. Hu et al., "Dot-product engine for neuromorphic computing," DAC 2016.
.. [2] A. Chen, IEEE Trans. Electron Devices 60(4), 1318 (2013) (line resistance, sneak paths).
.. [3] Interconnect capacitance ~0.2 fF/µm for local metal lines (ITRS 2013 interconnect
   tables); 0.1 fF per segment corresponds to a ~0.5 µm cell pitch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.circuit.circuit import Circuit
from thermolearn.crossbar.array_solver import (
    CrossbarNetwork,
    LinearResponse,
    NetworkSolution,
    line_schur_response,
)
from thermolearn.crossbar.mapping import (
    ConductanceRange,
    check_conductances,
    differential_scale,
    differential_to_weights,
    weights_to_differential,
)
from thermolearn.devices import LinearConductance
from thermolearn.devices.variability import Variability, VariabilityParams, read_noise_variance
from thermolearn.energy import EnergyLedger
from thermolearn.errors import ParameterError
from thermolearn.hardware import CELLS, READOUTS, Hardware
from thermolearn.validation import check_choice, check_int, check_positive, finite_array

Array = NDArray[np.float64]


def _from_hardware(path: str, doc: str) -> Any:
    """Return a read-only attribute of CrossbarArray that reads ``self.hardware.<path>``."""
    names = path.split(".")

    def get(self: Any) -> Any:
        obj = self.hardware
        for n in names:
            obj = getattr(obj, n)
        return obj

    return property(get, doc=doc)


class CrossbarArray:
    """An M×N memristor crossbar with line resistance, drivers and sensing periphery.

    Parameters
    ----------
    rows, cols : int
        Array size M×N (>= 1).
    hardware : Hardware, optional
        The hardware description (:class:`thermolearn.hardware.Hardware`): cell device and
        conductance window, variability, cell type and selector, wires, peripherals, read and
        write settings, temperature. Default ``Hardware()`` (ideal 1R array at T_ROOM).
    rng : numpy.random.Generator, optional
        Randomness source (variability, read noise); default ``default_rng(0)``.
    ledger : EnergyLedger, optional
        Where energy is booked (a new one at the hardware temperature by default).
    variability : VariabilityParams or Variability, optional
        Device non-idealities; a :class:`~thermolearn.devices.Variability` instance brings its
        own per-device draws (its params become ``hardware.variability``).
    **settings
        Flat hardware settings applied on top of ``hardware``
        (:meth:`Hardware.with_settings <thermolearn.hardware.Hardware.with_settings>`):
        ``device, g_min, g_max, levels, cell, selector, r_access, r_access_off, temperature,
        r_wire, r_driver, c_wire, readout, r_sense, v_read, t_read, v_program, t_program,
        adc, dac, tia`` (``adc=False`` etc. disables a converter). Without an explicit
        ``temperature`` the temperature of ``variability`` (when it sets one) is used.

    Notes
    -----
    The read noise (``variability.read_noise``) of each sensed line is the Johnson noise of
    the cells on it at the hardware temperature, ``4 k T ΣG B`` with ``B = 1/(2 t_read)``, plus
    the 1/f noise of each cell ``K_f I² ln(B / f_min)`` at the cell's read current
    (:func:`thermolearn.devices.variability.read_noise_variance`).
    """

    def __init__(
        self,
        rows: int,
        cols: int,
        hardware: Hardware | None = None,
        *,
        rng: np.random.Generator | None = None,
        ledger: EnergyLedger | None = None,
        variability: Any = None,
        **settings: Any,
    ) -> None:
        o = "CrossbarArray"
        self.rows = check_int(rows, "rows", o, minimum=1)
        self.cols = check_int(cols, "cols", o, minimum=1)
        if hardware is not None and not isinstance(hardware, Hardware):
            raise ParameterError(
                f"The 'hardware' parameter of {o} must be a Hardware; got {hardware!r}."
            )
        drawn = None
        if isinstance(variability, Variability):
            if variability.shape != (self.rows, self.cols):
                raise ParameterError(
                    f"The 'variability' parameter of {o} has shape {variability.shape}; "
                    f"the array is {(self.rows, self.cols)}."
                )
            drawn, variability = variability, variability.params
        elif variability is not None and not isinstance(variability, VariabilityParams):
            raise ParameterError(
                f"The 'variability' parameter of {o} must be VariabilityParams or "
                f"Variability; got {variability!r}."
            )
        if (
            hardware is None
            and variability is not None
            and settings.get("temperature") is None
            and variability.temperature is not None
        ):
            settings["temperature"] = variability.temperature
        hw = (hardware if hardware is not None else Hardware()).with_settings(
            variability=variability, **settings
        )
        self.hardware: Hardware = hw
        self.crange = ConductanceRange(g_min=hw.g_min, g_max=hw.g_max, levels=hw.levels)
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise ParameterError(
                f"The 'rng' parameter of {o} must be a numpy.random.Generator; got {rng!r}."
            )
        self.rng = rng if rng is not None else np.random.default_rng(0)
        if ledger is not None and not isinstance(ledger, EnergyLedger):
            raise ParameterError(
                f"The 'ledger' parameter of {o} must be an EnergyLedger; got {ledger!r}."
            )
        self.ledger = ledger if ledger is not None else EnergyLedger(hw.temperature)
        self.selector = hw.cell_selector if hw.cell == "1S1R" else hw.selector
        self.device = hw.cell_device
        var = hw.device_variability
        self.variability = (
            drawn
            if drawn is not None
            else (
                None
                if var is None
                else Variability(self.device, (self.rows, self.cols), var, rng=self.rng)
            )
        )
        self.model = self.variability if self.variability is not None else self.device
        self.adc = hw.adc
        self.dac = hw.peripherals.dac
        self.tia = hw.peripherals.tia
        self._networks: dict[str, CrossbarNetwork] = {}
        self._responses: dict[str, LinearResponse] = {}
        self._state = self._state_for(np.full((self.rows, self.cols), self.g_min))

    g_min = _from_hardware("g_min", "Lowest programmable conductance, S.")
    g_max = _from_hardware("g_max", "Highest programmable conductance, S.")
    levels = _from_hardware("levels", "Programmable conductance levels (None = analog).")
    cell = _from_hardware("cell", "Cell type: '1R', '1T1R' or '1S1R'.")
    temperature = _from_hardware("temperature", "Temperature, K.")
    r_access = _from_hardware("r_access", "1T1R access transistor on-resistance, ohm.")
    r_access_off = _from_hardware("r_access_off", "1T1R access transistor off-resistance, ohm.")
    r_wire = _from_hardware("wires.r_wire", "Wire resistance per cell pitch, ohm.")
    r_driver = _from_hardware("wires.r_driver", "Line driver source resistance, ohm.")
    c_wire = _from_hardware("wires.c_wire", "Wire capacitance per segment, F.")
    readout = _from_hardware("peripherals.readout", "Readout: 'tia' or 'sense'.")
    r_sense = _from_hardware("peripherals.r_sense", "Sense resistance, ohm.")
    v_read = _from_hardware("read.v_read", "Read voltage for a unit input, V.")
    t_read = _from_hardware("read.t_read", "Read pulse duration, s.")
    v_program = _from_hardware("write.v_program", "Programming pulse amplitude, V.")
    t_program = _from_hardware("write.t_program", "Programming pulse width, s.")

    @property
    def state(self) -> Array:
        """Device states (rows, cols) in the device model's units (S for LinearConductance)."""
        return self._state

    @state.setter
    def state(self, x: ArrayLike) -> None:
        xx = finite_array(x, "state", "CrossbarArray")
        if xx.shape != (self.rows, self.cols):
            raise ParameterError(
                f"The 'state' of CrossbarArray must have shape {(self.rows, self.cols)}; "
                f"got {xx.shape}."
            )
        self._state = np.array(self.model.clip(xx), dtype=float)
        self._invalidate()

    # -- conductances --------------------------------------------------------------------
    def _conductance_of(self, x: Array) -> Array:
        return np.asarray(self.model.conductance(x, self.v_read), dtype=float)

    def _state_for(self, g: Array) -> Array:
        """Device states whose chord conductance at v_read is ``g`` (bisection if needed)."""
        if isinstance(self.device, LinearConductance):
            return self.device.clip(g)
        lo, hi = self.device.state_bounds
        g_lo = self.device.conductance(np.full(g.shape, lo), self.v_read)
        g_hi = self.device.conductance(np.full(g.shape, hi), self.v_read)
        increasing = bool(np.mean(g_hi) > np.mean(g_lo))
        a = np.full(g.shape, lo)
        b = np.full(g.shape, hi)
        for _ in range(60):
            mid = 0.5 * (a + b)
            gm = self.device.conductance(mid, self.v_read)
            go_up = (gm < g) if increasing else (gm > g)
            a = np.where(go_up, mid, a)
            b = np.where(go_up, b, mid)
        return np.asarray(0.5 * (a + b), dtype=float)

    @property
    def conductances(self) -> Array:
        """Cell conductances (rows, cols), S: chord conductance of each device at ``v_read``."""
        return self._conductance_of(self.state)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return (self.rows, self.cols)

    def _effective(self, g: Array) -> Array:
        """Linear cell conductance including the access transistor (1T1R), S."""
        if self.cell == "1T1R":
            with np.errstate(divide="ignore"):
                return np.where(g > 0, 1.0 / (1.0 / np.maximum(g, 1e-300) + self.r_access), 0.0)
        if self.cell == "1S1R":
            s = self.selector
            gs = s.i0 / s.v0
            return np.asarray(1.0 / (1.0 / np.maximum(g, 1e-300) + 1.0 / gs), dtype=float)
        return g

    def _law(self, g: Array) -> Any:
        """Cell law I(V) of a 1S1R cell: selector in series with conductance g."""
        sel = self.selector
        gf = g.ravel()

        def law(v: Array) -> tuple[Array, Array]:
            vv = np.asarray(v, dtype=float)
            lo = np.minimum(vv, 0.0)
            hi = np.maximum(vv, 0.0)
            # selector voltage vs: i0 sinh(vs/v0) = g (v - vs), monotone in vs
            for _ in range(64):
                mid = 0.5 * (lo + hi)
                f = sel.i0 * np.sinh(mid / sel.v0) - gf * (vv - mid)
                lo = np.where(f < 0, mid, lo)
                hi = np.where(f < 0, hi, mid)
            vs = 0.5 * (lo + hi)
            for _ in range(3):
                f = sel.i0 * np.sinh(vs / sel.v0) - gf * (vv - vs)
                vs = vs - f / (sel.i0 / sel.v0 * np.cosh(vs / sel.v0) + gf)
            i = gf * (vv - vs)
            gs = sel.i0 / sel.v0 * np.cosh(vs / sel.v0)
            return i, 1.0 / (1.0 / gf + 1.0 / gs)

        return law

    def program_conductances(
        self, G: ArrayLike, verify: bool = True, *, cells: ArrayLike | None = None
    ) -> Array:
        """Program every cell to the conductance ``G`` (rows, cols), S; return what was reached.

        ``cells`` (boolean, rows × cols) restricts the write to those cells: the others keep
        their state and cost nothing (a controller that knows which weights changed).

        Targets are clipped to [g_min, g_max] and rounded to ``levels``; with a variability
        model the cycle-to-cycle noise of the write is added (and, with ``verify``, one
        verify read and one corrective pulse are applied, halving the write error). The
        energy booked under ``"program"`` (source "model") is, per changed cell, one pulse of
        ``v_program`` for ``t_program`` through the mean of its old and new conductance, plus
        the V/2 half-select dissipation in the other cells of its row and column, plus a
        verify read per cell (``v_read`` for ``t_read``) when ``verify``, plus, when a
        variability model makes ``verify`` apply a corrective pulse, that second pulse and its
        half-select dissipation (through the conductance the first pulse reached). Use
        :mod:`thermolearn.crossbar.programming` for pulse-level simulation with disturb.
        """
        g = check_conductances(G, "G", "CrossbarArray.program_conductances")
        if g.shape != (self.rows, self.cols):
            raise ParameterError(
                f"The 'G' argument of CrossbarArray.program_conductances must have shape "
                f"{(self.rows, self.cols)}; got {g.shape}."
            )
        write = np.ones(g.shape, dtype=bool)
        if cells is not None:
            write = np.asarray(cells, dtype=bool)
            if write.shape != g.shape:
                raise ParameterError(
                    f"The 'cells' argument of CrossbarArray.program_conductances must have "
                    f"shape {g.shape}; got {write.shape}."
                )
        g_old = self.conductances
        target = self.crange.quantize(g)
        x_new = self._state_for(target)
        if self.variability is not None:
            x_noisy = self.variability.after_program(self.state, x_new)
            if verify:
                x_noisy = self.variability.quantize(x_new + 0.5 * (x_noisy - x_new))
            x_new = x_noisy
        if cells is not None:
            x_new = np.where(write, x_new, self.state)
            target = np.where(write, target, g_old)
        changed = write & ~np.isclose(target, g_old, rtol=1e-12, atol=0.0)
        self.state = x_new
        g_new = self.conductances
        n_changed = int(np.count_nonzero(changed))
        if n_changed:
            vp, tp = self.v_program, self.t_program
            g_mid = 0.5 * (g_old + g_new)
            e_sel = vp**2 * tp * float(np.sum(g_mid[changed]))
            row_sum = g_old.sum(axis=1, keepdims=True)
            col_sum = g_old.sum(axis=0, keepdims=True)
            half = (row_sum + col_sum - 2.0 * g_old)[changed]
            e_half = (vp / 2.0) ** 2 * tp * float(np.sum(half))
            if verify and self.variability is not None:
                # the corrective pulse after the verify read costs a second pulse (and its
                # half-select dissipation), through the conductance the first one reached
                e_sel += vp**2 * tp * float(np.sum(g_new[changed]))
                e_half *= 2.0
            e_verify = (
                self.v_read**2 * self.t_read * float(np.sum(g_new[changed])) if verify else 0.0
            )
            self.ledger.book("program", e_sel + e_half + e_verify, source="model", count=n_changed)
        return g_new

    # -- networks ------------------------------------------------------------------------
    def _invalidate(self) -> None:
        """Forget cached networks and responses (after the states changed)."""
        self._networks.clear()
        self._responses.clear()

    def network(self, mode: str = "read") -> CrossbarNetwork:
        """Return the linear network of a read (``"read"``: rows driven) or a transposed read."""
        check_choice(mode, "mode", "CrossbarArray.network", ("read", "transposed"))
        if mode not in self._networks:
            sense = 0.0 if self.readout == "tia" else self.r_sense
            g = self._effective(self.conductances)
            if mode == "read":
                rr, cr = np.full(self.rows, self.r_driver), np.full(self.cols, sense)
            else:
                rr, cr = np.full(self.rows, sense), np.full(self.cols, self.r_driver)
            self._networks[mode] = CrossbarNetwork(
                g, r_wire=self.r_wire, row_r_term=rr, col_r_term=cr
            )
        return self._networks[mode]

    def _is_ideal(self) -> bool:
        return (
            self.r_wire == 0
            and self.r_driver == 0
            and self.readout == "tia"
            and self.cell != "1S1R"
        )

    # -- reads ---------------------------------------------------------------------------
    def _batch(self, v: ArrayLike, size: int, name: str, owner: str) -> Array:
        vv = finite_array(v, name, owner)
        v2 = np.atleast_2d(vv)
        if v2.ndim != 2 or v2.shape[1] != size:
            raise ParameterError(
                f"The '{name}' argument of {owner} must have shape ({size},) or (B, {size}); "
                f"got {vv.shape}."
            )
        return v2

    def read(self, v_rows: ArrayLike) -> Array:
        """Drive the rows with ``v_rows`` (V) and return the column currents (A).

        Parameters
        ----------
        v_rows : array_like (rows,) or (B, rows)
            Row driver voltages, V.

        Returns
        -------
        ndarray (B, cols)
            Current into each column's TIA (or through its sense resistor), A.
        """
        v = self._batch(v_rows, self.rows, "v_rows", "CrossbarArray.read")
        return self._read(v, transposed=False)

    def read_transposed(self, v_cols: ArrayLike) -> Array:
        """Drive the columns with ``v_cols`` (V) and return the row currents (A), (B, rows)."""
        v = self._batch(v_cols, self.cols, "v_cols", "CrossbarArray.read_transposed")
        return self._read(v, transposed=True)

    def _read(self, v: Array, *, transposed: bool) -> Array:
        bsz = v.shape[0]
        n_in, n_out = (self.cols, self.rows) if transposed else (self.rows, self.cols)
        g = self.conductances
        geff = self._effective(g)
        if self._is_ideal():
            gm = geff.T if transposed else geff
            out = v @ gm
            # driven lines at v, sensed lines at 0 V: each cell branch sees the full v_i
            v2 = np.sum(v**2, axis=0)  # (n_in,)
            e_cells = float(v2 @ gm.sum(axis=1)) * self.t_read
            if self.cell == "1R":
                self.ledger.book("read", e_cells)
            else:  # series access device: the memristor dissipates (geff v)^2 / g
                w = geff**2 / np.maximum(g, 1e-300)
                e_mem = float(v2 @ (w.T if transposed else w).sum(axis=1)) * self.t_read
                self.ledger.book("read", e_mem)
                self.ledger.book("access", max(e_cells - e_mem, 0.0))
        elif self.cell != "1S1R" and self.r_wire > 0 and self._response_fits(transposed):
            out = self._read_response(v, g, geff, transposed)
        else:
            sol = self._solve(v, transposed)
            out = sol.i_row if transposed else sol.i_col
            self._book_solution(sol, g, geff, transposed)
        self._book_periphery(v, bsz, n_in, n_out)
        if self.variability is not None and self.variability.params.read_noise:
            out = out + self.read_noise_sigma(v, transposed=transposed) * self.rng.standard_normal(
                out.shape
            )
        return out

    def response(self, *, transposed: bool = False) -> LinearResponse:
        """Return the exact linear response of a (transposed) read with line resistance (cached).

        Computed once per programming by line-wise Schur complements
        (:func:`~thermolearn.crossbar.array_solver.line_schur_response`); reads are then
        matrix products and their energies quadratic forms.
        """
        mode = "transposed" if transposed else "read"
        key = "response-" + mode
        if key not in self._responses:
            net = self.network(mode)
            m = self.rows
            inputs = np.arange(m, m + self.cols) if transposed else np.arange(m)
            extra = None
            if self.cell == "1T1R":
                g = self.conductances
                geff = self._effective(g)
                extra = geff**2 / np.maximum(g, 1e-300)
            self._responses[key] = line_schur_response(net, inputs, extra)
        return self._responses[key]

    #: Memory budget (bytes) of the cached line-Schur response; larger arrays use sparse LU.
    response_memory_limit: float = 1.5e9

    def _response_fits(self, transposed: bool) -> bool:
        # stored per row line: tridiagonal inverse and block inverse (cols x cols) and the
        # reduced right-hand sides (cols x n_in), 8 bytes each
        n_in = self.cols if transposed else self.rows
        need = 8.0 * self.rows * self.cols * (2 * self.cols + n_in)
        return need <= self.response_memory_limit

    def _read_response(self, v: Array, g: Array, geff: Array, transposed: bool) -> Array:
        resp = self.response(transposed=transposed)
        m = self.rows
        outs = np.arange(m) if transposed else np.arange(m, m + self.cols)
        out = v @ resp.current[outs].T
        t = self.t_read

        def q(mat: Array) -> float:
            return float(np.sum((v @ mat) * v)) * t

        e_cells = q(resp.q_device)
        if self.cell == "1T1R":
            e_mem = q(resp.q_extra)
            self.ledger.book("read", e_mem)
            self.ledger.book("access", max(e_cells - e_mem, 0.0))
        else:
            self.ledger.book("read", e_cells)
        self.ledger.book("wire", q(resp.q_wire))
        q_in, q_out = (
            (resp.q_term_col, resp.q_term_row) if transposed else (resp.q_term_row, resp.q_term_col)
        )
        if self.r_driver > 0:
            self.ledger.book("driver", q(q_in))
        if self.readout == "sense":
            self.ledger.book("sense", q(q_out))
        return out

    def _solve(self, v: Array, transposed: bool) -> NetworkSolution:
        net = self.network("transposed" if transposed else "read")
        zeros = np.zeros((v.shape[0], self.rows if transposed else self.cols))
        u_row, u_col = (zeros, v) if transposed else (v, zeros)
        if self.cell == "1S1R":
            return net.solve_nonlinear(u_row, u_col, self._law(g=self.conductances))
        chunk = max(1, min(256, int(4e6 // (self.rows * self.cols))))
        return net.solve(u_row, u_col, chunk=chunk)

    def solve(self, v: ArrayLike, *, transposed: bool = False) -> NetworkSolution:
        """Full network solution (node voltages, currents, powers) without booking energy."""
        n_in = self.cols if transposed else self.rows
        vv = self._batch(v, n_in, "v", "CrossbarArray.solve")
        return self._solve(vv, transposed)

    def _book_solution(self, sol: NetworkSolution, g: Array, geff: Array, transposed: bool) -> None:
        t = self.t_read
        vcell = sol.v_cell
        if self.cell == "1R":
            self.ledger.book("read", float(np.sum(sol.p_device)) * t)
        elif self.cell == "1T1R":
            i = geff[None] * vcell
            e_mem = float(np.sum(i**2 / np.maximum(g, 1e-300)[None])) * t
            self.ledger.book("read", e_mem)
            self.ledger.book("access", max(float(np.sum(sol.p_device)) * t - e_mem, 0.0))
        else:
            i = np.asarray(self._law(g)(vcell.reshape(vcell.shape[0], -1))[0]).reshape(vcell.shape)
            e_mem = float(np.sum(i**2 / np.maximum(g, 1e-300)[None])) * t
            self.ledger.book("read", e_mem)
            self.ledger.book("access", max(float(np.sum(sol.p_device)) * t - e_mem, 0.0))
        self.ledger.book("wire", float(np.sum(sol.p_wire)) * t)
        p_in = sol.p_col_term if transposed else sol.p_row_term
        p_out = sol.p_row_term if transposed else sol.p_col_term
        if self.r_driver > 0:
            self.ledger.book("driver", float(np.sum(p_in)) * t)
        if self.readout == "sense":
            self.ledger.book("sense", float(np.sum(p_out)) * t)

    def _book_periphery(self, v: Array, bsz: int, n_in: int, n_out: int) -> None:
        # charging the driven lines' capacitance (charge + discharge: C V^2 per pulse)
        c_line = self.c_wire * (self.rows if n_in == self.cols else self.cols)
        if c_line > 0:
            self.ledger.book("wire", c_line * float(np.sum(v**2)), source="model", count=bsz)
        if self.dac is not None:
            self.dac.book(self.ledger, bsz * n_in)
        if self.adc is not None:
            self.adc.book(self.ledger, bsz * n_out)
        if self.tia is not None and self.readout == "tia":
            self.tia.book(self.ledger, self.t_read, count=bsz * n_out)

    def read_noise_sigma(self, v: ArrayLike, *, transposed: bool = False) -> Array:
        """RMS read-current noise (A) of each sensed line for drive voltages ``v`` (B, n_in).

        Johnson noise of the cells on the line at the hardware temperature, 4kT ΣG B, plus
        each cell's 1/f noise K_f I² ln(B/f_min) at its read current I = v G (ideal-wire
        currents), with B = 1/(2 t_read) (:func:`~thermolearn.devices.variability.
        read_noise_variance`). Zero without a variability model or with ``read_noise`` off.
        """
        n_in = self.cols if transposed else self.rows
        vv = self._batch(v, n_in, "v", "CrossbarArray.read_noise_sigma")
        n_out = self.rows if transposed else self.cols
        if self.variability is None or not self.variability.params.read_noise:
            return np.zeros((vv.shape[0], n_out))
        pr = self.variability.params
        geff = self._effective(self.conductances)
        gm = geff.T if transposed else geff  # (n_in, n_out)
        var = read_noise_variance(
            gm.sum(axis=0)[None, :],
            (vv**2) @ gm**2,
            self.hardware.read.bandwidth,
            self.hardware.temperature,
            flicker_coefficient=pr.flicker_coefficient,
            flicker_f_min=pr.flicker_f_min,
        )
        return np.asarray(np.sqrt(np.broadcast_to(var, (vv.shape[0], n_out))), dtype=float)

    # -- circuit export ------------------------------------------------------------------
    def to_circuit(
        self,
        v_rows: ArrayLike | None = None,
        v_cols: ArrayLike | None = None,
        *,
        transposed: bool = False,
        title: str | None = None,
    ) -> Any:
        """Build the same array as a :class:`~thermolearn.circuit.Circuit`.

        Nodes: ``r{i}_{j}`` / ``c{i}_{j}`` (row / column node at cell (i, j)) with line
        resistance, or ``r{i}`` / ``c{j}`` with ideal wires. Drivers ``VR{i}`` (``VC{j}`` when
        transposed) with series ``RDR{i}`` when ``r_driver > 0``; TIAs as 0 V sources
        ``VC{j}`` (``VR{i}``) whose branch current is the column (row) current; sense resistors
        ``RS{j}``. Cells ``M{i}_{j}`` are memristors (a plain resistor for LinearConductance),
        with ``S{i}_{j}`` (1T1R, closed) or ``Y{i}_{j}`` (1S1R) in series.
        """
        m, n = self.rows, self.cols
        given = v_cols if transposed else v_rows
        vin = (
            np.zeros(n if transposed else m)
            if given is None
            else finite_array(given, "v", "CrossbarArray.to_circuit").ravel()
        )
        if vin.size != (n if transposed else m):
            raise ParameterError(
                f"CrossbarArray.to_circuit: input voltages must have {n if transposed else m} "
                f"entries; got {vin.size}."
            )
        c = Circuit(title or f"crossbar {m}x{n} {self.cell} r_wire={self.r_wire}")
        wired = self.r_wire > 0

        def rn(i: int, j: int) -> str:
            return f"r{i}_{j}" if wired else f"r{i}"

        def cn(i: int, j: int) -> str:
            return f"c{i}_{j}" if wired else f"c{j}"

        if wired:
            for i in range(m):
                for j in range(n - 1):
                    c.add_resistor(f"RWR{i}_{j}", rn(i, j), rn(i, j + 1), self.r_wire)
            for j in range(n):
                for i in range(m - 1):
                    c.add_resistor(f"RWC{i}_{j}", cn(i, j), cn(i + 1, j), self.r_wire)

        def terminal(kind: str, k: int, end: str, driven: bool, value: float) -> None:
            """Line end ``end``: wire segment, then driver (series R) or TIA / sense R."""
            node = end
            if wired:
                node = f"t{kind}{k}"
                c.add_resistor(f"RWT{kind.upper()}{k}", node, end, self.r_wire)
            src = f"V{kind.upper()}{k}"
            if driven:
                if self.r_driver > 0:
                    c.add_resistor(f"RDR{kind.upper()}{k}", f"d{kind}{k}", node, self.r_driver)
                    c.add_vsource(src, f"d{kind}{k}", "0", dc=value)
                else:
                    c.add_vsource(src, node, "0", dc=value)
            elif self.readout == "tia":
                c.add_vsource(src, node, "0", dc=0.0)
            else:
                c.add_resistor(f"RS{kind.upper()}{k}", node, "0", self.r_sense)

        for i in range(m):
            terminal("r", i, rn(i, 0), not transposed, float(vin[i]) if not transposed else 0.0)
        for j in range(n):
            terminal("c", j, cn(m - 1, j), transposed, float(vin[j]) if transposed else 0.0)
        g = self.conductances
        linear = isinstance(self.device, LinearConductance) and self.variability is None
        for i in range(m):
            for j in range(n):
                top = rn(i, j)
                if self.cell == "1T1R":
                    mid = f"x{i}_{j}"
                    c.add_switch(
                        f"S{i}_{j}", top, mid, self.r_access, self.r_access_off, closed=True
                    )
                    top = mid
                elif self.cell == "1S1R":
                    mid = f"x{i}_{j}"
                    c.add_selector(f"Y{i}_{j}", top, mid, self.selector)
                    top = mid
                if linear:
                    c.add_resistor(f"M{i}_{j}", top, cn(i, j), 1.0 / g[i, j])
                else:
                    c.add_memristor(
                        f"M{i}_{j}", top, cn(i, j), self.device, float(self.state[i, j])
                    )
        return c

    def __repr__(self) -> str:
        return (
            f"CrossbarArray({self.rows}x{self.cols}, cell={self.cell!r}, r_wire={self.r_wire}, "
            f"r_driver={self.r_driver}, readout={self.readout!r}, "
            f"device={type(self.device).__name__})"
        )


class SignedCrossbarLayer:
    """A signed matrix W (out, in) on a differential pair of crossbars.

    Rows are the ``in`` inputs, columns the ``out`` outputs; G⁺ and G⁻ hold the positive and
    negative parts (:func:`thermolearn.crossbar.mapping.weights_to_differential`). An input x
    is applied as row voltages ``x · v_read`` and the output is ``(I⁺ − I⁻) / (s · v_read)``
    with s = (g_max − g_min)/w_max siemens per unit weight, so ideal hardware returns exactly
    ``x @ W.T`` (up to the conductance levels).

    Parameters
    ----------
    W : array_like (out, in)
        Signed weights.
    w_max : float, optional
        Weight mapped to the full conductance swing (default max|W|, or 1 if W = 0); larger
        weights saturate.
    hardware : Hardware, optional
        Hardware of both arrays (default ``Hardware()``).
    **crossbar_kwargs
        Passed to both :class:`CrossbarArray` (``rng``, ``ledger``, ``variability`` and flat
        hardware settings such as ``g_min``, ``levels``, ``r_wire``). A shared ``ledger``
        books both arrays' energy. Converters and TIAs are shared by the pair (currents
        subtracted before one TIA/ADC per line) and booked once.
    """

    def __init__(
        self,
        W: ArrayLike,
        hardware: Hardware | None = None,
        *,
        w_max: float | None = None,
        **crossbar_kwargs: Any,
    ) -> None:
        w = finite_array(W, "W", "SignedCrossbarLayer")
        if w.ndim != 2 or w.size == 0:
            raise ParameterError(
                f"The 'W' argument of SignedCrossbarLayer must be a non-empty (out, in) matrix; "
                f"got shape {w.shape}."
            )
        self.out_features, self.in_features = w.shape
        if w_max is None:
            m = float(np.max(np.abs(w)))
            w_max = m if m > 0 else 1.0
        self.w_max = check_positive(w_max, "w_max", "SignedCrossbarLayer")
        kw = dict(crossbar_kwargs)
        self.plus = CrossbarArray(self.in_features, self.out_features, hardware, **kw)
        self.hardware: Hardware = self.plus.hardware
        self.ledger: EnergyLedger = self.plus.ledger
        # The pair shares its line drivers (one DAC per driven line) and subtracts the two
        # sensed currents at one virtual-ground node (one TIA and one ADC per sensed line), so
        # the converters and TIAs are booked once, by the ``plus`` array.
        # (``plus.hardware`` already holds the variability params; ``minus`` draws its own.)
        minus_hw = self.hardware.with_settings(adc=False, dac=False, tia=False)
        self.minus = CrossbarArray(
            self.in_features,
            self.out_features,
            minus_hw,
            rng=kw.get("rng"),
            ledger=self.ledger,
        )
        self.scale = differential_scale(self.plus.g_min, self.plus.g_max, self.w_max)
        self._targets: tuple[Array, Array] | None = None
        self.set_weights(w)

    @property
    def crange(self) -> ConductanceRange:
        """Conductance window of both arrays."""
        return self.plus.crange

    def set_weights(self, W: ArrayLike) -> None:
        """Program both arrays to hold W (out, in); books ``"program"`` energy.

        After the first programming only the cells whose conductance target changed are
        written (with a variability model the others keep their state and its write error).
        """
        w = finite_array(W, "W", "SignedCrossbarLayer.set_weights")
        if w.shape != (self.out_features, self.in_features):
            raise ParameterError(
                f"The 'W' argument of SignedCrossbarLayer.set_weights must have shape "
                f"{(self.out_features, self.in_features)}; got {w.shape}."
            )
        gp, gm = weights_to_differential(w.T, self.crange, self.w_max)
        # only the cells whose target changed are written (the controller holds the targets)
        last = self._targets
        cells_p = None if last is None else gp != last[0]
        cells_m = None if last is None else gm != last[1]
        self.plus.program_conductances(gp, cells=cells_p)
        self.minus.program_conductances(gm, cells=cells_m)
        self._targets = (gp, gm)

    @property
    def weights(self) -> Array:
        """Effective W (out, in) realised by the programmed conductances."""
        return differential_to_weights(
            self.plus.conductances, self.minus.conductances, self.crange, self.w_max
        ).T

    def _x(self, x: ArrayLike, size: int, name: str) -> tuple[Array, bool]:
        xx = finite_array(x, name, "SignedCrossbarLayer")
        if xx.ndim not in (1, 2) or xx.shape[-1] != size:
            raise ParameterError(
                f"The '{name}' argument of SignedCrossbarLayer must have shape ({size},) or "
                f"(B, {size}); got {xx.shape}."
            )
        return np.atleast_2d(xx), xx.ndim == 1

    def matvec(self, x: ArrayLike) -> Array:
        """Rows driven with x·v_read, column currents subtracted: ≈ x @ W.T, (B, out)."""
        xx, one = self._x(x, self.in_features, "x")
        v = xx * self.plus.v_read
        y = (self.plus.read(v) - self.minus.read(v)) / (self.scale * self.plus.v_read)
        return y[0] if one else y

    def rmatvec(self, y: ArrayLike) -> Array:
        """Columns driven with y·v_read, row currents subtracted: ≈ y @ W, (B, in)."""
        yy, one = self._x(y, self.out_features, "y")
        v = yy * self.plus.v_read
        x = (self.plus.read_transposed(v) - self.minus.read_transposed(v)) / (
            self.scale * self.plus.v_read
        )
        return x[0] if one else x

    def __repr__(self) -> str:
        return (
            f"SignedCrossbarLayer(out={self.out_features}, in={self.in_features}, "
            f"w_max={self.w_max:g}, arrays={self.plus!r})"
        )


__all__ = ["CrossbarArray", "SignedCrossbarLayer", "CELLS", "READOUTS"]

"""One device under a PWL voltage drive, on either engine.

* ``"python"``: the device's own state ODE, integrated by RK4 on a grid containing every PWL
  corner (:func:`thermolearn.devices.simulate.integrate_iv`);
* ``"ngspice"``: the circuit of :func:`iv_circuit` -- a PWL source ``Vd`` driving the device's
  SPICE twin -- exported by :func:`~thermolearn.circuit.spice.export.export_netlist` (the one
  netlist writer) with ``.tran ... uic`` and tight tolerances, and run in ngspice.

Both return an :class:`~thermolearn.devices.simulate.IVResult` (time, voltage, current
p -> n, state in the model's units).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from thermolearn.circuit.circuit import Circuit
from thermolearn.circuit.spice import runner
from thermolearn.circuit.spice.export import export_netlist
from thermolearn.circuit.waveforms import PWL
from thermolearn.devices.base import Array, MemristorModel
from thermolearn.devices.simulate import IVResult, check_drive, default_max_step, integrate_iv
from thermolearn.errors import ParameterError
from thermolearn.validation import check_choice, finite_array

#: Engine names of :func:`simulate_iv`.
ENGINES = ("python", "ngspice")

#: ngspice options used for device transients: tight relative/absolute tolerances so that the
#: state integrated on the 1 F capacitor tracks the Python RK4 solution to well below 1e-3.
SPICE_OPTIONS = ".options reltol=1e-6 abstol=1e-15 vntol=1e-9 chgtol=1e-18 method=gear maxord=2"

#: Element names in :func:`iv_circuit`: the drive and the device (its twin instance is ``X1``).
SOURCE, DEVICE = "Vd", "1"


def iv_circuit(model: MemristorModel, x0: float, t: Array, v: Array, title: str = "") -> Circuit:
    """Return the circuit of a device run: ``Vd in 0 PWL(t, v)`` and the device from in to 0."""
    c = Circuit(f"{title or 'thermolearn device transient'}: {type(model).__name__}")
    c.add_vsource(SOURCE, "in", "0", dc=float(v[0]), waveform=PWL(times=tuple(t), values=tuple(v)))
    c.add_memristor(DEVICE, "in", "0", model, x0=x0)
    return c


def spice_netlist(
    model: MemristorModel, x0: float, t: Array, v: Array, max_step: float, title: str = ""
) -> str:
    """Return the ngspice netlist of a device run: the exporter's text of :func:`iv_circuit`."""
    h = float(max_step)
    card = f".tran {h!r} {float(t[-1])!r} 0 {h!r} uic"
    return export_netlist(iv_circuit(model, x0, t, v, title), card, options=SPICE_OPTIONS)


def simulate_iv(
    model: MemristorModel,
    x0: float,
    t: ArrayLike,
    v: ArrayLike,
    engine: str = "python",
    *,
    max_step: float | None = None,
) -> IVResult:
    """Transient of one device under the PWL drive ``(t, v)``.

    Parameters
    ----------
    model : MemristorModel
        The device.
    x0 : float
        Initial state (model units).
    t, v : array_like
        PWL drive samples (s, V); ``t`` strictly increasing, starting at 0 for ngspice.
    engine : {"python", "ngspice"}
        Behavioural RK4 or the SPICE twin in ngspice.
    max_step : float, optional
        Largest integration step (s); default ``(t[-1] - t[0]) / 20000``.

    Returns
    -------
    IVResult
        Python: values at the drive samples. ngspice: at ngspice's own time points.

    Raises
    ------
    ParameterError
        On non-finite or malformed drives, or an unknown engine.
    SpiceError
        If ngspice is missing or fails.
    """
    owner = "simulate_iv"
    check_choice(engine, "engine", owner, ENGINES)
    if engine == "python":
        return integrate_iv(model, x0, t, v, max_step=max_step)
    tt, vv = check_drive(t, v, owner)
    x0f = float(finite_array(x0, "x0", owner))
    step = default_max_step(tt, max_step, owner)
    if tt[0] != 0.0:
        raise ParameterError(
            f"The 't' argument of {owner} must start at 0 for ngspice; got {tt[0]!r}."
        )
    res = runner.run_netlist(spice_netlist(model, x0f, tt, vv, step))
    time = res["time"]
    volt = res.voltage("in")
    cur = -res.current(SOURCE.lower())
    if model.spice_has_state:
        state = res["x1.x"] * model.spice_state_scale
    else:
        state = np.full_like(time, model.clip(x0f))
    return IVResult("ngspice", time, volt, cur, state, {"max_step": step})


__all__ = ["ENGINES", "SPICE_OPTIONS", "iv_circuit", "simulate_iv", "spice_netlist"]

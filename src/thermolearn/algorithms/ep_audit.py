"""The physics audit of a physical EP run: an operating point real hardware survives.

:func:`preflight` runs the three phases of a probe batch at the initial conductances and
raises :class:`~thermolearn.errors.ParameterError`, before any training work, when

1. a device drop exceeds the device model's disturb-free read voltage
   (:func:`thermolearn.devices.disturb.disturb_free_voltage` at the phase duration and
   ``disturb_reads`` reads), unless ``allow_read_disturb`` (the disturbance is then simulated);
2. the phase is held shorter than the settling it needs (:func:`settling_figures`): a
   full-scale step of the ADC (2^bits steps, or the largest probe step if larger) must
   settle to a quarter step through the two-pole cascade of the network's slowest mode
   τ_slow = C/λ_min of the conductance matrix (every probe sample and phase) and the slowest
   amplifier stage G/(2π GBW) (every stage of
   :func:`~thermolearn.algorithms.ep_physics.amplifier_stages` at its noise gain G and its
   part's GBW: input drivers, ±a crossbar drives, diode amplifiers, ADC preamps); the stage
   alone needing ``ln(4·2^bits) · G/(2π GBW)`` longer than the phase is refused naming
   ``amplifier_gbw`` or ``buffer_gbw``, the cascade naming ``settling_time``; a stage whose
   gain is below its part's
   minimum stable gain (the OPA855 is decompensated, stable for G ≥ 7 only) is refused naming
   ``amplifier_min_stable_gain`` / ``buffer_min_stable_gain``; an amplifier output that
   would source more than ``amplifier_output_current`` is refused too;
3. the integration window is not long against the node time constants
   (``integration_time < 10 τ_slow``): the averaged-noise law the readout uses would not hold;
4. more than 1 % of the node reads clip the ADC range (:data:`ADC_CLIP_LIMIT`), unless
   ``allow_adc_clipping``; the same limit holds for the reads of every training epoch
   (:meth:`Audit.epoch`: the swing grows as the conductances move), with the same opt-in;
5. the learning signal |V(+β) − V(−β)| is below half an ADC step where the noise is also
   below half a step (no dither): the quantiser would erase the gradient;
6. a nudge target lies outside the output ADC range ±``adc_range_output`` (the range of the
   DAC that sets the nudging sources with ``loss="cross_entropy"``, and of the reads that
   see the outputs move towards the targets), naming ``ce_kappa`` (or the fixed targets).

It also *reports* (``wire_ir_drop``, not a refusal) the IR drop the ideal-line phases leave
out: every crossbar solved again with ``wire_resistance`` ohms per cell pitch
(:func:`wire_ir_drop`; default the bulk-copper lower bound of a 22 nm half-pitch line,
0.76 Ω) at the solved driver and node voltages, and the largest line current of every kind
of driver (``settling.driver_current_max_A``), and (``amplifier_input_currents``,
:func:`input_current_figures`) what the amplifiers' input currents do to the nodes their
inputs sit on: the DC offset per µA of input bias current against the ADC step and the
learning signal, and the input current noise against the network's thermal noise, per
(pA/√Hz)², with the booked figures (none: no data-sheet figure is booked for either part).

The conductances move during training and τ_slow with them: :meth:`Audit.recheck`
evaluates conditions 2 and 3 again on the same probe batch after every epoch, records the
figures per epoch and the worst case (``settling`` -> ``tau_slow_per_epoch_s``,
``settling_margin_min``, ``integration_over_tau_slow_min``), and raises the same
ParameterError on a breach unless ``allow_settling_breach`` (then the breach is counted).

:class:`Audit` accumulates, during training, the largest and median device drops per phase
and crossbar, the read disturb of every epoch (simulated by the device state equation), the
ADC clipping, and at the end the energy per bit against kT ln 2; ``report()`` is the
``audit`` section of ``metrics.json``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from thermolearn.algorithms.ep_physics import (
    WIRE_RESISTANCE_BOUND,
    PhysicsParams,
    amplifier_stages,
    bias_current_offsets,
    cascade_settling_time,
    dense_conductance_matrix,
    device_drops,
    input_loads,
    physical_gradients,
    slowest_time_constant,
)
from thermolearn.devices.disturb import disturb_free_voltage
from thermolearn.errors import ParameterError
from thermolearn.physics import K_B


def disturb_free_limit(model: Any, phys: PhysicsParams, levels: int) -> Any:
    """Return the model's disturb-free read voltage at this run's phase duration."""
    return disturb_free_voltage(
        model, read_time=phys.phase_duration, n_reads=phys.disturb_reads, levels=levels
    )


#: Largest fraction of node reads that may clip the ADC range (preflight and every epoch).
ADC_CLIP_LIMIT = 0.01


def check_clipping(frac: float, phys: PhysicsParams, where: str) -> None:
    """Raise the ParameterError of a clipped fraction ``frac`` above :data:`ADC_CLIP_LIMIT`."""
    if frac > ADC_CLIP_LIMIT:
        raise ParameterError(
            f"EP readout: {100 * frac:.2g} % of the node reads{where} clip the ADC range "
            f"(adc_range_hidden = {phys.adc_range_hidden} V at the amplified node, "
            f"adc_range_output = {phys.adc_range_output} V; limit "
            f"{100 * ADC_CLIP_LIMIT:g} %): a clipped read is not the node's voltage. Widen "
            "'adc_range_hidden'/'adc_range_output', or opt in with allow_adc_clipping "
            "(--allow-adc-clipping) to train on the clipped reads (reported per epoch)."
        )


class Audit:
    """Accumulates the audit figures of a run (see the module docstring)."""

    def __init__(self, net: Any, phys: PhysicsParams, v_df: Any, device_name: str) -> None:
        self.net = net
        self.phys = phys
        self.v_df = v_df
        self.device_name = device_name
        n_x = net.n_layers
        self.max_drop = {ph: [0.0] * n_x for ph in ("free", "plus", "minus")}
        self.median_drop: dict[str, list[float]] = {}
        self.clipped = 0
        self.reads = 0
        self._epoch_clipped = 0
        self._epoch_reads = 0
        self.clipped_per_epoch: list[float] = []
        self.clipping_breaches = 0
        self.disturb_per_epoch: list[float] = []
        self._disturb = 0.0
        self.half_select_dx_per_epoch: list[float] = []
        self._half = 0.0
        self.signal: list[list[float]] = []
        self.read_error: list[list[float]] = []
        self.timing: dict[str, float] = {}
        self.violations = 0
        self.supplied = 0.0
        self.targets_clipped = 0
        self.targets_count = 0
        self.target_max_abs = 0.0
        self.settling_per_epoch: list[dict[str, float]] = []
        self.settling_breaches = 0

    _STATE = ("max_drop", "median_drop", "clipped", "reads", "disturb_per_epoch",
              "half_select_dx_per_epoch", "signal", "read_error", "timing", "violations",
              "supplied", "targets_clipped", "targets_count", "target_max_abs",
              "settling_per_epoch", "settling_breaches", "clipped_per_epoch",
              "clipping_breaches")

    def state(self) -> dict[str, Any]:
        """JSON-ready accumulators (for checkpoints)."""
        return {k: getattr(self, k) for k in self._STATE}

    def restore(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state` (resume); the preflight timing of this run is kept."""
        for k in self._STATE:
            if k in state and k != "timing":
                setattr(self, k, state[k])

    def batch(self, info: dict[str, Any], disturb: float, half_select_dx: float) -> None:
        """Record one training batch's phases."""
        for ph, m in info["max_drop"].items():
            self.max_drop[ph] = [max(a, b) for a, b in zip(self.max_drop[ph], m, strict=True)]
            if max(m) > self.v_df.voltage:
                self.violations += 1
        self.clipped += int(info["clipped"])
        bsz = info["x"].shape[0]
        n = bsz * sum(info["reads"].values())
        self.reads += n
        self._epoch_clipped += int(info["clipped"])
        self._epoch_reads += n
        self._disturb = max(self._disturb, disturb)
        self._half += half_select_dx
        self.signal.append(info["signal"])
        self.read_error.append(info["read_error"])
        self.supplied += sum(info["supplied"].values()) * self.phys.phase_duration
        nudge = info.get("nudge")
        if nudge:
            self.targets_clipped += int(nudge["clipped"])
            self.targets_count += int(nudge["count"])
            self.target_max_abs = max(self.target_max_abs, float(nudge["max_abs"]))

    def medians(self, info: dict[str, Any]) -> None:
        """Median |drop| per phase and crossbar from one batch's exact phases (V)."""
        for ph in ("free", "plus", "minus"):
            if ph in info:
                d = device_drops(self.net, info["x"], info[ph].layers)
                self.median_drop[ph] = [float(np.median(np.abs(a))) for a in d]

    def epoch(self, index: int | None = None) -> None:
        """Close an epoch: store its read disturb, half-select Δx and ADC-clipped fraction.

        Read disturb as max |ΔG| / window. More than :data:`ADC_CLIP_LIMIT` of the epoch's
        reads clipped raises the ParameterError of :func:`check_clipping` unless
        ``allow_adc_clipping`` (then the epoch is counted in ``clipping_breaches``).
        ``index`` is the epoch's number (1-based) for the message; default: the count so far.
        """
        self.disturb_per_epoch.append(self._disturb)
        self.half_select_dx_per_epoch.append(self._half)
        self._disturb = 0.0
        self._half = 0.0
        frac = self._epoch_clipped / max(self._epoch_reads, 1)
        self.clipped_per_epoch.append(frac)
        self._epoch_clipped = 0
        self._epoch_reads = 0
        if not self.phys.allow_adc_clipping:
            n = len(self.clipped_per_epoch) if index is None else index
            check_clipping(frac, self.phys, f" in training epoch {n}")
        self.clipping_breaches += int(frac > ADC_CLIP_LIMIT)

    def recheck(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator, *,
                solver: str = "layerwise") -> dict[str, Any]:
        """Re-evaluate the settling and noise-averaging conditions at the current conductances.

        Called at the end of every epoch on the probe batch :func:`preflight` used (its three
        phases solved again, read with ``rng``, never the training generator): training moves
        the conductances, and τ_slow = C/λ_min with them. Stores the epoch's figures; a breach
        raises the ParameterError :func:`preflight` would raise, naming the parameter and the
        limit, unless ``allow_settling_breach`` (then it is counted in ``breaches``).
        """
        _, info = physical_gradients(self.net, x, y, self.phys, rng, solver=solver)
        fig = settling_figures(self.net, info, self.phys)
        epoch = len(self.settling_per_epoch) + 1
        row = {"epoch": epoch, **{k: fig[k] for k in (
            "tau_slow_s", "largest_step_lsb", "settling_required_s", "settling_margin",
            "integration_over_tau_slow")}}
        self.settling_per_epoch.append(row)
        try:
            check_settling(fig, self.phys, f" (re-checked on the probe batch at the "
                           f"conductances after epoch {epoch})", opt_in=True)
        except ParameterError:
            if not self.phys.allow_settling_breach:
                raise
            self.settling_breaches += 1
        return row

    def settling_report(self) -> dict[str, Any]:
        """Return the ``settling`` section: preflight figures, per epoch, and the worst case."""
        t0 = {k: v for k, v in self.timing.items()
              if k not in ("wire_ir_drop", "amplifier_input_currents",
                           "adc_clipped_fraction_probe")}
        rows = self.settling_per_epoch
        margins = [r["settling_margin"] for r in rows]
        ratios = [r["integration_over_tau_slow"] for r in rows]
        taus = [r["tau_slow_s"] for r in rows]
        if "settling_margin" in t0:
            margins.append(t0["settling_margin"])
            ratios.append(t0["integration_over_tau_slow"])
            taus.append(t0["tau_slow_s"])
        return {
            **t0,
            "rechecked": "probe batch after every epoch (settling_figures); the figures "
            "above are the preflight's, at the initial conductances",
            "tau_slow_per_epoch_s": [r["tau_slow_s"] for r in rows],
            "settling_required_per_epoch_s": [r["settling_required_s"] for r in rows],
            "settling_margin_per_epoch": [r["settling_margin"] for r in rows],
            "integration_over_tau_slow_per_epoch": [r["integration_over_tau_slow"]
                                                    for r in rows],
            "tau_slow_max_s": max(taus) if taus else None,
            "settling_margin_min": min(margins) if margins else None,
            "integration_over_tau_slow_min": min(ratios) if ratios else None,
            "allow_settling_breach": self.phys.allow_settling_breach,
            "breaches": self.settling_breaches,
        }

    def report(self, ledger: Any = None, bits: float | None = None) -> dict[str, Any]:
        """Return the ``audit`` section of metrics.json."""
        p = self.net.params
        phys = self.phys
        sig = np.median(np.array(self.signal), axis=0).tolist() if self.signal else []
        err = np.median(np.array(self.read_error), axis=0).tolist() if self.read_error else []
        lsb_h = phys.lsb(phys.adc_range_hidden)
        lsb_o = phys.lsb(phys.adc_range_output)
        lsb = [lsb_h] * (self.net.n_layers - 1) + [lsb_o]
        out: dict[str, Any] = {
            "device_model": self.device_name,
            "disturb_free_voltage_V": {
                "positive": self.v_df.positive,
                "negative": self.v_df.negative,
                "criterion": (
                    f"{self.v_df.n_reads:.0e} reads of {self.v_df.read_time:.3g} s move G by "
                    f"< half of one of {self.v_df.levels} levels (device state equation)"
                ),
            },
            "device_drop_max_V": self.max_drop,
            "device_drop_median_V": self.median_drop,
            "drop_over_disturb_free_max": max(max(v) for v in self.max_drop.values())
            / self.v_df.voltage
            if self.v_df.voltage > 0
            else math.inf,
            "batches_above_disturb_free_voltage": self.violations,
            "allow_read_disturb": phys.allow_read_disturb,
            "read_disturb_max_dG_over_window_per_epoch": self.disturb_per_epoch,
            "half_select_total_dx_per_epoch": self.half_select_dx_per_epoch,
            "settling": self.settling_report(),
            "wire_ir_drop": self.timing.get("wire_ir_drop", {}),
            "amplifier_input_currents": self.timing.get("amplifier_input_currents", {}),
            "noise_model": {
                "enabled": phys.read_noise,
                "johnson": "2kT G / T per conductance (one-sided 4kTG over the window T)",
                "shot": "q (I + 2 I_s) / T per diode (2q(I + 2I_s) one-sided)",
                "amplifier": "e_n^2 G^2 / (2T) at each stage output of noise gain G, e_n of "
                "the stage's part (OPA855 where G >= 7, OPA859 below): input drivers (G = 1, "
                "-x rows 2) into the hidden nodes, drive amplifiers (G = a, 1 + a) into the "
                "next crossbar and the mirror, bias-row drivers (G = 1), diode amplifier "
                "(G = a_d) into the diodes and the hidden read, ADC preamps (hidden: "
                "adc_input_range / adc_range_hidden at the diode node; outputs: "
                "adc_input_range / adc_range_output); e_n^2 / (2T) per read at the node",
                "amplifier_current_noise": "i_n^2 / (2T) into every node an amplifier's "
                "non-inverting input sits on (hidden: +a drive and diode amplifier; outputs: "
                "ADC preamp); i_n booked: "
                f"{phys.amplifier_current_noise:.3g} A/rtHz (amplifier part), "
                f"{phys.buffer_current_noise:.3g} A/rtHz (buffer part)"
                + (" - no data-sheet figure booked, left out"
                   if phys.amplifier_current_noise == 0.0 and phys.buffer_current_noise == 0.0
                   else ""),
                "amplifier_noise_V_per_rtHz": phys.amplifier_noise,
                "buffer_noise_V_per_rtHz": phys.buffer_noise,
                "amplifier_read_noise_rms_V": math.sqrt(phys.amplifier_read_variance()),
                "amplifier_gbw_Hz": phys.amplifier_gbw,
                "buffer_gbw_Hz": phys.buffer_gbw,
                "adc_preamp_gain": {"hidden": phys.preamp_gain(phys.adc_range_hidden),
                                    "output": phys.preamp_gain(phys.adc_range_output)},
                "integration_time_s": phys.integration_time,
                "node_capacitance_F": phys.capacitance,
                "temperature_K": p.temperature,
            },
            "adc": {
                "bits": phys.adc_bits,
                "lsb_at_adc_input_V": lsb,
                "learning_signal_median_V": sig,
                "read_error_rms_V": err,
                "signal_over_lsb": [s / q for s, q in zip(sig, lsb, strict=False)],
                "clipped_fraction": self.clipped / max(self.reads, 1),
                "clipped_fraction_per_epoch": self.clipped_per_epoch,
                "clipped_fraction_probe": self.timing.get("adc_clipped_fraction_probe"),
                "clip_limit": ADC_CLIP_LIMIT,
                "allow_adc_clipping": phys.allow_adc_clipping,
                "clipping_breach_epochs": self.clipping_breaches,
                "energy_per_conversion_J": phys.adc_energy,
            },
        }
        out["nudge"] = {
            "loss": p.loss,
            "ce_kappa_V": p.ce_kappa if p.loss == "cross_entropy" else None,
            "softmax_scale_V": p.softmax_scale,
            "targets": "controller: V_free_read - kappa (softmax(V_free_read / T) - onehot), "
            "DAC at adc_bits over +-adc_range_output" if p.loss == "cross_entropy"
            else "fixed references target_high / target_low",
            "target_max_abs_V": self.target_max_abs,
            "adc_range_output_V": phys.adc_range_output,
            "targets_clipped_fraction": self.targets_clipped / max(self.targets_count, 1),
        }
        if ledger is not None and bits is not None and bits > 0:
            kt_ln2 = K_B * p.temperature * math.log(2.0)
            jpb = ledger.total() / bits
            out["energy_per_bit"] = {
                "joules_per_bit": jpb,
                "kT_ln2_J": kt_ln2,
                "ratio": jpb / kt_ln2,
                "above_landauer": bool(jpb >= kt_ln2),
            }
        return out


def settling_figures(net: Any, info: dict[str, Any], phys: PhysicsParams) -> dict[str, Any]:
    """Return the settling and noise-averaging figures of solved phases (one criterion).

    ``info`` is the info dict of :func:`physical_gradients` on the probe batch.

    τ_slow, τ_fast = C/λ_min, C/λ_max of the conductance matrix over every probe sample and
    phase. The step a read must resolve is a full-scale step of the ADC, 2^bits steps (or the
    largest step the probe phases take, in ADC steps at the converter, if larger: nodes
    beyond the range), and it must settle to within a quarter step, a remaining fraction
    ε = 1 / (4 · max(ΔV/LSB, 2^bits)). The network's slowest mode and the slowest amplifier
    stage (τ_a = G/(2π GBW)) are in cascade, so the required settling is that of the
    two-pole cascade, ``cascade_settling_time([τ_slow, τ_a], ε)`` (longer than either alone);
    each alone needs τ ln(1/ε). Pure functions of the conductances: re-evaluated on trained
    weights by :meth:`Audit.recheck`.
    """
    p = net.params
    lsb_h = phys.lsb(phys.adc_range_hidden)
    lsb_o = phys.lsb(phys.adc_range_output)
    tau_slow, tau_fast = 0.0, math.inf
    for ph, beta in (("free", 0.0), ("plus", p.beta), ("minus", -p.beta)):
        if ph not in info:
            continue
        ts, tf = slowest_time_constant(net, info[ph], beta, phys.capacitance)
        tau_slow, tau_fast = max(tau_slow, ts), min(tau_fast, tf)
    dv = 0.0
    prev = None
    for ph in ("free", "plus", "minus"):
        if ph not in info:
            continue
        cur = info[ph].layers
        base = [np.zeros_like(a) for a in cur] if prev is None else prev
        for k, (a, b0) in enumerate(zip(cur, base, strict=True)):
            scale = net.readout_gain(k + 1) if k + 1 < net.n_layers else 1.0
            lsb = lsb_h if k + 1 < net.n_layers else lsb_o
            dv = max(dv, float(np.max(np.abs(a - b0))) * scale / lsb)
        prev = cur
    steps = max(dv, 2.0**phys.adc_bits)
    eps = 0.25 / steps
    ln_eps = math.log(1.0 / eps)
    stages = amplifier_stages(net, phys)
    slowest = max(stages, key=lambda st: st.gain / st.gbw)
    tau_amp = slowest.gain / (2.0 * math.pi * slowest.gbw)
    t_net = tau_slow * ln_eps
    t_amp = tau_amp * ln_eps
    t_req = cascade_settling_time([tau_slow, tau_amp], eps)
    return {
        "tau_slow_s": tau_slow,
        "tau_fast_s": tau_fast,
        "largest_step_lsb": dv,
        "settling_criterion": "a step of max(largest probe step, 2^adc_bits) ADC steps "
        "settles to 1/4 step through the cascade of the network's slowest mode C/lambda_min "
        "and the slowest amplifier stage G/(2 pi GBW) (two-pole step response)",
        "settling_ln_factor": ln_eps,
        "settling_required_network_s": t_net,
        "tau_amplifier_s": tau_amp,
        "amplifier_gain": slowest.gain,
        "amplifier_slowest_stage": slowest.name,
        "settling_required_amplifier_s": t_amp,
        "settling_required_s": t_req,
        "settling_time_s": phys.settling_time,
        "settling_margin": phys.settling_time / t_req if t_req > 0 else math.inf,
        "integration_over_tau_slow": phys.integration_time / tau_slow,
    }


def check_settling(fig: dict[str, Any], phys: PhysicsParams, when: str = "",
                   opt_in: bool = False) -> None:
    """Raise ParameterError if ``fig`` (:func:`settling_figures`) breaks a settling limit.

    The phase must cover the cascade's settling (``settling_time``) and the integration
    window must be >= 10 τ_slow (``integration_time``) for the averaged noise law.
    ``opt_in``: the message names ``allow_settling_breach`` (the training re-check).
    """
    tail = (" Or opt in with allow_settling_breach (--allow-settling-breach): the run then "
            "continues with the breach counted in the audit." if opt_in else "")
    tau = fig["tau_slow_s"]
    t_req = fig["settling_required_s"]
    if phys.settling_time < t_req:
        raise ParameterError(
            f"EP timing{when}: the 'settling_time' {phys.settling_time:.3g} s is shorter than "
            f"the {t_req:.3g} s a full-scale step needs to settle within a quarter ADC step "
            f"through the network (slowest time constant C/λ_min = {tau:.3g} s at "
            f"C = {phys.capacitance:.3g} F) in cascade with the {fig['amplifier_slowest_stage']} "
            f"(G/(2 pi GBW) = {fig['tau_amplifier_s']:.3g} s). Raise 'settling_time' to at "
            f"least {t_req:.3g} s or lower 'capacitance'." + tail
        )
    if phys.integration_time < 10.0 * tau:
        raise ParameterError(
            f"EP noise model{when}: the 'integration_time' {phys.integration_time:.3g} s must be "
            f">= 10 slowest node time constants ({10 * tau:.3g} s) for the averaged "
            "thermal-noise law 2kT H^-1 / T to hold. Raise 'integration_time'." + tail
        )


def preflight(
    net: Any,
    x: np.ndarray,
    y: np.ndarray,
    phys: PhysicsParams,
    v_df: Any,
    rng: np.random.Generator,
    *,
    solver: str = "layerwise",
) -> dict[str, float]:
    """Check the operating point on a probe batch before any work (raises ParameterError).

    Returns the settling figures (τ_slow, τ_fast, required settling time, margin).
    """
    p = net.params
    _, info = physical_gradients(net, x, y, phys, rng, solver=solver)
    # 1. read disturb
    for ph, m in info["max_drop"].items():
        for k, d in enumerate(m):
            if d > v_df.voltage and not phys.allow_read_disturb:
                knob = "input_amplitude/bias_voltage" if k == 0 else "v_up/v_down/bias_voltage"
                raise ParameterError(
                    f"EP operating point: in the {ph} phase a device of crossbar {k} sees "
                    f"{d:.3g} V, above the device model's disturb-free read voltage "
                    f"{v_df.voltage:.3g} V ({v_df.n_reads:.0e} reads of {v_df.read_time:.3g} s "
                    f"move its conductance by more than half a level). Lower '{knob}' so every "
                    "drop stays below it, or opt in with allow_read_disturb "
                    "(--allow-read-disturb) to simulate the disturbance."
                )
    # 2./3. settling and integration
    stages = amplifier_stages(net, phys)
    for st in stages:
        if st.gain < st.min_stable_gain:
            knob = f"{st.part}_min_stable_gain"
            raise ParameterError(
                f"EP amplifiers: the {st.name} runs at noise gain {st.gain:.3g} V/V, below the "
                f"minimum stable gain {st.min_stable_gain:.3g} V/V of its part "
                f"('{knob}'): a decompensated amplifier oscillates there. Build it from a "
                "part stable at that gain (lower 'amplifier_min_stable_gain' only for a part "
                "whose data sheet says so), or raise the stage's gain."
            )
    fig = settling_figures(net, info, phys)
    i_amp = _amplifier_currents(net, info)
    timing: dict[str, Any] = {
        **fig,
        "amplifier_current_max_A": i_amp,
        "driver_current_max_A": dict(info.get("driver_current_max", {})),
        "amplifier_stages": [
            {"stage": st.name, "noise_gain": st.gain, "count": st.count,
             "part": "OPA855" if st.part == "amplifier" else "OPA859",
             "gbw_Hz": st.gbw, "noise_V_per_rtHz": st.noise, "power_W": st.power,
             "min_stable_gain": st.min_stable_gain,
             "current_noise_A_per_rtHz": st.current_noise, "bias_current_A": st.bias_current,
             "settling_s": st.gain / (2.0 * math.pi * st.gbw) * fig["settling_ln_factor"]}
            for st in stages
        ],
    }
    timing["wire_ir_drop"] = wire_ir_drop(net, info["x"], info, phys)
    timing["amplifier_input_currents"] = input_current_figures(net, info, phys)
    t_amp = fig["settling_required_amplifier_s"]
    if phys.settling_time < t_amp:
        slowest = max(stages, key=lambda st: st.gain / st.gbw)
        knob = "amplifier_gbw" if slowest.part == "amplifier" else "buffer_gbw"
        gbw_min = slowest.gain * fig["settling_ln_factor"] / (2.0 * math.pi
                                                              * phys.settling_time)
        raise ParameterError(
            f"EP timing: the {slowest.name} (closed-loop gain {slowest.gain:.3g}) has the time "
            f"constant G/(2 pi GBW) = {fig['tau_amplifier_s']:.3g} s at '{knob}' = "
            f"{slowest.gbw:.3g} Hz and needs ln(4 * 2^{phys.adc_bits}) of them, "
            f"{t_amp:.3g} s, to settle a full-scale step within a quarter ADC step; the "
            f"'settling_time' is {phys.settling_time:.3g} s. Use an amplifier with '{knob}' >= "
            f"{gbw_min:.3g} Hz or raise 'settling_time' to at least {t_amp:.3g} s."
        )
    # every driven line: the hidden stages and the input-row drivers behind the DACs
    i_all = {**i_amp, **dict(info.get("driver_current_max", {}))}
    if max(i_all.values()) > phys.amplifier_output_current:
        worst = max(i_all, key=lambda k: i_all[k])
        raise ParameterError(
            f"EP amplifiers: the {worst} sources {i_all[worst]:.3g} A, above the "
            f"'amplifier_output_current' limit {phys.amplifier_output_current:.3g} A. Use a "
            "part that drives it, lower 'gain'/'diode_gain', or raise the device resistances."
        )
    check_settling(fig, phys)
    # 4. ADC range
    n_reads = x.shape[0] * sum(info["reads"].values())
    frac = info["clipped"] / n_reads
    timing["adc_clipped_fraction_probe"] = frac
    if not phys.allow_adc_clipping:
        check_clipping(frac, phys, " on the probe batch before training")
    # 6. nudge targets inside the output range (the target DAC's and the output reads')
    nudge = info["nudge"]
    if nudge["max_abs"] > phys.adc_range_output:
        knob = ("ce_kappa" if p.loss == "cross_entropy" else "target_high/target_low")
        raise ParameterError(
            f"EP nudge: a target of the nudging sources reaches {nudge['max_abs']:.3g} V, "
            f"outside the output range adc_range_output = {phys.adc_range_output} V "
            f"({nudge['clipped']} of {nudge['count']} targets of the probe batch, loss "
            f"{p.loss!r}). Lower '{knob}' or widen 'adc_range_output'."
        )
    # 5. learning signal vs resolution
    lsb_h = phys.lsb(phys.adc_range_hidden)
    lsb_o = phys.lsb(phys.adc_range_output)
    for k, (s, e) in enumerate(zip(info["signal"], info["read_error"], strict=True)):
        lsb = lsb_h if k + 1 < net.n_layers else lsb_o
        noise_dither = e > 0.5 * lsb
        if s < 0.5 * lsb and not noise_dither:
            need = math.ceil(math.log2(2.0 * (phys.adc_range_hidden if k + 1 < net.n_layers
                                              else phys.adc_range_output) / (0.5 * s)))
            raise ParameterError(
                f"EP readout: the median learning signal |V(+beta) - V(-beta)| of layer {k + 1} "
                f"is {s:.3g} V at the ADC, below half its step {lsb:.3g} V, with no noise to "
                f"dither it (read error {e:.3g} V): 'adc_bits' = {phys.adc_bits} erases the "
                f"gradient. Use >= {need} bits, a larger 'beta', or a narrower ADC range."
            )
    return timing


def crossbar_wire_drop(
    g: np.ndarray, u_row: np.ndarray, u_col: np.ndarray, r_wire: float
) -> dict[str, float]:
    """IR drop of one crossbar's lines at given terminal voltages (V; B samples).

    The rows are held at ``u_row`` (B, M) by their drivers at column 0, the columns at
    ``u_col`` (B, N) at their far end, and every cell pitch of every line is ``r_wire`` ohms
    (:class:`~thermolearn.crossbar.array_solver.CrossbarNetwork`, the line-resistance solver).
    Returns the largest error of a cell's drop against the ideal-wire drop u_i − u_j, that
    error relative to the largest ideal drop, the largest voltage lost along a row and along a
    column line, and the largest column-current error relative to the largest Σ_i |G_ij ΔV_ij|.
    """
    from thermolearn.crossbar.array_solver import CrossbarNetwork

    ideal = u_row[:, :, None] - u_col[:, None, :]
    i_ideal = u_row @ g - u_col * g.sum(axis=0)
    scale = float(np.max(np.abs(ideal * g[None]).sum(axis=1)))
    if r_wire == 0.0:
        return {"cell_drop_error_max_V": 0.0, "cell_drop_error_relative": 0.0,
                "row_line_drop_max_V": 0.0, "column_line_drop_max_V": 0.0,
                "column_current_error_relative": 0.0}
    cn = CrossbarNetwork(g, r_wire=r_wire, row_r_term=np.zeros(g.shape[0]),
                         col_r_term=np.zeros(g.shape[1]))
    sol = cn.solve(u_row, u_col)
    err = float(np.max(np.abs(sol.v_cell - ideal)))
    return {
        "cell_drop_error_max_V": err,
        "cell_drop_error_relative": err / float(np.max(np.abs(ideal))),
        "row_line_drop_max_V": float(np.max(np.abs(sol.v_row - u_row[:, :, None]))),
        "column_line_drop_max_V": float(np.max(np.abs(sol.v_col - u_col[:, None, :]))),
        "column_current_error_relative": float(np.max(np.abs(sol.i_col - i_ideal))) / scale
        if scale > 0 else 0.0,
    }


def wire_ir_drop(net: Any, x: np.ndarray, info: dict[str, Any], phys: PhysicsParams,
                 samples: int = 2) -> dict[str, Any]:
    """Return the IR drop of the solved phases' lines at ``phys.wire_resistance`` per cell.

    The phases are solved with ideal lines; this holds every row at its solved driver voltage
    and every column at its solved node voltage and solves each crossbar again with the wire
    resistance (first ``samples`` probe samples, every phase), reporting the worst figures of
    :func:`crossbar_wire_drop` per crossbar: what the ideal-line model leaves out.
    """
    r = phys.wire_resistance
    out: dict[str, Any] = {
        "wire_resistance_ohm_per_cell": r,
        "source": "bound: bulk-Cu resistivity 1.68e-8 ohm m (CRC Handbook) over a 22 nm "
        "half-pitch line (width F, thickness 2F, cell pitch 2F); size effects raise it"
        if r == WIRE_RESISTANCE_BOUND else "set by the run",
        "crossbars": [],
    }
    xs = x[:samples]
    for k in range(net.n_layers):
        worst: dict[str, float] = {}
        for ph in ("free", "plus", "minus"):
            if ph not in info:
                continue
            layers = [a[:samples] for a in info[ph].layers]
            prev = xs if k == 0 else layers[k - 1]
            pre = net.presynaptic(k, prev)
            f = crossbar_wire_drop(net.weights[k] * net.params.g_max, pre, layers[k], r)
            worst = {key: max(worst.get(key, 0.0), v) for key, v in f.items()}
        out["crossbars"].append(worst)
    return out


def input_current_figures(net: Any, info: dict[str, Any], phys: PhysicsParams,
                          samples: int = 4) -> dict[str, Any]:
    """Report what the amplifiers' input currents do to the nodes they sit on (no refusal).

    ``info`` is the info dict of :func:`physical_gradients` on the probe batch; its free phase
    is used. Per solved layer (hidden layers, then outputs), with the inputs of
    :func:`~thermolearn.algorithms.ep_physics.input_loads` on each node:

    * bias current: the DC shift H^{-1} I_b of the free phase's operating point
      (:func:`~thermolearn.algorithms.ep_physics.bias_current_offsets`) for 1 µA drawn by
      every input, median and largest |ΔV| over nodes and probe samples, at the node and in
      ADC steps at the converter (hidden nodes are read at the diode node, × a_d), the
      median learning signal in the same steps, and the bias current per input at which the
      largest shift reaches one ADC step; and the shift at the booked I_b (which the engines
      then solve into the phases, :func:`~thermolearn.algorithms.ep_physics.apply_bias_currents`);
    * current noise: diag(H^{-1} D H^{-1}) with D = Σ i_n² / (2T) per node, over the
      network's thermal reference 2kT [H^{-1}]_ii / T, for i_n = 1 pA/√Hz on every input
      (the ratio scales as i_n²), median over nodes of the first ``samples`` probe samples;
      and the same at the booked i_n (in the loop:
      :func:`~thermolearn.algorithms.ep_physics.read_noise`).
    """
    free = info["free"]
    loads = input_loads(net, phys)
    sizes = [v.shape[1] for v in free.layers]
    big_l = net.n_layers
    lsb = [phys.lsb(phys.adc_range_hidden)] * (big_l - 1) + [phys.lsb(phys.adc_range_output)]
    scale = [float(net.readout_gain(k + 1)) for k in range(big_l - 1)] + [1.0]
    per_ua = bias_current_offsets(net, free, 0.0, phys, per_input=1e-6)
    booked = bias_current_offsets(net, free, 0.0, phys)
    kt = K_B * net.params.temperature
    t_int = phys.integration_time
    n = min(samples, free.layers[0].shape[0])
    cnt = np.concatenate([np.full(s, len(st)) for s, st in zip(sizes, loads, strict=True)])
    d_booked = np.concatenate([np.full(s, sum(x.current_noise**2 for x in st))
                               for s, st in zip(sizes, loads, strict=True)]) / (2.0 * t_int)
    d_unit = cnt * (1e-12) ** 2 / (2.0 * t_int)
    r_unit, r_booked = [], []
    for i in range(n):
        hinv = np.linalg.inv(dense_conductance_matrix(net, free, 0.0, i))
        ref = 2.0 * kt * np.diag(hinv) / t_int
        r_unit.append(np.einsum("ij,j,ij->i", hinv, d_unit, hinv) / ref)
        r_booked.append(np.einsum("ij,j,ij->i", hinv, d_booked, hinv) / ref)
    ru, rb = np.array(r_unit), np.array(r_booked)
    off = np.cumsum([0, *sizes])
    layers = []
    for k, (stages, dv, dvb) in enumerate(zip(loads, per_ua, booked, strict=True)):
        a = np.abs(dv)
        steps = a * scale[k] / lsb[k]
        sig = info["signal"][k] if k < len(info["signal"]) else None
        layers.append({
            "layer": "output" if k == big_l - 1 else f"hidden {k + 1}",
            "inputs_per_node": [f"{st.name} ({'OPA855' if st.part == 'amplifier' else 'OPA859'})"
                                for st in stages],
            "offset_per_uA_median_V": float(np.median(a)),
            "offset_per_uA_max_V": float(np.max(a)),
            "offset_per_uA_max_adc_steps": float(np.max(steps)),
            "learning_signal_median_adc_steps": None if sig is None else sig / lsb[k],
            "bias_current_for_one_adc_step_A": 1e-6 / float(np.max(steps)),
            "offset_at_booked_bias_max_V": float(np.max(np.abs(dvb))),
            "current_noise_over_thermal_per_pA2_median": float(
                np.median(ru[:, off[k]:off[k + 1]])),
            "current_noise_over_thermal_booked_median": float(
                np.median(rb[:, off[k]:off[k + 1]])),
        })
    booked_any = any(st.bias_current > 0 or st.current_noise > 0 for st in sum(loads, []))
    return {
        "model": "inputs on network nodes: +a drive and diode amplifier (hidden), ADC preamp "
        "(outputs); the inverting -a drive, the hidden ADC preamp (reads u) and the drivers "
        "load no node. Bias offset H^-1 I_b (first order, free phase); a booked I_b is in "
        "every engine's operating point (apply_bias_currents). Current noise i_n^2/(2T) per "
        "input in read_noise.",
        "booked": "none: no data-sheet figure for i_n or I_b of OPA855 (SBOS622) / OPA859 "
        "(SBOS852A) is booked" if not booked_any else "amplifier_/buffer_current_noise and "
        "_bias_current of PhysicsParams",
        "output_target_span_V": abs(net.params.target_high - net.params.target_low),
        "layers": layers,
    }


def _amplifier_currents(net: Any, info: dict[str, Any]) -> dict[str, float]:
    """Largest output current (A) of each amplifier kind over the three probe phases.

    A drive buffer at ±aV sources its row's current Σ_j G_ij (±aV_i − V_j); its mirror
    (CCCS of gain a) returns a times that into the hidden node; a diode amplifier sources the
    net diode current of its node, and its mirror a_d times that.
    """
    p = net.params
    out = {"crossbar drive buffer": 0.0, "crossbar current mirror": 0.0,
           "diode amplifier": 0.0, "diode current mirror": 0.0}
    for ph in ("free", "plus", "minus"):
        if ph not in info:
            continue
        layers = info[ph].layers
        for k in range(1, net.n_layers):
            n = p.layer_sizes[k]
            pre = net.presynaptic(k, layers[k - 1])[:, : 2 * n]
            g = net.weights[k][: 2 * n] * p.g_max
            rows = np.abs(pre * g.sum(axis=1) - layers[k] @ g.T)
            i_row = float(np.max(rows)) if rows.size else 0.0
            out["crossbar drive buffer"] = max(out["crossbar drive buffer"], i_row)
            out["crossbar current mirror"] = max(out["crossbar current mirror"],
                                                 abs(net._gain(k)) * i_row)
            if p.diodes:
                i_up, i_dn = net.diode_currents(k, layers[k - 1])
                i_d = float(np.max(np.abs(i_up - i_dn)))
                out["diode amplifier"] = max(out["diode amplifier"], i_d)
                out["diode current mirror"] = max(out["diode current mirror"],
                                                  p.diode_gain * i_d)
    return out


__all__ = ["Audit", "preflight", "settling_figures", "check_settling", "disturb_free_limit",
           "crossbar_wire_drop", "wire_ir_drop"]

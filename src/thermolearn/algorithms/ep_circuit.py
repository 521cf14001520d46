"""Equilibrium propagation executed physically on a layered nonlinear resistive circuit.

The circuit (Kendall et al. 2020)
---------------------------------
* **Inputs**: every feature x_i ∈ [0, 1] (or standardised to [−1, 1], see
  :mod:`~thermolearn.algorithms.ep_inputs`) drives two voltage sources, +A·x_i and −A·x_i
  (A = ``input_amplitude``), so that positive conductances give signed effective weights.
* **Bias node**: a source pair +V_b / −V_b feeds every layer like an extra input.
* **Weights**: crossbars of positive conductances G between the (doubled) pre-synaptic lines
  of layer l and the nodes of layer l + 1.
* **Nonlinearity**: every hidden node has a diode pair: diode D_up (anode = node, cathode =
  source ``v_up``) and diode D_down (anode = source ``v_down``, cathode = node); Shockley
  diodes with emission coefficient n and series resistance R_s.
* **Bidirectional amplifiers**: a hidden node V drives the next crossbar through two voltage
  amplifiers (VCVS, gains +a and −a); the current I drawn from each amplifier output is
  mirrored back into the node by a CCCS with the same gain (±a). This makes the circuit
  reciprocal, i.e. a gradient system whose operating point minimises the co-content
  ``E = Σ_edges ½ G (V_pre − V_post)² + Σ_diodes ∫ I_D dV`` (with V_pre = ±a V), and it
  restores the signal range that the averaging of ~130 conductances would otherwise shrink.
* **Nudging**: output k receives the current β (y_k − V_k) (a conductance β to a source at the
  target voltage y_k); the centred estimator uses +β and −β.

Learning rule (Scellier & Bengio 2017; Kendall et al. 2020)
-----------------------------------------------------------
∂C/∂G_ij ≈ [ΔV_ij(+β)² − ΔV_ij(−β)²] / (4β) where ΔV_ij is the voltage across device ij, with
the cost C = ½ Σ_k (V_k − y_k)². The update ΔG = −η ∂C/∂G is applied either ideally (clipped
to [g_min, g_max]) or as programming pulses through a bounded, nonlinear, asymmetric device
model with finite levels, cycle-to-cycle noise and stochastically rounded pulse counts
(:class:`PulsedDevice`). With open-loop pulse counts (|ΔG| / level step) every pulse of the
soft-bounded device also drifts it towards its symmetry point, which acts as a strong weight
decay (digits, seed 0: 90.3 % test accuracy); the default state-aware controller inverts the
device's pulse response from its known conductance before rounding, which removes the drift.

Scales: with the digits defaults (64 inputs → ±10 V sources, 1e-8..1e-6 S devices, diode
knees near ±0.07 V, amplifier gain 3) a hidden node sees ~130 conductances and sits within
~±0.2 V; the amplifiers restore the range of the output layer, whose targets are ±0.1 V.

**Read voltages exceed device thresholds.** With ±10 V input sources the devices of the first
crossbar carry read drops of up to ~10 V (digits, initial weights: max 10.1 V, median 0.6 V per
device; the bias rows put up to ~1 V across the output crossbar). That is far above the ~1 V
programming pulses of :class:`PulsedDeviceParams` and the ~0.5–1.5 V write thresholds of
typical memristors, so a real array read this way would be disturbed (or need selectors and a
much smaller A with more gain). The conductances here are treated as fixed during the phases:
a simulation idealisation, not a property of real memristors.

Fast solver (Scellier, ICML 2024)
---------------------------------
There are no lateral connections inside a layer, so the co-content is minimised *exactly*
layer by layer: with the neighbouring layers fixed, each node obeys the scalar, monotone KCL
``S V + I_Dup(V) − I_Ddown(V) = b``; with series resistance the diode law is implicit, and the
node equation of the conducting diode is solved in closed form with the Wright omega function
(the partner diode's current is evaluated at the previous estimate and converges with the
outer sweeps). Sweeps over layers repeat until the largest voltage change is below ``tol``;
everything is vectorised over samples. The co-content is convex, so the block-coordinate
minimisation converges to the unique operating point.

Internally conductances are stored normalised, w = G / g_max, so currents are in units of
g_max·volt; all public outputs are SI.

References
----------
.. [1] J. Kendall, R. Pantone, K. Manickavasagam, Y. Bengio, B. Scellier, "Training End-to-End
   Analog Neural Networks with Equilibrium Propagation", arXiv:2006.01981 (2020).
.. [2] B. Scellier, "A fast algorithm to simulate nonlinear resistive networks", ICML 2024
   (arXiv:2402.11674).
.. [3] B. Scellier, Y. Bengio, "Equilibrium Propagation", Front. Comput. Neurosci. 11:24 (2017).
.. [4] W. Shockley, Bell Syst. Tech. J. 28, 435 (1949); R. M. Corless et al., "On the Lambert W
   function", Adv. Comput. Math. 5, 329 (1996) (closed form of the diode with series R).
.. [5] T. Gokmen, Y. Vlasov, "Acceleration of deep neural network training with resistive
   cross-point devices", Front. Neurosci. 10:333 (2016) (soft-bounded pulsed updates).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.circuit import Circuit, operating_point
from thermolearn.devices import DiodeParams
from thermolearn.devices.shockley import shockley_current, wright_omega
from thermolearn.errors import ConvergenceError, ParameterError
from thermolearn.numerics import softmax
from thermolearn.physics import K_B, Q_E, T_ROOM
from thermolearn.validation import (
    check_choice,
    check_finite,
    check_int,
    check_nonnegative,
    check_positive,
    check_range,
    finite_array,
)

Array = NDArray[np.float64]

#: Operating-point solvers of the EP network (:meth:`EPCircuit.solve`).
SOLVERS = ("layerwise", "mna", "ngspice")
#: Costs the nudge descends (:meth:`EPCircuit.nudge_targets`): the squared distance to fixed
#: class targets, or softmax cross-entropy through controller-computed per-sample targets.
LOSSES = ("squared", "cross_entropy")

# --------------------------------------------------------------------------------------------
# Diode kernels (pure functions on arrays)
# --------------------------------------------------------------------------------------------


def _solve_diode_node(
    s: Array, b: Array, i_other: Array, v_bias: float, i_s: Array | float, r_s: float, phi: float
) -> tuple[Array, Array]:
    """Solve ``s V + f(V − v_bias) = b + i_other`` for V, f = diode law with series R.

    All quantities in normalised units (currents / g_max). Returns (V, f). Closed form:
    with junction voltage u, V = v_bias + u + r_s f and f = i_s (e^{u/φ} − 1), so
    ``s u + k f = c`` (k = 1 + s r_s, c = b + i_other − s v_bias) gives
    ``u = q − φ ω(ln A + q/φ)``, q = (c + k i_s)/s, A = k i_s/(s φ), f = i_s (ω/A − 1).
    """
    k = 1.0 + s * r_s
    c = b + i_other - s * v_bias
    q = (c + k * i_s) / s
    log_a = np.log(k * i_s / (s * phi))
    w = wright_omega(log_a + q / phi)
    u = q - phi * w
    f = i_s * (w / np.exp(log_a) - 1.0)
    return v_bias + u + r_s * f, f


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EPCircuitParams:
    """Parameters of the physical EP circuit (SI units).

    Attributes
    ----------
    layer_sizes : tuple of int
        (n_inputs, hidden..., n_outputs); at least one hidden layer.
    g_min, g_max : float
        Conductance range of every crossbar device, S.
    init_low, init_high : float
        Initial conductances drawn uniformly in [init_low, init_high]·g_max.
    input_amplitude : float
        A, V: feature x drives sources ±A x. The drop across a first-crossbar device reaches
        ~A, so A above the device's write threshold (~1 V) is a read-disturb-free idealisation.
    bias_voltage : float
        V_b, V: the bias source pair ±V_b of the first crossbar (beside the inputs ±A x).
    hidden_bias_voltage : float or None
        V, the bias source pair of every crossbar driven by a hidden layer (rows ±a V_h);
        None = ``bias_voltage``. A bias row's EP gradient and its curvature scale with its
        voltage (squared), so a bias of 0.2 V beside hidden rows that swing a few mV makes
        that crossbar's bias ~10³ times stiffer than its weights and the stable learning rate
        ~10³ times too small for them; matching it to the amplified hidden swing keeps one
        learning rate per crossbar well conditioned.
    gain : float
        Voltage gain a of the bidirectional amplifiers after each hidden layer (CCCS gain = a).
    v_up, v_down : float
        Bias sources of the diode pair, V (D_up: u → v_up; D_down: v_down → u, with u the
        diode node, see ``diode_gain``); u is soft-clamped where the diodes turn on, which
        also bounds the drops across the next crossbar.
    diode_i_s, diode_n, diode_r_s : float
        Shockley saturation current (A), emission coefficient, series resistance (Ω).
    diodes : bool
        False removes every diode pair: the network is then linear (a control experiment).
    diode_gain : float
        Gain a_d of a second bidirectional amplifier (VCVS + mirroring CCCS) that copies each
        hidden voltage to its own node u = a_d·V, where the diode pair sits (and the hidden
        ADC reads). Its mirrored load on the hidden node is a_d² g_d(u): zero while the
        diodes are off, so unlike the crossbar gain it does not shrink the hidden signal; the
        diode knee (n V_T at u) is n V_T/a_d wide in the hidden node's units. 1 = diodes
        directly on the hidden node (Kendall et al.).
    temperature : float
        K (thermal voltage of the diodes).
    beta : float
        Nudging conductance β, S (> 0); the centred estimator uses ±β.
    target_high, target_low : float
        Output target voltages for the correct class and the others, V.
    softmax_scale : float
        Temperature T (V) of the softmax turning output voltages into class probabilities
        (and of the cross-entropy nudge).
    loss : {"squared", "cross_entropy"}
        What the nudge descends. ``"squared"`` (default): C = ½ Σ_k (V_k − y_k)² with the fixed
        targets ``target_high`` / ``target_low``. ``"cross_entropy"``: the controller sets each
        sample's nudge targets from its own free-phase output reads,
        t = V_free − κ (softmax(V_free / T) − onehot(y)) (:meth:`EPCircuit.nudge_targets`);
        the nudging element and the ±β phases are unchanged, only the target values differ.
        The centred estimate is then the gradient of κ T · CE, CE = −log softmax(V / T)_y
        (:meth:`EPCircuit.cost`), to first order in β.
    ce_kappa : float
        κ, V: the largest displacement of a cross-entropy nudge target from the free output
        (|t − V_free| ≤ κ); it scales the estimate like a learning rate and, with β, how far
        the nudge moves the outputs.
    input_bias_hidden, input_bias_output : float
        DC current (A, signed) drawn from every hidden / output node by the amplifier inputs
        on it (their input bias currents: :func:`~thermolearn.algorithms.ep_physics.input_loads`,
        the sum over the inputs on a node). Part of the operating point of every engine (the
        layer-wise KCL, and a current source per node in :meth:`EPCircuit.build_circuit` for
        the MNA and ngspice solvers). Default 0: no data-sheet bias current is booked.
    tol : float
        Convergence tolerance of the layer-wise solver on node voltages, V.
    max_sweeps : int
        Maximum number of layer sweeps per solve.
    settling_time : float
        Time each phase is held (s) for the static-dissipation bookkeeping; the default 100 ns
        is ~6 (1 pF) to ~60 (0.1 pF) time constants of a node driven through 1/S ≈ 17 kΩ.
    amplifier_power : float
        Static power per amplifier (VCVS+CCCS pair), W; a model figure.
    adc_energy, dac_energy : float
        Energy per output ADC / input DAC conversion, J; model figures.
    """

    layer_sizes: tuple[int, ...]
    g_min: float = 1e-8
    g_max: float = 1e-6
    init_low: float = 0.1
    init_high: float = 0.6
    input_amplitude: float = 1.0
    bias_voltage: float = 1.0
    hidden_bias_voltage: float | None = None
    gain: float = 2.0
    v_up: float = -0.2
    v_down: float = 0.2
    diode_i_s: float = 1e-15
    diode_n: float = 1.0
    diode_r_s: float = 100.0
    diodes: bool = True
    diode_gain: float = 1.0
    temperature: float = T_ROOM
    beta: float = 1e-6
    target_high: float = 0.3
    target_low: float = -0.1
    softmax_scale: float = 0.05
    loss: str = "squared"
    ce_kappa: float = 0.002
    input_bias_hidden: float = 0.0
    input_bias_output: float = 0.0
    tol: float = 1e-7
    max_sweeps: int = 500
    settling_time: float = 1e-7
    amplifier_power: float = 1e-5
    adc_energy: float = 1e-12
    dac_energy: float = 1e-12

    def __post_init__(self) -> None:
        owner = "EPCircuitParams"
        sizes = tuple(self.layer_sizes)
        if len(sizes) < 3:
            raise ParameterError(
                f"The 'layer_sizes' parameter of {owner} needs (inputs, hidden..., outputs) with "
                f"at least one hidden layer; got {self.layer_sizes!r}."
            )
        for s in sizes:
            check_int(s, "layer_sizes", owner, minimum=1)
        object.__setattr__(self, "layer_sizes", tuple(int(s) for s in sizes))
        check_positive(self.g_min, "g_min", owner, "S")
        check_positive(self.g_max, "g_max", owner, "S")
        if self.g_min >= self.g_max:
            raise ParameterError(
                f"The 'g_min' parameter of {owner} must be < g_max={self.g_max} S; "
                f"got {self.g_min}."
            )
        wmin = self.g_min / self.g_max
        check_range(self.init_low, "init_low", owner, wmin, 1.0)
        check_range(self.init_high, "init_high", owner, self.init_low, 1.0)
        check_positive(self.input_amplitude, "input_amplitude", owner, "V")
        check_nonnegative(self.bias_voltage, "bias_voltage", owner, "V")
        if self.hidden_bias_voltage is not None:
            check_nonnegative(self.hidden_bias_voltage, "hidden_bias_voltage", owner, "V")
        check_positive(self.gain, "gain", owner)
        check_positive(self.diode_gain, "diode_gain", owner)
        check_finite(self.v_up, "v_up", owner)
        check_finite(self.v_down, "v_down", owner)
        check_positive(self.diode_i_s, "diode_i_s", owner, "A")
        check_positive(self.diode_n, "diode_n", owner)
        check_positive(self.diode_r_s, "diode_r_s", owner, "ohm")
        check_positive(self.temperature, "temperature", owner, "K")
        check_positive(self.beta, "beta", owner, "S")
        check_finite(self.target_high, "target_high", owner)
        check_finite(self.target_low, "target_low", owner)
        check_positive(self.softmax_scale, "softmax_scale", owner, "V")
        check_choice(self.loss, "loss", owner, LOSSES)
        check_positive(self.ce_kappa, "ce_kappa", owner, "V")
        check_finite(self.input_bias_hidden, "input_bias_hidden", owner)
        check_finite(self.input_bias_output, "input_bias_output", owner)
        check_positive(self.tol, "tol", owner, "V")
        check_int(self.max_sweeps, "max_sweeps", owner, minimum=1)
        check_positive(self.settling_time, "settling_time", owner, "s")
        check_nonnegative(self.amplifier_power, "amplifier_power", owner, "W")
        check_nonnegative(self.adc_energy, "adc_energy", owner, "J")
        check_nonnegative(self.dac_energy, "dac_energy", owner, "J")

    def bias_of(self, crossbar: int) -> float:
        """Voltage (V) of the ± bias rows of crossbar ``crossbar`` (0 = the input crossbar)."""
        if crossbar == 0 or self.hidden_bias_voltage is None:
            return self.bias_voltage
        return self.hidden_bias_voltage

    @property
    def thermal_voltage(self) -> float:
        """N k T / q, V."""
        return self.diode_n * K_B * self.temperature / Q_E


# --------------------------------------------------------------------------------------------
# Diode sizing: the pair's share of the node conductance and its knee, at any fan-in
# --------------------------------------------------------------------------------------------

#: Share of a hidden node's small-signal conductance carried by its diode pair at rest
#: (V = 0, the mean initial conductances) under :func:`diode_area_for_fan_in`. The digits
#: operating point (fan-in 64, a_d = 30, 1 pA) has 3.9 %; at 784 inputs the same diodes carry
#: 0.7 % (the node sums ~12x more conductance): the fan-in dilutes them.
DIODE_REST_SHARE = 0.04
#: Knee width n V_T / a_d in units of the hidden swing σ_V, inverted: a_d σ_V / (n V_T)
#: (:func:`diode_gain_for_swing`). The digits operating point has 30 × 1.30 mV / 25.9 mV = 1.5
#: at its initial conductances; the 784-input net swings 0.70 mV (inputs average out), so a
#: fixed a_d = 30 puts its knee ~1.9x wider than its signal.
DIODE_KNEE_SWINGS = 1.5


def mean_node_conductance(params: EPCircuitParams, layer: int = 1) -> float:
    """Mean total conductance S̄ (S) of a node of hidden layer ``layer`` at the initial draw.

    The node meets the (2 n_{l−1} + 2) rows of its input crossbar (inputs ±, bias ±) and, mirrored
    with gain a², the 2 n_{l+1} columns of the next crossbar its ±a V rows drive, each device
    at the mean initial conductance (init_low + init_high)/2 · g_max: a function of the fan-in,
    the fan-out, the crossbar gain and the conductance window only.
    """
    sizes = params.layer_sizes
    check_int(layer, "layer", "mean_node_conductance", minimum=1)
    if layer >= len(sizes) - 1:
        raise ParameterError(
            f"The 'layer' argument of mean_node_conductance must be a hidden layer (1.."
            f"{len(sizes) - 2}); got {layer}."
        )
    w_mean = 0.5 * (params.init_low + params.init_high)
    rows_in = 2 * sizes[layer - 1] + 2
    rows_out = 2 * sizes[layer + 1]
    return float((rows_in + params.gain**2 * rows_out) * w_mean * params.g_max)


def diode_pair_conductance(params: EPCircuitParams, v: ArrayLike = 0.0) -> Array:
    """a_d² [g_up(a_d V) + g_down(a_d V)] (S): the pair's load on its hidden node at V (V).

    The exact small-signal conductance of each Shockley diode with its series resistance
    (:func:`~thermolearn.devices.shockley.shockley_conductance`), mirrored with gain a_d².
    """
    from thermolearn.devices.shockley import shockley_conductance

    p = params
    va = np.asarray(v, dtype=np.float64)
    u = p.diode_gain * np.atleast_1d(va)
    g_up = shockley_conductance(u - p.v_up, p.diode_i_s, p.diode_n, p.diode_r_s, p.temperature)
    g_dn = shockley_conductance(p.v_down - u, p.diode_i_s, p.diode_n, p.diode_r_s,
                                p.temperature)
    return np.asarray(p.diode_gain**2 * (g_up + g_dn), dtype=np.float64).reshape(va.shape)


def diode_gain_for_swing(
    swing: float, params: EPCircuitParams, knee_swings: float = DIODE_KNEE_SWINGS
) -> float:
    """Diode-node gain a_d that puts the knee width n V_T / a_d at σ_V / ``knee_swings``.

    ``swing`` is the hidden swing σ_V (V, e.g. the median over nodes of each node's standard
    deviation over the training data, :mod:`~thermolearn.algorithms.ep_calibration`). The
    diode current grows as exp(a_d V / n V_T): with a_d σ_V / n V_T fixed the pair's
    conductance changes by the same factor over the signal at any fan-in.
    """
    check_positive(swing, "swing", "diode_gain_for_swing", "V")
    check_positive(knee_swings, "knee_swings", "diode_gain_for_swing")
    return float(knee_swings * params.thermal_voltage / swing)


def diode_area_for_fan_in(
    params: EPCircuitParams, layer: int = 1, rest_share: float = DIODE_REST_SHARE
) -> float:
    """Junction-area factor k of the diodes that gives their pair ``rest_share`` of S̄ at V = 0.

    k parallel copies of the diode (or k× its area) have saturation current k I_s and series
    resistance R_s / k, so at a given junction bias every current and conductance scales by k
    exactly (the series drop R_s I is unchanged). With the pair's load at rest G_d(0) =
    :func:`diode_pair_conductance` and the node's :func:`mean_node_conductance` S̄, the share
    k G_d / (S̄ + k G_d) equals ``rest_share`` for ``k = ρ/(1 − ρ) · S̄ / G_d(0)``; it sizes the
    diodes to the fan-in (S̄ grows with it) at the diode gain a_d of ``params``.
    """
    check_range(rest_share, "rest_share", "diode_area_for_fan_in", 1e-6, 0.5)
    g_d = float(diode_pair_conductance(params, 0.0))
    s = mean_node_conductance(params, layer)
    return rest_share / (1.0 - rest_share) * s / g_d


def size_diodes(
    params: EPCircuitParams,
    swing: float,
    *,
    knee_swings: float = DIODE_KNEE_SWINGS,
    rest_share: float = DIODE_REST_SHARE,
) -> dict[str, float]:
    """Diode parameters of a single-hidden-layer circuit sized to its fan-in and hidden swing.

    First a_d from the swing (:func:`diode_gain_for_swing`), then the junction area at that
    gain from the fan-in (:func:`diode_area_for_fan_in`), applied to the diodes of ``params``
    (I_s → k I_s, R_s → R_s / k); the bias sources v_up / v_down are kept. Returns the
    :class:`EPCircuitParams` changes ``diode_gain``, ``diode_i_s``, ``diode_r_s`` and the
    ``diode_area`` factor k.

    Raises
    ------
    ParameterError
        For more than one hidden layer (every layer shares one ``diode_gain`` here).
    """
    if len(params.layer_sizes) != 3:
        raise ParameterError(
            "size_diodes sizes the diodes of one hidden layer (all layers share one "
            f"'diode_gain'); got layer_sizes {params.layer_sizes}."
        )
    a_d = diode_gain_for_swing(swing, params, knee_swings)
    at_gain = replace(params, diode_gain=a_d)
    k = diode_area_for_fan_in(at_gain, 1, rest_share)
    return {"diode_gain": a_d, "diode_i_s": params.diode_i_s * k,
            "diode_r_s": params.diode_r_s / k, "diode_area": k}


@dataclass(frozen=True, slots=True, kw_only=True)
class PulsedDeviceParams:
    """A bounded, nonlinear, asymmetric pulse-programmed conductance (soft bounds).

    One potentiating pulse changes G by ``+dw_up (g_max − G)/(g_max − g_min) · 2Δ`` and one
    depressing pulse by ``−dw_down (G − g_min)/(g_max − g_min) · 2Δ``, Δ = (g_max − g_min)/
    (levels − 1), so at mid-range a pulse is one level step (Gokmen & Vlasov 2016 soft-bounds
    model); each pulse has multiplicative cycle-to-cycle noise. Pulse counts are rounded
    stochastically (unbiased).

    Attributes
    ----------
    levels : int
        Number of distinguishable conductance levels.
    up_factor, down_factor : float
        Relative potentiation / depression strength (asymmetry when they differ).
    c2c_noise : float
        Relative standard deviation of one pulse's step (cycle-to-cycle noise).
    pulse_voltage, pulse_width : float
        Programming pulse amplitude (V) and width (s); energy per pulse = V² G t.
    max_pulses : int
        Largest number of pulses applied to one device per update.
    pulse_policy : {"state-aware", "open-loop"}
        How the controller turns a requested change Δw into a pulse count. ``"open-loop"``:
        |Δw| / (one nominal level step), blind to the device state, so the soft bounds and
        the asymmetry bias every update towards the device's symmetry point. ``"state-aware"``
        (default): the controller knows the device's conductance (it was just read in the
        free phase) and inverts the soft-bounds pulse response, n = ln(1 − Δw/(1 − w)) /
        ln(1 − 2 f Δ/range) (potentiation; similarly for depression); the real count is then
        rounded stochastically. The device itself stays bounded, nonlinear and asymmetric.
    """

    levels: int = 64
    up_factor: float = 1.0
    down_factor: float = 0.8
    c2c_noise: float = 0.02
    pulse_voltage: float = 1.0
    pulse_width: float = 1e-7
    max_pulses: int = 16
    pulse_policy: str = "state-aware"

    def __post_init__(self) -> None:
        owner = "PulsedDeviceParams"
        check_choice(self.pulse_policy, "pulse_policy", owner, ("open-loop", "state-aware"))
        check_int(self.levels, "levels", owner, minimum=2)
        check_positive(self.up_factor, "up_factor", owner)
        check_positive(self.down_factor, "down_factor", owner)
        check_nonnegative(self.c2c_noise, "c2c_noise", owner)
        check_positive(self.pulse_voltage, "pulse_voltage", owner, "V")
        check_positive(self.pulse_width, "pulse_width", owner, "s")
        check_int(self.max_pulses, "max_pulses", owner, minimum=1)


class PulsedDevice:
    """Applies conductance updates as programming pulses (normalised units w = G/g_max).

    Parameters
    ----------
    params : PulsedDeviceParams
    w_min : float
        g_min / g_max.
    """

    def __init__(self, params: PulsedDeviceParams, w_min: float) -> None:
        self.params = params
        self.w_min = float(w_min)
        self.step = (1.0 - self.w_min) / (params.levels - 1)

    def apply(self, w: Array, dw: Array, rng: np.random.Generator) -> tuple[Array, float, int]:
        """Program ``w`` towards ``w + dw``; return (new w, Σ V²·w·t per unit g_max, pulses).

        The number of pulses (per ``pulse_policy``) is rounded stochastically and capped at
        ``max_pulses``;
        ``n`` soft-bounded pulses are applied in closed form (geometric approach to the bound),
        plus Gaussian cycle-to-cycle noise of std ``c2c_noise·step·√n``.
        """
        p = self.params
        rng_w = 1.0 - self.w_min
        up = dw > 0
        # potentiation: (1 - w') = (1 - w) (1 - 2 up_factor step / range)^n
        ku = 1.0 - 2.0 * p.up_factor * self.step / rng_w
        kd = 1.0 - 2.0 * p.down_factor * self.step / rng_w
        if p.pulse_policy == "open-loop":
            x = np.abs(dw) / self.step
        else:
            # invert the soft-bounds response; requests beyond a bound get max_pulses
            with np.errstate(divide="ignore", invalid="ignore"):
                r_up = 1.0 - dw / np.maximum(1.0 - w, 1e-300)
                r_dn = 1.0 + dw / np.maximum(w - self.w_min, 1e-300)
                x_up = np.where(
                    r_up > 0, np.log(np.where(r_up > 0, r_up, 1.0)) / np.log(ku), np.inf
                )
                x_dn = np.where(
                    r_dn > 0, np.log(np.where(r_dn > 0, r_dn, 1.0)) / np.log(kd), np.inf
                )
            x = np.where(up, x_up, x_dn)
            x = np.where(dw == 0, 0.0, x)
        x = np.minimum(x, p.max_pulses)
        n = np.floor(x)
        n += rng.random(x.shape) < (x - n)
        n = np.minimum(n, p.max_pulses)
        w_up = 1.0 - (1.0 - w) * ku**n
        w_dn = self.w_min + (w - self.w_min) * kd**n
        w_new = np.where(up, w_up, w_dn)
        noise = rng.standard_normal(w.shape) * (p.c2c_noise * self.step) * np.sqrt(n)
        w_new = np.clip(w_new + noise, self.w_min, 1.0)
        # pulse energy: each pulse dissipates V_p^2 G t_w (G ~ mean of before/after)
        e_units = float(np.sum(n * 0.5 * (w + w_new))) * p.pulse_voltage**2 * p.pulse_width
        return w_new, e_units, int(n.sum())


# --------------------------------------------------------------------------------------------
# The circuit
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class PhaseResult:
    """Node voltages of one phase: ``layers[l]`` (B, n_l) for l = 1..L (hidden..., output)."""

    layers: list[Array]
    sweeps: int
    diode_current: list[Array] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


class EPCircuit:
    """The physical equilibrium-propagation network and its fast layer-wise solver.

    Parameters
    ----------
    params : EPCircuitParams
    rng : numpy.random.Generator
        Draws the initial conductances.
    device : PulsedDeviceParams or None
        Realistic programming model; None = ideal updates (clipped to [g_min, g_max]).

    Examples
    --------
    >>> import numpy as np
    >>> net = EPCircuit(EPCircuitParams(layer_sizes=(2, 4, 2)), rng=np.random.default_rng(0))
    >>> net.free(np.array([[0.0, 1.0]])).layers[-1].shape
    (1, 2)
    """

    def __init__(
        self,
        params: EPCircuitParams,
        *,
        rng: np.random.Generator,
        device: PulsedDeviceParams | None = None,
    ) -> None:
        if not isinstance(params, EPCircuitParams):
            raise ParameterError(
                f"The 'params' argument of EPCircuit must be EPCircuitParams; got {type(params)}."
            )
        self.params = params
        self.synapses: Any = None
        self.device = None if device is None else PulsedDevice(device, params.g_min / params.g_max)
        sizes = params.layer_sizes
        self.weights: list[Array] = [
            rng.uniform(params.init_low, params.init_high, size=(2 * sizes[k] + 2, sizes[k + 1]))
            for k in range(len(sizes) - 1)
        ]
        self._phi = params.thermal_voltage
        self._i_s = params.diode_i_s / params.g_max
        self._r_s = params.diode_r_s * params.g_max
        self._beta = params.beta / params.g_max
        self._refresh()

    # -- synapses ----------------------------------------------------------------------------
    def attach_synapses(self, synapses: Any) -> None:
        """Hold the weights in memristor crossbars (a CrossbarSynapses); see :meth:`sync_weights`.

        From then on the conductances are the devices' chord conductances at their read
        voltage and only the synapses' programming changes them.
        """
        self.synapses = synapses
        self.sync_weights()

    def sync_weights(self) -> None:
        """Re-read the (true) device conductances of the attached synapses into the circuit."""
        if self.synapses is None:
            return
        self.weights = [g / self.params.g_max for g in self.synapses.conductances()]
        self._refresh()

    # -- structure ---------------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        """Number of non-input layers L (hidden layers + output)."""
        return len(self.params.layer_sizes) - 1

    @property
    def conductances(self) -> list[Array]:
        """Conductances in S, one (2 n_l + 2, n_{l+1}) array per crossbar.

        Rows: +pre, −pre, +bias, −bias; columns: post-synaptic nodes.
        """
        return [w * self.params.g_max for w in self.weights]

    def set_conductances(self, g: list[ArrayLike]) -> None:
        """Set every crossbar's conductances (S); shapes must match, values in [g_min, g_max]."""
        p = self.params
        if len(g) != len(self.weights):
            raise ParameterError(
                f"EPCircuit.set_conductances needs {len(self.weights)} arrays; got {len(g)}."
            )
        new = []
        for k, (gk, wk) in enumerate(zip(g, self.weights, strict=True)):
            a = finite_array(gk, f"g[{k}]", "EPCircuit.set_conductances")
            if a.shape != wk.shape:
                raise ParameterError(
                    f"The 'g[{k}]' argument of EPCircuit.set_conductances must have shape "
                    f"{wk.shape}; got {a.shape}."
                )
            if a.min() < p.g_min * (1 - 1e-12) or a.max() > p.g_max * (1 + 1e-12):
                raise ParameterError(
                    f"The 'g[{k}]' conductances must lie in [{p.g_min}, {p.g_max}] S."
                )
            new.append(a / p.g_max)
        self.weights = new
        self._refresh()

    def readout_gain(self, layer: int) -> float:
        """Gain from hidden layer ``layer`` to the node its ADC reads (the diode node)."""
        return self.params.diode_gain

    def _gain(self, layer: int) -> float:
        """Voltage gain applied to layer ``layer``'s voltages on its outgoing crossbar."""
        return self.params.input_amplitude if layer == 0 else self.params.gain

    def _refresh(self) -> None:
        """Precompute per-node total conductances and signed weight differences."""
        sizes = self.params.layer_sizes
        self._wdiff: list[Array] = []
        self._s: list[Array] = []  # S of layer l (index l-1), without nudging
        for k, w in enumerate(self.weights):
            n = sizes[k]
            self._wdiff.append(w[:n] - w[n : 2 * n])
        for layer in range(1, len(sizes)):
            s = self.weights[layer - 1].sum(axis=0).copy()
            if layer < len(sizes) - 1:
                n = sizes[layer]
                a = self._gain(layer)
                s += a * a * self.weights[layer][: 2 * n].reshape(2, n, -1).sum(axis=(0, 2))
            self._s.append(s)

    def presynaptic(self, layer: int, v: Array) -> Array:
        """Voltages on the rows of crossbar ``layer``: [+a V, −a V, +V_b, −V_b], shape (B, 2n+2)."""
        a = self._gain(layer)
        vb = self.params.bias_of(layer)
        bsz = v.shape[0]
        return np.concatenate(
            [a * v, -a * v, np.full((bsz, 1), vb), np.full((bsz, 1), -vb)], axis=1
        )

    # -- checks --------------------------------------------------------------------------------
    def check_inputs(self, x: ArrayLike, y: ArrayLike | None = None) -> tuple[Array, Any]:
        """Validate a batch: x (B, n_in) finite; labels y (B,) integers in 0..n_out−1."""
        xa = finite_array(x, "x", "EPCircuit")
        n_in, n_out = self.params.layer_sizes[0], self.params.layer_sizes[-1]
        if xa.ndim != 2 or xa.shape[1] != n_in:
            raise ParameterError(
                f"The 'x' argument of EPCircuit must have shape (batch, {n_in}); got {xa.shape}."
            )
        if y is None:
            return xa, None
        ya = np.asarray(y)
        if ya.shape != (xa.shape[0],) or not np.issubdtype(ya.dtype, np.integer):
            raise ParameterError(
                f"The 'y' argument of EPCircuit must be integer labels of shape ({xa.shape[0]},); "
                f"got dtype {ya.dtype} shape {ya.shape}."
            )
        if ya.size and (ya.min() < 0 or ya.max() >= n_out):
            raise ParameterError(
                f"The 'y' labels of EPCircuit must lie in 0..{n_out - 1}; got "
                f"{ya.min()}..{ya.max()}."
            )
        return xa, ya

    def targets(self, y: NDArray[np.integer[Any]]) -> Array:
        """Target voltages (B, n_out): target_high at the label, target_low elsewhere."""
        n_out = self.params.layer_sizes[-1]
        t = np.full((len(y), n_out), self.params.target_low)
        t[np.arange(len(y)), y] = self.params.target_high
        return t

    def nudge_targets(self, y: NDArray[np.integer[Any]], v_free: Array | None = None) -> Array:
        """Voltages (B, n_out) the nudging sources are set to in the ±β phases.

        ``loss="squared"``: the fixed class targets (:meth:`targets`). ``"cross_entropy"``:
        t = V_free − κ (softmax(V_free / T) − onehot(y)) from the free-phase output voltages
        ``v_free`` (in hardware the controller's ADC reads of the free phase). The nudge
        β (t − V) at V = V_free is then −β κ T ∂CE/∂V, so the EP estimate of the linearised
        cost ½ |V − t|² (t held) is κ T ∂CE/∂w at the free state, to first order in β.
        """
        p = self.params
        if p.loss == "squared":
            return self.targets(y)
        if v_free is None:
            raise ParameterError(
                "EPCircuit.nudge_targets: loss='cross_entropy' sets the targets from the "
                "free-phase outputs; pass 'v_free' (the free phase's output reads)."
            )
        v = np.asarray(v_free, dtype=np.float64)
        err = self.probabilities(v)
        err[np.arange(len(y)), y] -= 1.0
        return np.asarray(v - p.ce_kappa * err, dtype=np.float64)

    # -- solver ----------------------------------------------------------------------------------
    def _solve_hidden(self, layer: int, b: Array, v_prev: Array) -> tuple[Array, Array]:
        """Exact KCL solve of a hidden layer given its drive ``b`` (B, n); returns (V, i_D).

        The diode pair sits on the diode node u = a_d V and its current i_D(u) is mirrored
        into the hidden node with gain a_d, so the KCL ``S V + a_d i_D(a_d V) = b`` is, in u,
        ``(S/a_d²) u + i_D(u) = b/a_d``: the same scalar diode-node problem with scaled S and
        b. ``i_D`` (normalised) is the net diode current at u.
        """
        p = self.params
        s = self._s[layer - 1][None, :]
        if not p.diodes:
            return b / s, np.zeros_like(b)
        a = p.diode_gain
        s_u = s / (a * a)
        b_u = b / a
        u_prev = a * v_prev
        phi, i_s, r_s = self._phi, self._i_s, self._r_s
        v_mid = 0.5 * (p.v_up + p.v_down)
        up = b_u >= s_u * v_mid
        # the partner diode at the previous estimate (exact implicit law; converges by sweeps)
        n_d, t_d = p.diode_n, p.temperature
        i_down_prev = shockley_current(p.v_down - u_prev, i_s, n_d, r_s, t_d)
        i_up_prev = shockley_current(u_prev - p.v_up, i_s, n_d, r_s, t_d)
        u1, f1 = _solve_diode_node(s_u, b_u, i_down_prev, p.v_up, i_s, r_s, phi)
        u2n, f2 = _solve_diode_node(s_u, -b_u, i_up_prev, -p.v_down, i_s, r_s, phi)
        u = np.where(up, u1, -u2n)
        i_net = np.where(up, f1 - i_down_prev, i_up_prev - f2)
        return u / a, i_net

    def diode_currents(self, layer: int, v: Array) -> tuple[Array, Array]:
        """Currents (A) of D_up and D_down of hidden layer ``layer`` at node voltages ``v``."""
        p = self.params
        if not p.diodes:
            return np.zeros_like(v), np.zeros_like(v)
        u = p.diode_gain * v
        i_up = shockley_current(u - p.v_up, p.diode_i_s, p.diode_n, p.diode_r_s, p.temperature)
        i_dn = shockley_current(p.v_down - u, p.diode_i_s, p.diode_n, p.diode_r_s, p.temperature)
        return i_up, i_dn

    def relax(
        self,
        x: Array,
        *,
        beta: float = 0.0,
        target: Array | None = None,
        init: list[Array] | None = None,
        tol: float | None = None,
    ) -> PhaseResult:
        """Find the operating point by exact layer-wise minimisation of the co-content.

        Parameters
        ----------
        x : ndarray (B, n_in)
            Features in [0, 1] (validated by the callers).
        beta : float
            Nudging conductance in units of g_max (signed; 0 = free phase).
        target : ndarray (B, n_out)
            Target voltages (required if beta ≠ 0).
        init : list of ndarray
            Warm start (e.g. the free state for the nudged phases); default: a feed-forward pass.
        tol : float
            Voltage tolerance (V); default ``params.tol``.

        Raises
        ------
        ConvergenceError
            If ``max_sweeps`` sweeps do not reach ``tol``.
        """
        p = self.params
        sizes = p.layer_sizes
        big_l = self.n_layers
        tol = p.tol if tol is None else tol
        bsz = x.shape[0]
        pre0 = self.presynaptic(0, x)
        drive0 = pre0 @ self.weights[0]
        s_out = self._s[-1] + beta
        if np.any(s_out <= 0):
            raise ParameterError(
                f"The nudging conductance |beta| = {abs(beta) * p.g_max:.3g} S exceeds an output "
                "node's total conductance; the nudged phase would be unstable."
            )
        ytar = np.zeros((bsz, sizes[-1])) if target is None else target
        # the amplifier inputs' bias currents drawn from the nodes (normalised units)
        ib_h = p.input_bias_hidden / p.g_max
        ib_o = p.input_bias_output / p.g_max
        if init is None:
            v: list[Array] = []
            prev = x
            for layer in range(1, big_l + 1):
                drive = (
                    drive0
                    if layer == 1
                    else self.presynaptic(layer - 1, prev) @ self.weights[layer - 1]
                )
                if layer < big_l:
                    vl, _ = self._solve_hidden(layer, drive - ib_h,
                                               np.zeros((bsz, sizes[layer])))
                else:
                    vl = (drive - ib_o + beta * ytar) / s_out
                v.append(vl)
                prev = vl
        else:
            v = [a.copy() for a in init]
        currents: list[Array] = [np.zeros_like(a) for a in v[:-1]]
        for sweep in range(1, p.max_sweeps + 1):
            delta = 0.0
            for layer in range(1, big_l + 1):
                if layer == 1:
                    drive = drive0.copy()
                else:
                    drive = self.presynaptic(layer - 1, v[layer - 2]) @ self.weights[layer - 1]
                if layer < big_l:
                    a = self._gain(layer)
                    drive += a * (v[layer] @ self._wdiff[layer].T) - ib_h
                    new, inet = self._solve_hidden(layer, drive, v[layer - 1])
                    currents[layer - 1] = inet
                else:
                    new = (drive - ib_o + beta * ytar) / s_out
                delta = max(delta, float(np.max(np.abs(new - v[layer - 1]))))
                v[layer - 1] = new
            if delta < tol:
                return PhaseResult(layers=v, sweeps=sweep, diode_current=currents)
        raise ConvergenceError(
            f"EPCircuit.relax did not converge in {p.max_sweeps} sweeps "
            f"(last max |dV| = {delta:.3g} V > tol {tol:.3g} V).",
            residual=delta,
        )

    def node_currents(
        self, x: Array, layers: list[Array], *, beta: float = 0.0, target: Array | None = None
    ) -> list[Array]:
        """Net current (A) *leaving* every node through the circuit at arbitrary voltages.

        This is ∂E/∂V of the co-content (zero at the operating point); diodes use the exact
        implicit law with series resistance. ``beta`` in S.
        """
        p = self.params
        big_l = self.n_layers
        out = []
        for layer in range(1, big_l + 1):
            below = x if layer == 1 else layers[layer - 2]
            drive = self.presynaptic(layer - 1, below) @ self.weights[layer - 1]
            v = layers[layer - 1]
            s = self._s[layer - 1].copy()
            if layer < big_l:
                drive = drive + self._gain(layer) * (layers[layer] @ self._wdiff[layer].T)
            i = (s * v - drive) * p.g_max
            i = i + (p.input_bias_hidden if layer < big_l else p.input_bias_output)
            if layer < big_l:
                i_up, i_dn = self.diode_currents(layer, v)
                i = i + p.diode_gain * (i_up - i_dn)
            elif beta != 0.0:
                assert target is not None
                i = i + beta * (v - target)
            out.append(i)
        return out

    def free(self, x: ArrayLike) -> PhaseResult:
        """Free phase: the DC operating point with inputs applied."""
        xa, _ = self.check_inputs(x)
        return self.relax(xa)

    def predict_voltages(self, x: ArrayLike, batch_size: int = 512) -> Array:
        """Output voltages (V) of the free phase, shape (B, n_out)."""
        xa, _ = self.check_inputs(x)
        outs = [
            self.relax(xa[i : i + batch_size]).layers[-1] for i in range(0, len(xa), batch_size)
        ]
        return np.concatenate(outs, axis=0) if outs else np.zeros((0, self.params.layer_sizes[-1]))

    def predict(self, x: ArrayLike) -> NDArray[np.int64]:
        """Class = argmax of the output voltages."""
        return np.asarray(np.argmax(self.predict_voltages(x), axis=1), dtype=np.int64)

    def probabilities(self, v_out: Array) -> Array:
        """Softmax of the output voltages with temperature ``softmax_scale`` (V)."""
        return softmax(v_out / self.params.softmax_scale, axis=1)

    # -- learning ----------------------------------------------------------------------------------
    def _squared_drops(self, x: Array, state: PhaseResult) -> list[Array]:
        """Σ_batch ΔV² across every device, one (2n+2, m) array per crossbar."""
        out = []
        prev = x
        for k, vk in enumerate(state.layers):
            pre = self.presynaptic(k, prev)
            d = (
                (pre * pre).sum(axis=0)[:, None]
                - 2.0 * (pre.T @ vk)
                + (vk * vk).sum(axis=0)[None, :]
            )
            out.append(d)
            prev = vk
        return out

    def phase_power(
        self, x: Array, state: PhaseResult, drops: list[Array], beta: float, target: Array
    ) -> float:
        """Return the power (W) dissipated in the passive elements, summed over the batch.

        Crossbar devices Σ G ΔV², both diodes of every pair (I_D·V_D each, series R included)
        and, for ``beta > 0``, the nudging conductance β (V − y)². For ``beta < 0`` the
        nudging element is an active source that *supplies* β (V − y)² (see
        :meth:`nudge_supplied_power`); it is not a dissipation. ``beta`` in units of g_max.
        """
        p = self.params
        g = p.g_max
        pw = sum(float(np.sum(w * d)) for w, d in zip(self.weights, drops, strict=True))
        for layer, v in enumerate(state.layers[:-1], start=1):
            i_up, i_dn = self.diode_currents(layer, v)
            u = p.diode_gain * v
            pw += float(np.sum(i_up * (u - p.v_up) + i_dn * (p.v_down - u))) / g
        if beta > 0.0:
            pw += beta * float(np.sum((state.layers[-1] - target) ** 2))
        return pw * g

    def nudge_supplied_power(self, state: PhaseResult, beta: float, target: Array) -> float:
        """Power (W, batch sum) the active −β nudging source delivers into the circuit (≥ 0)."""
        if beta >= 0.0:
            return 0.0
        return -beta * float(np.sum((state.layers[-1] - target) ** 2)) * self.params.g_max

    def gradients(
        self,
        x: ArrayLike,
        y: ArrayLike,
        *,
        estimator: str = "centred",
        free: PhaseResult | None = None,
        solver: str = "layerwise",
    ) -> tuple[list[Array], dict[str, Any]]:
        """EP estimate of ∂C/∂w (per normalised conductance, batch mean) from free + nudged phases.

        Every phase is solved by ``solver`` (see :meth:`solve`); the nudge targets are
        :meth:`nudge_targets` (for ``loss="cross_entropy"`` from the exact free outputs; the
        measured path, :func:`~thermolearn.algorithms.ep_physics.physical_gradients`, uses
        the free phase's ADC reads). Returns the gradients and a dict with the phase states,
        the targets, their squared drops and static powers (W, summed over the batch) for
        energy bookkeeping.
        """
        check_choice(estimator, "estimator", "EPCircuit.gradients", ("centred", "one-sided"))
        xa, ya = self.check_inputs(x, y)
        b = self._beta
        b_si = self.params.beta
        if free is None:
            free = self.solve(xa, solver=solver)
        tgt = self.nudge_targets(ya, free.layers[-1])
        plus = self.solve(xa, beta=b_si, target=tgt, init=free.layers, solver=solver)
        d_free = self._squared_drops(xa, free)
        d_plus = self._squared_drops(xa, plus)
        info: dict[str, Any] = {
            "free": free,
            "plus": plus,
            "targets": tgt,
            "power": {
                "free": self.phase_power(xa, free, d_free, 0.0, tgt),
                "plus": self.phase_power(xa, plus, d_plus, b, tgt),
            },
            "sweeps": free.sweeps + plus.sweeps,
        }
        bsz = xa.shape[0]
        if estimator == "centred":
            minus = self.solve(xa, beta=-b_si, target=tgt, init=free.layers, solver=solver)
            d_minus = self._squared_drops(xa, minus)
            info["minus"] = minus
            info["power"]["minus"] = self.phase_power(xa, minus, d_minus, -b, tgt)
            info["supplied"] = {"minus": self.nudge_supplied_power(minus, -b, tgt)}
            info["sweeps"] += minus.sweeps
            grads = [(dp - dm) / (4.0 * b * bsz) for dp, dm in zip(d_plus, d_minus, strict=True)]
        else:
            grads = [(dp - df) / (2.0 * b * bsz) for dp, df in zip(d_plus, d_free, strict=True)]
        return grads, info

    def apply_update(
        self, grads: list[Array], lr: float | list[float], rng: np.random.Generator
    ) -> tuple[float, int]:
        """Apply Δw = −lr·grad (ideal, clipped) or as pulses; return (program energy J, pulses)."""
        p = self.params
        w_min = p.g_min / p.g_max
        lrs: list[float] = (
            [float(lr)] * len(grads) if isinstance(lr, int | float) else [float(v) for v in lr]
        )
        energy = 0.0
        pulses = 0
        for k, (g, eta) in enumerate(zip(grads, lrs, strict=True)):
            dw = -eta * g
            if self.device is None:
                self.weights[k] = np.clip(self.weights[k] + dw, w_min, 1.0)
            else:
                self.weights[k], e_units, n = self.device.apply(self.weights[k], dw, rng)
                energy += e_units * p.g_max
                pulses += n
        self._refresh()
        return energy, pulses

    def cost(self, v_out: Array, y: NDArray[np.integer[Any]]) -> float:
        """Mean cost (V²) whose gradient the nudge estimates.

        ``loss="squared"``: ½ Σ_k (V_k − y_k)². ``"cross_entropy"``: κ T · CE with
        CE = −log softmax(V / T)_y (T = ``softmax_scale``, κ = ``ce_kappa``).
        """
        p = self.params
        if p.loss == "squared":
            return float(0.5 * np.mean(np.sum((v_out - self.targets(y)) ** 2, axis=1)))
        z = np.asarray(v_out, dtype=np.float64) / p.softmax_scale
        zmax = z.max(axis=1, keepdims=True)
        logp = z - zmax - np.log(np.sum(np.exp(z - zmax), axis=1, keepdims=True))
        ce = -logp[np.arange(len(y)), y]
        return float(p.ce_kappa * p.softmax_scale * np.mean(ce))

    def resize_diodes(self, *, diode_gain: float, diode_i_s: float, diode_r_s: float) -> None:
        """Set the diode-node gain and the diodes' I_s (A) and R_s (Ω) in place.

        The conductances and attached synapses are kept (a one-time sizing before training,
        see :func:`size_diodes`); any compiled MNA circuit is dropped.
        """
        self._replace_params(diode_gain=diode_gain, diode_i_s=diode_i_s, diode_r_s=diode_r_s)
        self._i_s = self.params.diode_i_s / self.params.g_max
        self._r_s = self.params.diode_r_s * self.params.g_max
        self._refresh()

    def set_input_bias(self, *, hidden: float, output: float) -> None:
        """Set the DC currents (A) the amplifier inputs draw from every hidden / output node.

        ``input_bias_hidden`` / ``input_bias_output`` of the parameters, in the operating
        point of every engine from now on; conductances and synapses are kept, any compiled
        MNA circuit is dropped.
        """
        self._replace_params(input_bias_hidden=float(hidden), input_bias_output=float(output))

    def _replace_params(self, **changes: Any) -> None:
        """Replace circuit parameters in place; drop any compiled MNA circuit (of the old ones)."""
        self.params = replace(self.params, **changes)
        if hasattr(self, "_mna_cache"):
            del self._mna_cache

    def with_params(self, **changes: Any) -> EPCircuit:
        """Return a copy with changed circuit parameters (same conductances)."""
        new = EPCircuit.__new__(EPCircuit)
        new.params = replace(self.params, **changes)
        new.device = self.device
        new.synapses = None
        new.weights = [w.copy() for w in self.weights]
        new._phi = new.params.thermal_voltage
        new._i_s = new.params.diode_i_s / new.params.g_max
        new._r_s = new.params.diode_r_s * new.params.g_max
        new._beta = new.params.beta / new.params.g_max
        new._refresh()
        return new

    # -- the circuit and its solvers --------------------------------------------------------
    def node_names(self) -> list[str]:
        """Names of the solved nodes in :meth:`build_circuit`: hidden layers then outputs."""
        sizes = self.params.layer_sizes
        names = []
        for layer in range(1, self.n_layers):
            names += [f"h{layer}_{j}" for j in range(sizes[layer])]
        names += [f"o{j}" for j in range(sizes[-1])]
        return names

    def build_circuit(
        self, x: ArrayLike, *, beta: float = 0.0, target: ArrayLike | None = None
    ) -> Any:
        """Return the circuit of one input sample ``x`` as a :class:`~thermolearn.circuit.Circuit`.

        This is the one description of the EP network: the ``"mna"`` and ``"ngspice"`` solvers
        of :meth:`solve` run it, and ngspice receives exactly its exported netlist. ``beta``
        (S) adds the nudging conductances to target sources; ``beta < 0`` (the −β phase of
        the centred estimator) is an active element, a VCCS injecting β (y − V) into each
        output.
        """
        xa = self.check_inputs(np.atleast_2d(x))[0][0]
        tg = None if target is None else finite_array(target, "target", "EPCircuit.build_circuit")
        if beta != 0.0 and tg is None:
            raise ParameterError(
                "EPCircuit.build_circuit: a nudged phase (beta != 0) needs a target."
            )
        p = self.params
        sizes = p.layer_sizes
        big_l = self.n_layers
        dp = DiodeParams(i_s=p.diode_i_s, n=p.diode_n, r_s=p.diode_r_s, temperature=p.temperature)
        c = Circuit("EP circuit")
        c.add_vsource("vbp", "bp", "0", dc=p.bias_voltage)
        c.add_vsource("vbn", "bn", "0", dc=-p.bias_voltage)
        if p.hidden_bias_voltage is not None and big_l > 1:
            c.add_vsource("vbhp", "bhp", "0", dc=p.hidden_bias_voltage)
            c.add_vsource("vbhn", "bhn", "0", dc=-p.hidden_bias_voltage)
        c.add_vsource("vup", "dup", "0", dc=p.v_up)
        c.add_vsource("vdn", "ddn", "0", dc=p.v_down)
        a0 = p.input_amplitude
        for i in range(sizes[0]):
            c.add_vsource(f"vxp{i}", f"xp{i}", "0", dc=a0 * float(xa[i]))
            c.add_vsource(f"vxn{i}", f"xn{i}", "0", dc=-a0 * float(xa[i]))

        def node(layer: int, j: int) -> str:
            return f"o{j}" if layer == big_l else f"h{layer}_{j}"

        for k in range(big_l):
            n = sizes[k]
            if k == 0:
                rows = [f"xp{i}" for i in range(n)] + [f"xn{i}" for i in range(n)]
            else:
                rows = [f"a{k}p_{i}" for i in range(n)] + [f"a{k}n_{i}" for i in range(n)]
                a = self._gain(k)
                for i in range(n):
                    h = node(k, i)
                    for sign, tag in ((1.0, "p"), (-1.0, "n")):
                        # VCVS (gain ±a) drives the row through a 0 V sense source whose
                        # current the CCCS (gain ±a) mirrors back into the hidden node
                        c.add_vcvs(f"e{k}{tag}_{i}", f"e{k}{tag}_{i}", "0", h, "0", sign * a)
                        c.add_vsource(f"vs{k}{tag}_{i}", f"e{k}{tag}_{i}", f"a{k}{tag}_{i}", dc=0.0)
                        c.add_cccs(f"f{k}{tag}_{i}", h, "0", f"vs{k}{tag}_{i}", sign * a)
            rows += (["bhp", "bhn"] if k > 0 and p.hidden_bias_voltage is not None
                     else ["bp", "bn"])
            gk = self.weights[k] * p.g_max
            m = sizes[k + 1]
            c.add_resistors(  # the element-by-element circuit, added in one bulk call
                [f"r{k}_{i}_{j}" for i in range(len(rows)) for j in range(m)],
                [r for r in rows for _ in range(m)],
                [node(k + 1, j) for _ in rows for j in range(m)],
                (1.0 / gk).ravel(),
            )
        for layer in range(1, big_l if p.diodes else 1):
            ad = p.diode_gain
            for j in range(sizes[layer]):
                h = node(layer, j)
                dn = h
                if ad != 1.0:
                    # the diode node u = a_d V: VCVS, sense source, mirroring CCCS
                    dn = f"u{layer}_{j}"
                    c.add_vcvs(f"ed{layer}_{j}", f"ed{layer}_{j}", "0", h, "0", ad)
                    c.add_vsource(f"vsd{layer}_{j}", f"ed{layer}_{j}", dn, dc=0.0)
                    c.add_cccs(f"fd{layer}_{j}", h, "0", f"vsd{layer}_{j}", ad)
                c.add_diode(f"du{layer}_{j}", dn, "dup", params=dp)
                c.add_diode(f"dd{layer}_{j}", "ddn", dn, params=dp)
        # the amplifier inputs' bias currents: a source per node drawing them to ground
        for layer in range(1, big_l + 1):
            ib = p.input_bias_hidden if layer < big_l else p.input_bias_output
            if ib != 0.0:
                for j in range(sizes[layer]):
                    c.add_isource(f"ib_{node(layer, j)}", node(layer, j), "0", dc=ib)
        if beta != 0.0:
            assert tg is not None
            for j in range(sizes[-1]):
                c.add_vsource(f"vt{j}", f"t{j}", "0", dc=float(tg[j]))
                if beta > 0.0:
                    c.add_resistor(f"rn{j}", f"t{j}", f"o{j}", 1.0 / beta)
                else:
                    c.add_vccs(f"gn{j}", f"t{j}", f"o{j}", f"t{j}", f"o{j}", beta)
        return c

    def solve(
        self,
        x: ArrayLike,
        *,
        beta: float = 0.0,
        target: Array | None = None,
        init: list[Array] | None = None,
        solver: str = "layerwise",
    ) -> PhaseResult:
        """Operating point of one phase for a batch, by the chosen EP solver.

        Parameters
        ----------
        x : array (B, n_in)
        beta : float
            Nudging conductance, S (signed; 0 = free phase).
        target : array (B, n_out), optional
            Target voltages (required when ``beta != 0``).
        init : list of arrays, optional
            Warm start: of the layer-wise solver; for ``"mna"``, the ``layers`` of the free
            phase this solver just returned (each sample then starts from its free solution).
        solver : {"layerwise", "mna", "ngspice"}
            ``"layerwise"``: the exact block-coordinate minimisation of the co-content
            (:meth:`relax`); ``"mna"``: the circuit of :meth:`build_circuit` compiled once per
            phase kind and solved for the whole batch by the general MNA engine's compiled
            form (:func:`~thermolearn.circuit.compile_circuit`, values updated in place);
            ``"ngspice"``: that circuit per sample, exported to ngspice.
        """
        check_choice(solver, "solver", "EPCircuit.solve", SOLVERS)
        xa, _ = self.check_inputs(x)
        if solver == "layerwise":
            return self.relax(xa, beta=beta / self.params.g_max, target=target, init=init)

        p = self.params
        names = self.node_names()
        meta: dict[str, Any] = {}
        sol = None
        if solver == "mna":
            v, sol = self._solve_mna(xa, beta, target, init)
            meta = {
                "mna_iterations": sol.iterations,
                "mna_residual": sol.residual,
                "mna_method": sol.method,
            }
        else:
            rows = []
            for i in range(xa.shape[0]):
                tg = None if target is None else target[i]
                circ = self.build_circuit(xa[i], beta=beta, target=tg)
                op = operating_point(circ, engine="ngspice")
                rows.append([op.v(n) for n in names])
            v = np.asarray(rows, dtype=float).reshape(xa.shape[0], len(names))
        layers, currents, k = [], [], 0
        for n in p.layer_sizes[1:]:
            layers.append(v[:, k : k + n])
            k += n
        for layer, vl in enumerate(layers[:-1], start=1):
            i_up, i_dn = self.diode_currents(layer, vl)
            currents.append((i_up - i_dn) / p.g_max)
        res = PhaseResult(layers=layers, sweeps=1, diode_current=currents, meta=meta)
        if sol is not None and beta == 0.0:
            # the nudged phases started from this one (init=res.layers) start from its solution
            self._mna_cache["last_free"] = (res.layers, sol)
        return res

    def _solve_mna(
        self, xa: Array, beta: float, target: Array | None, init: list[Array] | None
    ) -> tuple[Array, Any]:
        """Node voltages (B, nodes) and the OPSolution of one phase on the compiled engine.

        The circuit of :meth:`build_circuit` is compiled once per phase kind (free, +β, −β:
        three topologies) and kept; a weight change becomes new resistor values and a
        change of β new nudging values (SPICE ``alter``, no rebuild); the inputs and targets
        are the independent-source values of the batch
        (:meth:`~thermolearn.circuit.mna.stamped.StampedCircuit.operating_points`: one factor
        of the linear part, one batched Newton). A nudged phase whose ``init`` is the free
        phase just solved here starts every sample from that sample's free solution.
        """
        from thermolearn.circuit import compile_circuit

        p = self.params
        sizes = p.layer_sizes
        cache: dict[str, Any] | None = getattr(self, "_mna_cache", None)
        if cache is None:
            cache = {}
            self._mna_cache = cache
        kind = "free" if beta == 0.0 else ("plus" if beta > 0.0 else "minus")
        n_out = sizes[-1]
        entry = cache.get(kind)
        if entry is None:
            tg0 = None if target is None else np.asarray(target, dtype=float)[0]
            # a nudged circuit extends the free one at the outputs: it shares its factor
            base = cache["free"]["sc"] if kind != "free" and "free" in cache else None
            sc = compile_circuit(self.build_circuit(xa[0], beta=beta, target=tg0), base=base)
            rnames = tuple(
                f"r{k}_{i}_{j}"
                for k in range(self.n_layers)
                for i in range(2 * sizes[k] + 2)
                for j in range(sizes[k + 1])
            )
            src = tuple(f"vx{s}{i}" for s in "pn" for i in range(sizes[0])) + (
                tuple(f"vt{j}" for j in range(n_out)) if kind != "free" else ()
            )
            nudge = tuple(("rn" if kind == "plus" else "gn") + str(j) for j in range(n_out))
            entry = {
                "sc": sc,
                "rnames": rnames,
                "src": src,
                "nudge": nudge,
                "beta": beta,
                "w": [w.copy() for w in self.weights],
                "nodes": sc.node_indices(self.node_names()),
            }
            cache[kind] = entry
        sc = entry["sc"]
        if any(not np.array_equal(a, b) for a, b in zip(entry["w"], self.weights, strict=True)):
            g = np.concatenate([w.ravel() for w in self.weights]) * p.g_max
            sc.set_values(entry["rnames"], 1.0 / g)
            entry["w"] = [w.copy() for w in self.weights]
        if kind != "free" and beta != entry["beta"]:
            val = 1.0 / beta if kind == "plus" else beta
            sc.set_values(entry["nudge"], np.full(n_out, val))
            entry["beta"] = beta
        a0 = p.input_amplitude
        vals = [a0 * xa, -a0 * xa]
        if kind != "free":
            if target is None:
                raise ParameterError("EPCircuit.solve: a nudged phase (beta != 0) needs a target.")
            vals.append(np.asarray(target, dtype=float))
        initial = None
        last = cache.get("last_free")
        if kind != "free" and init is not None and last is not None and last[0] is init:
            initial = last[1]
        sol = sc.operating_points(entry["src"], np.concatenate(vals, axis=1), initial=initial)
        return sol.z[:, entry["nodes"]], sol


__all__ = [
    "SOLVERS",
    "DIODE_KNEE_SWINGS",
    "DIODE_REST_SHARE",
    "diode_area_for_fan_in",
    "diode_gain_for_swing",
    "diode_pair_conductance",
    "mean_node_conductance",
    "size_diodes",
    "EPCircuit",
    "EPCircuitParams",
    "PulsedDevice",
    "PulsedDeviceParams",
    "PhaseResult",
    "shockley_current",
    "wright_omega",
]

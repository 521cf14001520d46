"""What a physical EP phase costs and what its readout really sees: noise, settling, converters.

The layer-wise solver gives the exact operating point V* of a phase. A real circuit only
approaches it and is read through noise and a converter. This module puts those effects into
the learning loop and books their energy:

* **Node capacitance and settling.** Every solved node has a capacitance C to ground, so the
  node voltages relax as ``C dV/dt = −H (V − V*)`` with H the conductance matrix (Hessian of
  the co-content: crossbars, mirrored amplifier loads, diode small-signal conductances, the
  nudging conductance). The slowest time constant is ``τ_slow = C / λ_min(H)``; a phase held
  for ``settling_time`` leaves an error ``≤ |ΔV| e^{−t/τ_slow}``. The audit requires that error
  below a quarter of the ADC step (the settling margin); :func:`slowest_time_constant`
  computes λ_min exactly (dense eigenvalues) and the tests hold it to an MNA transient.
* **Thermal and shot noise, averaged over an integration time T.** Each conductance G carries
  a Johnson current of one-sided density 4kTG, each diode a shot current 2q(I + 2I_s) (the
  forward-biased junction is not at equilibrium, so not 4kT·g_d). Averaged over a window T
  much longer than every node time constant the current noise has variance S/(2T), i.e. 2kTG/T
  (Johnson) and q(I + 2I_s)/T (shot), and the averaged node voltages are ``H^{-1} ξ``; for a
  purely thermal network their covariance is ``2kT H^{-1}/T`` — kT/C of a snapshot reduced by
  the averaging factor 2τ/T (the exact finite-T law, ``(kT/C)(2τ/T)[1 − (τ/T)(1 − e^{−T/τ})]``
  per mode, is checked against a Langevin simulation in the tests). :func:`read_noise` draws
  ξ element by element (so its covariance is the physical one, correlations included) and
  solves the block-tridiagonal system exactly.
* **ADC quantisation at the booked resolution.** Hidden units are digitised at their amplified
  node u = a·V (range ±``adc_range_hidden``), outputs directly (±``adc_range_output``); the
  codes are rounded to ``adc_bits`` and clipped. The energy booked per conversion is the Walden
  figure of merit at that ENOB, ``FOM·2^bits`` (:class:`thermolearn.devices.ADC`).
* **DACs for the inputs**: features are rounded to ``dac_bits`` before they drive the sources.
* **Amplifiers: settling, noise and power (the cited part, [6]).** Every amplifier is a
  single-pole voltage-feedback stage of gain-bandwidth product GBW: at closed-loop (noise)
  gain G its time constant is ``τ_a = G / (2π GBW)`` and it needs ``ln(2^bits) τ_a`` to settle
  within one part in 2^bits; the audit requires the phase's ``settling_time`` to cover the
  larger of that and the network's settling. Each read passes one amplifier of input voltage
  noise density e_n (one-sided) at noise gain G — the diode amplifier of gain a_d for a
  hidden read (its output is the node the ADC digitises), a unity-gain buffer for an output
  read — so the read averaged over T carries an extra variance ``e_n² G² / (2T)`` at the
  ADC, ``e_n² / (2T)`` referred to the node; the drive and diode amplifiers' output noise
  also drives the network (see :func:`read_noise`). The amplifiers are powered for the whole
  phase: count × quiescent power × (settling + integration) is booked.

References
----------
.. [1] J. B. Johnson, Phys. Rev. 32, 97 (1928); H. Nyquist, Phys. Rev. 32, 110 (1928).
.. [2] W. Schottky, Ann. Phys. 57, 541 (1918) (shot noise 2qI).
.. [3] C. W. Gardiner, *Stochastic Methods*, 4th ed. (2009), §4.5 (OU process; variance of a
   time average).
.. [4] R. H. Walden, IEEE J. Sel. Areas Commun. 17, 539 (1999); B. Murmann, "ADC Performance
   Survey 1997–2024" (Walden FOM of published converters).
.. [5] M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014,
   pp. 10–14 (45 nm: 32-bit int multiply 3.1 pJ, add 0.1 pJ; 64-bit read from an 8 kB SRAM
   10 pJ).
.. [6] Texas Instruments, "OPA855 8-GHz Gain Bandwidth Product, Gain of 7-V/V Stable, Bipolar
   Input Amplifier", data sheet SBOS622 (2018, rev. 2023): gain-bandwidth product 8 GHz,
   input voltage noise 0.98 nV/√Hz, quiescent current 17.8 mA, supply 3.3 V to 5.25 V
   (booked at 5 V: 89 mW per amplifier), stable for gains ≥ 7 V/V.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.algorithms.ep_circuit import PhaseResult
from thermolearn.devices.peripherals import DEFAULT_FOM_WALDEN
from thermolearn.devices.shockley import shockley_conductance
from thermolearn.errors import ParameterError
from thermolearn.physics import K_B, Q_E
from thermolearn.validation import (
    check_converter_bits,
    check_nonnegative,
    check_positive,
)

Array = NDArray[np.float64]

#: Horowitz (ISSCC 2014, 45 nm): 32-bit integer multiply 3.1 pJ + add 0.1 pJ per MAC.
MAC_ENERGY_INT32 = 3.2e-12
#: Horowitz (ISSCC 2014): 64-bit read of an 8 kB SRAM 10 pJ, i.e. 5 pJ per 32-bit word.
SRAM_ENERGY_PER_WORD = 5e-12
#: TI OPA855 data sheet (SBOS622): gain-bandwidth product 8 GHz.
AMPLIFIER_GBW_CITED = 8e9
#: TI OPA855 data sheet (SBOS622): input voltage noise density 0.98 nV/√Hz (one-sided).
AMPLIFIER_NOISE_CITED = 0.98e-9
#: TI OPA855 data sheet (SBOS622): quiescent current 17.8 mA at a 5 V supply (the top of its
#: 3.3–5.25 V range; its electrical characteristics are specified at ±2.5 V): 89 mW.
AMPLIFIER_POWER_CITED = 17.8e-3 * 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PhysicsParams:
    """Readout, timing and periphery of a physical EP phase (SI units).

    Attributes
    ----------
    capacitance : float
        Capacitance of every solved node to ground, F.
    settling_time : float
        Time each phase is held before its integration window starts, s.
    integration_time : float
        Length T of the averaging window of each read, s.
    read_noise : bool
        Draw Johnson and shot noise into every read (False: noiseless reads, a control).
    adc_bits : int
        Resolution of every node ADC; its Walden energy FOM·2^bits is what is booked.
    adc_range_hidden, adc_range_output : float
        Full-scale ± range of the hidden ADCs (at the amplified node u = a·V) and of the output
        ADCs, V.
    dac_bits : int
        Resolution of the input DACs.
    dac_bipolar : bool
        Input DAC codes span [−1, 1] (standardised inputs, see
        :mod:`~thermolearn.algorithms.ep_inputs`) instead of [0, 1]; same bit count.
    fom_walden : float
        ADC Walden figure of merit, J per conversion step (Murmann's survey).
    dac_c_load : float
        Line capacitance a DAC charges, F (energy C V² per conversion at full swing).
    mac_energy : float
        Energy of one multiply-accumulate of the digital ΔV² accumulation, J.
    sram_energy : float
        Energy of one 32-bit word of SRAM traffic, J.
    amplifier_power : float
        Quiescent power of one amplifier, W (OPA855: 17.8 mA × 5 V), booked for the whole
        phase.
    amplifier_gbw : float
        Gain-bandwidth product of every amplifier, Hz (OPA855: 8 GHz); sets the closed-loop
        time constant G/(2π GBW) the settling audit checks.
    amplifier_noise : float
        Input voltage noise density e_n of every amplifier, V/√Hz one-sided (OPA855:
        0.98 nV/√Hz); each read adds e_n² G²/(2T) at its ADC (0 disables it, a control).
    amplifier_output_current : float
        Largest current one amplifier output may source, A. The audit compares it with the
        currents the solved phases draw (drive buffers, current mirrors, diode nodes). The
        default is unbounded (no data-sheet output-current figure is booked here, so none is
        invented); set it to check a part's limit.
    allow_read_disturb : bool
        Permit device drops above the disturb-free read voltage (the disturbance is then
        simulated by the device state equation and reported).
    disturb_reads : float
        Number of reads in the disturb-free-voltage criterion (1e6).
    """

    capacitance: float = 1e-12
    settling_time: float = 1e-8
    integration_time: float = 1e-7
    read_noise: bool = True
    adc_bits: int = 12
    adc_range_hidden: float = 0.25
    adc_range_output: float = 0.1
    dac_bits: int = 8
    dac_bipolar: bool = False
    fom_walden: float = DEFAULT_FOM_WALDEN
    dac_c_load: float = 100e-15
    mac_energy: float = MAC_ENERGY_INT32
    sram_energy: float = SRAM_ENERGY_PER_WORD
    amplifier_power: float = AMPLIFIER_POWER_CITED
    amplifier_gbw: float = AMPLIFIER_GBW_CITED
    amplifier_noise: float = AMPLIFIER_NOISE_CITED
    amplifier_output_current: float = math.inf
    allow_read_disturb: bool = False
    disturb_reads: float = 1e6

    def __post_init__(self) -> None:
        o = "PhysicsParams"
        check_positive(self.capacitance, "capacitance", o, "F")
        check_positive(self.settling_time, "settling_time", o, "s")
        check_positive(self.integration_time, "integration_time", o, "s")
        check_converter_bits(self.adc_bits, "adc_bits", o)
        check_positive(self.adc_range_hidden, "adc_range_hidden", o, "V")
        check_positive(self.adc_range_output, "adc_range_output", o, "V")
        check_converter_bits(self.dac_bits, "dac_bits", o)
        check_positive(self.fom_walden, "fom_walden", o, "J/step")
        check_nonnegative(self.dac_c_load, "dac_c_load", o, "F")
        check_nonnegative(self.mac_energy, "mac_energy", o, "J")
        check_nonnegative(self.sram_energy, "sram_energy", o, "J")
        check_nonnegative(self.amplifier_power, "amplifier_power", o, "W")
        check_positive(self.amplifier_gbw, "amplifier_gbw", o, "Hz")
        check_nonnegative(self.amplifier_noise, "amplifier_noise", o, "V/sqrt(Hz)")
        if not (self.amplifier_output_current > 0):  # inf allowed: no limit checked
            check_positive(self.amplifier_output_current, "amplifier_output_current", o, "A")
        check_positive(self.disturb_reads, "disturb_reads", o)

    @property
    def adc_energy(self) -> float:
        """J per ADC conversion: Walden FOM × 2^bits."""
        return self.fom_walden * 2.0**self.adc_bits

    @property
    def phase_duration(self) -> float:
        """Settling plus integration, s."""
        return self.settling_time + self.integration_time

    def amplifier_tau(self, noise_gain: float) -> float:
        """Closed-loop time constant G/(2π GBW) (s) of an amplifier at noise gain G."""
        return max(float(noise_gain), 1.0) / (2.0 * math.pi * self.amplifier_gbw)

    def amplifier_settling(self, noise_gain: float) -> float:
        """Time (s) for that amplifier to settle within one part in 2^adc_bits."""
        return self.amplifier_tau(noise_gain) * self.adc_bits * math.log(2.0)

    def amplifier_read_variance(self) -> float:
        """Node-referred variance (V²) one read amplifier adds over the window T.

        e_n² G² / (2T) at the amplifier output (one-sided density averaged over T), divided by
        the G² that maps the node to the ADC: e_n² / (2T), the same for every read.
        """
        return self.amplifier_noise**2 / (2.0 * self.integration_time)

    def lsb(self, full_scale: float) -> float:
        """ADC step (V) over ±full_scale."""
        return 2.0 * full_scale / 2.0**self.adc_bits


def quantize(v: Array, bits: int, full_scale: float) -> Array:
    """Round ``v`` to a ``bits``-bit mid-tread code over ±``full_scale`` (clipped)."""
    lsb = 2.0 * full_scale / 2.0**bits
    top = 2 ** (bits - 1) - 1
    return np.asarray(np.clip(np.round(v / lsb), -top - 1, top) * lsb, dtype=np.float64)


def quantize_inputs(x: Array, bits: int, bipolar: bool = False) -> Array:
    """DAC codes of features at ``bits`` bits.

    Unipolar: x in [0, 1], 2^bits − 1 steps. Bipolar (standardised inputs, |x| ≤ 1): a
    symmetric code at the same bit count, x in [−1, 1] with 2^(bits−1) − 1 steps per polarity
    (0 exactly representable), i.e. twice the unipolar step over twice the range.
    """
    if bipolar:
        top = 2 ** (bits - 1) - 1
        if top < 1:
            return np.asarray(np.sign(np.round(np.clip(x, -1.0, 1.0))), dtype=np.float64)
        return np.asarray(np.round(np.clip(x, -1.0, 1.0) * top) / top, dtype=np.float64)
    n = 2**bits - 1
    return np.asarray(np.round(np.clip(x, 0.0, 1.0) * n) / n, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# linearised network: H = blocks (diagonal per layer, dense couplings between layers)
# --------------------------------------------------------------------------------------------


def _diode_small_signal(net: Any, layer: int, v: Array) -> Array:
    """a² g_d(aV) (S) of the diode pair of each hidden node (the shared Shockley kernel)."""
    p = net.params
    if not p.diodes:
        return np.zeros_like(v)
    a = p.diode_gain
    u = a * v
    g_up = shockley_conductance(u - p.v_up, p.diode_i_s, p.diode_n, p.diode_r_s, p.temperature)
    g_dn = shockley_conductance(p.v_down - u, p.diode_i_s, p.diode_n, p.diode_r_s,
                                p.temperature)
    return a * a * (g_up + g_dn)


def diagonal_blocks(net: Any, state: Any, beta: float) -> list[Array]:
    """Diagonal of H (S) per layer, shape (B, n_l); ``beta`` the nudging conductance in S."""
    p = net.params
    out = []
    big_l = net.n_layers
    for layer in range(1, big_l + 1):
        v = state.layers[layer - 1]
        d = np.broadcast_to(net._s[layer - 1] * p.g_max, v.shape).copy()
        if layer < big_l:
            d += _diode_small_signal(net, layer, v)
        else:
            d += beta
        out.append(d)
    return out


def coupling_blocks(net: Any) -> list[Array]:
    """Off-diagonal blocks C_l = ∂²E/∂V_l∂V_{l+1} (S), shape (n_l, n_{l+1}), l = 1..L−1."""
    p = net.params
    return [
        -net._gain(k) * net._wdiff[k] * p.g_max for k in range(1, net.n_layers)
    ]


def dense_conductance_matrix(net: Any, state: Any, beta: float, sample: int) -> Array:
    """H (S) of one sample as a dense matrix over all solved nodes (small nets/audits)."""
    diag = diagonal_blocks(net, state, beta)
    coup = coupling_blocks(net)
    sizes = [d.shape[1] for d in diag]
    off = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    h = np.zeros((off[-1], off[-1]))
    for k, d in enumerate(diag):
        idx = np.arange(off[k], off[k + 1])
        h[idx, idx] = d[sample]
    for k, c in enumerate(coup):
        a = slice(off[k], off[k + 1])
        b = slice(off[k + 1], off[k + 2])
        h[a, b] = c
        h[b, a] = c.T
    return h


def slowest_time_constant(net: Any, state: Any, beta: float, capacitance: float,
                          samples: int = 4) -> tuple[float, float]:
    """(τ_slow, τ_fast) in s: C/λ_min and C/λ_max of H over the first ``samples`` samples."""
    lam_min, lam_max = math.inf, 0.0
    for i in range(min(samples, state.layers[0].shape[0])):
        ev = np.linalg.eigvalsh(dense_conductance_matrix(net, state, beta, i))
        lam_min = min(lam_min, float(ev[0]))
        lam_max = max(lam_max, float(ev[-1]))
    if lam_min <= 0:
        raise ParameterError(
            "The linearised EP circuit has a non-positive conductance eigenvalue "
            f"({lam_min:.3g} S): the nudging conductance 'beta' makes the phase unstable."
        )
    return capacitance / lam_min, capacitance / lam_max


def read_noise(
    net: Any, x: Array, state: Any, beta: float, phys: PhysicsParams, rng: np.random.Generator
) -> list[Array]:
    """Noise (V) of the time-averaged node voltages of one phase, per layer (B, n_l).

    Element by element: Johnson currents N(0, 2kT G/T) of every crossbar device and of the
    nudging conductance (|β| for the active −β source, whose noise is taken equal to that of a
    resistor: an assumption), shot currents N(0, q(I + 2I_s)/T) of every diode (mirrored into
    the hidden node with the gain a), and the amplifiers' input voltage noise e_n (one-sided,
    averaged over T: N(0, e_n² G²/(2T)) at an output of noise gain G): the +a drive amplifier
    (G = a) and the −a one (inverting, G = 1 + a) of every hidden node put it on their rows,
    so it drives G_ij n_i into every column node and, through the mirror, ∓a Σ_j G_ij n_i
    back into the hidden node; the diode amplifier (G = a_d, when a_d ≠ 1) moves its node u by
    n_d, so its diodes carry g_d n_d more, mirrored as −a_d g_d n_d into the hidden node. Then
    the exact solve of H v = ξ. Each read then passes its amplifier: a hidden read is the
    diode amplifier's output u = a_d V + n_d (the same n_d), i.e. + n_d / a_d at the node; an
    output read passes a unity-gain buffer, + N(0, e_n²/(2T)). Both add e_n²/(2T) referred
    to the node (:meth:`PhysicsParams.amplifier_read_variance`).
    """
    p = net.params
    kt = K_B * p.temperature
    t_int = phys.integration_time
    big_l = net.n_layers
    bsz = x.shape[0]
    sizes = p.layer_sizes
    xi = [np.zeros((bsz, n)) for n in sizes[1:]]
    e_sd = phys.amplifier_noise / math.sqrt(2.0 * t_int)  # averaged e_n at noise gain 1
    n_read: list[Array] = []  # node-referred noise of each hidden read (the diode amplifier)
    # first crossbar: rows are ideal sources, every device's noise enters its column node
    g0 = net.weights[0].sum(axis=0) * p.g_max
    xi[0] += rng.standard_normal((bsz, sizes[1])) * np.sqrt(2.0 * kt * g0 / t_int)
    for k in range(1, big_l):
        gk = net.weights[k] * p.g_max  # (2n_k + 2, n_{k+1})
        z = rng.standard_normal((bsz, *gk.shape)) * np.sqrt(2.0 * kt * gk / t_int)
        xi[k] += z.sum(axis=1)
        n = sizes[k]
        a = net._gain(k)
        # the row current of the ±a·V rows is mirrored into the hidden node (gain ∓a)
        xi[k - 1] += -a * z[:, :n, :].sum(axis=2) + a * z[:, n : 2 * n, :].sum(axis=2)
        if e_sd > 0.0:
            # drive amplifiers' output noise on the ±a·V rows: +a (G = a), −a (G = 1 + a)
            n_p = rng.standard_normal((bsz, n)) * (abs(a) * e_sd)
            n_m = rng.standard_normal((bsz, n)) * ((1.0 + abs(a)) * e_sd)
            g_p, g_m = gk[:n], gk[n : 2 * n]
            xi[k] += n_p @ g_p + n_m @ g_m
            xi[k - 1] += -a * n_p * g_p.sum(axis=1) + a * n_m * g_m.sum(axis=1)
    for layer in range(1, big_l):
        a_d = net.readout_gain(layer)
        n_d = rng.standard_normal(xi[layer - 1].shape) * (abs(a_d) * e_sd)
        n_read.append(n_d / a_d)
        if p.diodes and a_d != 1.0 and e_sd > 0.0:
            # the diode node u = a_d V + n_d: the diodes carry g_d n_d more, mirrored (−a_d)
            g_d = _diode_small_signal(net, layer, state.layers[layer - 1]) / (a_d * a_d)
            xi[layer - 1] += -a_d * g_d * n_d
        i_up, i_dn = net.diode_currents(layer, state.layers[layer - 1])
        if not p.diodes:
            continue
        var = Q_E * (np.abs(i_up) + np.abs(i_dn) + 4.0 * p.diode_i_s) / t_int
        xi[layer - 1] += p.diode_gain * np.sqrt(var) * rng.standard_normal(var.shape)
    if beta != 0.0:
        xi[-1] += rng.standard_normal(xi[-1].shape) * math.sqrt(2.0 * kt * abs(beta) / t_int)
    diag = diagonal_blocks(net, state, beta)
    coup = coupling_blocks(net)
    v = _solve_chain(diag, coup, xi)
    if e_sd > 0.0:
        v = [a + n for a, n in zip(v[:-1], n_read, strict=True)] + [
            v[-1] + e_sd * rng.standard_normal(v[-1].shape)
        ]
    return v


def _solve_chain(diag: list[Array], coup: list[Array], rhs: list[Array]) -> list[Array]:
    """Solve the block-tridiagonal system by forward Schur elimination and back-substitution."""
    n_l = len(diag)
    s_blocks: list[Array] = [diag[0]]
    r_vecs: list[Array] = [rhs[0]]
    for layer in range(1, n_l):
        c = coup[layer - 1]
        prev = s_blocks[-1]
        if prev.ndim == 2:
            inv_c = c[None, :, :] / prev[:, :, None]
            inv_r = r_vecs[-1] / prev
        else:
            inv_c = np.linalg.solve(prev, np.broadcast_to(c, (prev.shape[0], *c.shape)))
            inv_r = np.linalg.solve(prev, r_vecs[-1][..., None])[..., 0]
        s = -np.einsum("ij,bik->bjk", c, inv_c)
        idx = np.arange(diag[layer].shape[1])
        s[:, idx, idx] += diag[layer]
        s_blocks.append(s)
        r_vecs.append(rhs[layer] - np.einsum("ij,bi->bj", c, inv_r))
    v: list[Array] = [np.zeros(0) for _ in range(n_l)]
    for layer in range(n_l - 1, -1, -1):
        r = r_vecs[layer]
        if layer < n_l - 1:
            r = r - np.einsum("ij,bj->bi", coup[layer], v[layer + 1])
        sb = s_blocks[layer]
        v[layer] = r / sb if sb.ndim == 2 else np.linalg.solve(sb, r[..., None])[..., 0]
    return v


def measure(
    net: Any,
    x: Array,
    state: Any,
    beta: float,
    phys: PhysicsParams,
    rng: np.random.Generator,
    *,
    layers: str = "all",
) -> Any:
    """Return the digitised read of one phase: V* + averaged noise, quantised by the ADCs.

    Hidden layers are read at the amplified node (u = a·V, range ±adc_range_hidden) and
    reported back in node units; outputs at ±adc_range_output. ``layers="output"`` reads only
    the outputs (the free phase of training needs only the prediction). Returns a PhaseResult
    with the measured voltages, plus the clipping count in ``meta``.
    """
    v = [a.copy() for a in state.layers]
    if phys.read_noise:
        noise = read_noise(net, x, state, beta, phys, rng)
        v = [a + n for a, n in zip(v, noise, strict=True)]
    clipped = 0
    out = []
    big_l = net.n_layers
    for layer, vl in enumerate(v, start=1):
        if layer < big_l:
            if layers == "output":
                out.append(state.layers[layer - 1])
                continue
            a = net.readout_gain(layer)
            fs = phys.adc_range_hidden
            clipped += int(np.sum(np.abs(a * vl) > fs))
            out.append(quantize(a * vl, phys.adc_bits, fs) / a)
        else:
            fs = phys.adc_range_output
            clipped += int(np.sum(np.abs(vl) > fs))
            out.append(quantize(vl, phys.adc_bits, fs))
    res = PhaseResult(layers=out, sweeps=state.sweeps, diode_current=state.diode_current)
    res.meta = {"clipped": clipped}
    return res


# --------------------------------------------------------------------------------------------
# device drops
# --------------------------------------------------------------------------------------------


def device_drops(net: Any, x: Array, layers: list[Array]) -> list[Array]:
    """Voltage across every crossbar device (V), one (B, 2n+2, m) array per crossbar."""
    out = []
    prev = x
    for k, vk in enumerate(layers):
        pre = net.presynaptic(k, prev)
        out.append(pre[:, :, None] - vk[:, None, :])
        prev = vk
    return out


def max_drops(net: Any, x: Array, layers: list[Array]) -> list[float]:
    """Largest |drop| (V) over devices and samples, per crossbar (without forming all drops)."""
    out = []
    prev = x
    for k, vk in enumerate(layers):
        pre = net.presynaptic(k, prev)
        m = np.maximum(pre.max(1) - vk.min(1), vk.max(1) - pre.min(1))
        out.append(float(np.max(m)))
        prev = vk
    return out


__all__ = [
    "PhysicsParams",
    "quantize",
    "quantize_inputs",
    "read_noise",
    "measure",
    "diagonal_blocks",
    "coupling_blocks",
    "dense_conductance_matrix",
    "slowest_time_constant",
    "device_drops",
    "max_drops",
    "MAC_ENERGY_INT32",
    "SRAM_ENERGY_PER_WORD",
    "AMPLIFIER_POWER_CITED",
    "AMPLIFIER_GBW_CITED",
    "AMPLIFIER_NOISE_CITED",
]


# --------------------------------------------------------------------------------------------
# one physical EP step: phases solved, read through noise and ADCs, gradients from the reads
# --------------------------------------------------------------------------------------------


def physical_gradients(
    net: Any,
    x: Array,
    y: NDArray[np.int64],
    phys: PhysicsParams,
    rng: np.random.Generator,
    *,
    solver: str = "layerwise",
    estimator: str = "centred",
) -> tuple[list[Array], dict[str, Any]]:
    """EP gradient (per normalised conductance, batch mean) from *measured* phases.

    The inputs drive the sources through ``dac_bits`` DACs; every phase is solved exactly
    (``solver``) and then read as the circuit would be read: averaged over the integration
    window with Johnson and shot noise and digitised at ``adc_bits`` (:func:`measure`). The
    free phase is read at the outputs only (the prediction); the nudged phases at every node
    (the local rule needs the drop across every device). The local rule
    ``[ΔV(+β)² − ΔV(−β)²] / (4β)`` is then evaluated digitally on those codes.

    Returns the gradients and an info dict: exact and measured states, passive dissipation
    per phase (W, batch sum), power supplied by the active −β source, ADC clip count, largest
    device drop per crossbar and phase, and the learning-signal and noise statistics.
    """
    xq = quantize_inputs(x, phys.dac_bits, phys.dac_bipolar)
    tgt = net.targets(y)
    b_si = net.params.beta
    b = net._beta
    bsz = x.shape[0]
    free = net.solve(xq, solver=solver)
    full_free = estimator == "one-sided"
    free_m = measure(net, xq, free, 0.0, phys, rng, layers="all" if full_free else "output")
    plus = net.solve(xq, beta=b_si, target=tgt, init=free.layers, solver=solver)
    plus_m = measure(net, xq, plus, b_si, phys, rng)
    info: dict[str, Any] = {
        "x": xq,
        "free": free,
        "plus": plus,
        "free_measured": free_m,
        "plus_measured": plus_m,
        "power": {
            "free": net.phase_power(xq, free, net._squared_drops(xq, free), 0.0, tgt),
            "plus": net.phase_power(xq, plus, net._squared_drops(xq, plus), b, tgt),
        },
        "supplied": {},
        "clipped": free_m.meta["clipped"] + plus_m.meta["clipped"],
        "max_drop": {"free": max_drops(net, xq, free.layers),
                     "plus": max_drops(net, xq, plus.layers)},
        "sweeps": free.sweeps + plus.sweeps,
        "reads": {"free": sum(net.params.layer_sizes[-1:]) if not full_free
                  else sum(net.params.layer_sizes[1:]),
                  "plus": sum(net.params.layer_sizes[1:])},
    }
    d_plus = net._squared_drops(xq, plus_m)
    if estimator == "centred":
        minus = net.solve(xq, beta=-b_si, target=tgt, init=free.layers, solver=solver)
        minus_m = measure(net, xq, minus, -b_si, phys, rng)
        info["minus"] = minus
        info["minus_measured"] = minus_m
        info["power"]["minus"] = net.phase_power(
            xq, minus, net._squared_drops(xq, minus), -b, tgt
        )
        info["supplied"]["minus"] = net.nudge_supplied_power(minus, -b, tgt)
        info["clipped"] += minus_m.meta["clipped"]
        info["max_drop"]["minus"] = max_drops(net, xq, minus.layers)
        info["sweeps"] += minus.sweeps
        info["reads"]["minus"] = sum(net.params.layer_sizes[1:])
        d_minus = net._squared_drops(xq, minus_m)
        grads = [(dp - dm) / (4.0 * b * bsz) for dp, dm in zip(d_plus, d_minus, strict=True)]
        other, other_exact = minus_m, minus
    else:
        d_free = net._squared_drops(xq, free_m)
        grads = [(dp - df) / (2.0 * b * bsz) for dp, df in zip(d_plus, d_free, strict=True)]
        other, other_exact = free_m, free
    # learning signal (exact) vs what the readout resolves, per layer
    sig = []
    err = []
    for k, (vp, vo) in enumerate(zip(plus.layers, other_exact.layers, strict=True)):
        scale = net.readout_gain(k + 1) if k + 1 < net.n_layers else 1.0
        sig.append(float(np.median(np.abs(vp - vo))) * scale)
        err.append(
            float(np.sqrt(np.mean((plus_m.layers[k] - vp - (other.layers[k] - vo)) ** 2))) * scale
        )
    info["signal"] = sig
    info["read_error"] = err
    return grads, info


__all__ += ["physical_gradients"]

"""The cross-entropy nudge: controller-computed targets make EP estimate ∇(κ T · CE).

Reference: a central finite difference (h = 1e-6 on every normalised conductance) of the
circuit's own cross-entropy cost κ T · CE(V_free(w) / T) at exact phases
(:meth:`EPCircuit.cost` with ``loss="cross_entropy"``). Tolerances: cosine > 0.9999 and norm
ratio within 1 % (measured: 1 − 2e-8 and 1.0009, the centred estimate's O(β²) bias at
β = 1e-7 S against output nodes of ~3e-6 S). The same check fails for two plausible bugs in
the targets: the sign of κ flipped (cosine −1.000) and each sample's targets set from another
sample's free read (cosine 0.917; hidden crossbar 0.17).

The *measured* path training uses (:func:`physical_gradients`: DAC inputs, ADC reads, the
controller's targets from the free reads) is checked against that exact-phase estimate
(:meth:`EPCircuit.gradients`) with read noise off and 24-bit converters: element by element
within the worst case of half an ADC step propagated through ΔV² (computed from the states;
measured at most 0.26 of it). Its ±β phases are checked to be the solves at the controller's
targets, and the target DAC's ledger line is pinned to the DAC model it names.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from thermolearn.algorithms.ep_audit import disturb_free_limit, preflight
from thermolearn.algorithms.ep_circuit import EPCircuit, EPCircuitParams
from thermolearn.algorithms.ep_physics import (
    CE_NUDGE_OPS_PER_OUTPUT,
    CE_NUDGE_OPS_PER_SAMPLE,
    PhysicsParams,
    physical_gradients,
    quantize,
)
from thermolearn.devices.peripherals import DAC
from thermolearn.errors import ParameterError

from .conftest import SMALL_NET_SETTLING, central_difference


def _net(**kw: Any) -> EPCircuit:
    p = EPCircuitParams(layer_sizes=(3, 4, 3), input_amplitude=10.0, gain=2.0, v_up=-0.45,
                        v_down=0.45, beta=1e-7, tol=1e-13, loss="cross_entropy",
                        softmax_scale=0.05, ce_kappa=0.05, **kw)
    return EPCircuit(p, rng=np.random.default_rng(1))


def _batch() -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).random((6, 3))
    return x, np.array([0, 1, 2, 0, 1, 2])


def _finite_difference(net: EPCircuit, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    out = []
    for k, w in enumerate(net.weights):
        g = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            g[idx] = central_difference(net, x, y, k, idx, 1e-6)
        out.append(g)
    return out


def _agreement(est: list[np.ndarray], ref: list[np.ndarray]) -> tuple[float, float]:
    a = np.concatenate([g.ravel() for g in est])
    b = np.concatenate([g.ravel() for g in ref])
    cos = float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    return cos, float(np.linalg.norm(a) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def reference() -> list[np.ndarray]:
    net = _net()
    x, y = _batch()
    return _finite_difference(net, x, y)


def test_ce_nudge_estimate_equals_the_gradient_of_the_ce_cost(
    reference: list[np.ndarray],
) -> None:
    """Centred EP with t = V_free − κ (softmax(V_free/T) − onehot) vs FD of κ T · CE."""
    net = _net()
    x, y = _batch()
    est, info = net.gradients(x, y)
    cos, ratio = _agreement(est, reference)
    assert cos > 0.9999
    assert ratio == pytest.approx(1.0, abs=0.01)
    # per crossbar too (the hidden crossbar's gradient flows back through the diodes)
    for e, r in zip(est, reference, strict=True):
        c, q = _agreement([e], [r])
        assert c > 0.9999 and q == pytest.approx(1.0, abs=0.01)
    # the targets are the free outputs displaced by at most kappa
    v = info["free"].layers[-1]
    assert np.max(np.abs(info["targets"] - v)) <= net.params.ce_kappa


class _SignBug(EPCircuit):
    """t = V + κ (p − onehot): the nudge pushes up the cross-entropy."""

    def nudge_targets(self, y: Any, v_free: Any = None) -> np.ndarray:
        return 2.0 * np.asarray(v_free) - super().nudge_targets(y, v_free)


class _WrongReadBug(EPCircuit):
    """Each sample's targets computed from the next sample's free read (misaligned reads)."""

    def nudge_targets(self, y: Any, v_free: Any = None) -> np.ndarray:
        return super().nudge_targets(np.roll(y, 1), np.roll(np.asarray(v_free), 1, axis=0))


@pytest.mark.parametrize("bug", [_SignBug, _WrongReadBug])
def test_a_wrong_target_turns_the_check_red(bug: type, reference: list[np.ndarray]) -> None:
    """The same comparison fails for the sign of κ flipped or the targets of another read."""
    net = _net()
    net.__class__ = bug
    x, y = _batch()
    est, _ = net.gradients(x, y)
    cos, ratio = _agreement(est, reference)
    assert not (cos > 0.9999 and abs(ratio - 1.0) <= 0.01)


def test_squared_loss_is_unchanged_by_default() -> None:
    """The default loss keeps the fixed class targets (and the squared cost)."""
    p = EPCircuitParams(layer_sizes=(3, 4, 3))
    net = EPCircuit(p, rng=np.random.default_rng(1))
    y = np.array([0, 2])
    np.testing.assert_array_equal(net.nudge_targets(y, np.zeros((2, 3))), net.targets(y))
    with pytest.raises(ParameterError, match="'loss'"):
        EPCircuitParams(layer_sizes=(3, 4, 3), loss="hinge")
    with pytest.raises(ParameterError, match="v_free"):
        _net().nudge_targets(y)


def _small_vteam(**circuit: Any):  # type: ignore[no-untyped-def]
    from thermolearn.datasets import load
    from thermolearn.experiments.ep_train import build_ep_network, default_config

    # preflight is called directly (no run_training settling derivation): the 16-hidden net on
    # the default vteam_highr synapses needs ~30 ns, SMALL_NET_SETTLING covers it
    cfg = default_config("digits", hidden=(16,), circuit=circuit,
                         physics={"settling_time": SMALL_NET_SETTLING})
    data = load("digits", seed=0)
    net, syn, phys = build_ep_network(cfg, (64, 16, 10), np.random.default_rng(0))
    return net, phys, syn, data.x_train[:32], data.y_train[:32]


def test_measured_targets_come_from_the_free_reads_and_are_booked() -> None:
    """Physical path: t from the free phase's ADC reads, on the output ADC's grid; ledger."""
    from thermolearn.algorithms.ep_energy import book_physical_step
    from thermolearn.energy import EnergyLedger

    net, phys, _, x, y = _small_vteam(loss="cross_entropy", ce_kappa=0.002)
    _, info = physical_gradients(net, x, y, phys, np.random.default_rng(0))
    v_read = info["free_measured"].layers[-1]
    expect = quantize(net.nudge_targets(y, v_read), phys.adc_bits, phys.adc_range_output)
    np.testing.assert_array_equal(info["targets"], expect)
    # the reads are not the exact free state (noise + ADC), and the targets follow the reads
    assert not np.array_equal(v_read, info["free"].layers[-1])
    led = EnergyLedger()
    book_physical_step(led, net, phys, info, len(y))
    br = led.breakdown()
    n_out = net.params.layer_sizes[-1]
    ops = len(y) * (CE_NUDGE_OPS_PER_OUTPUT * n_out + CE_NUDGE_OPS_PER_SAMPLE)
    assert br["nudge_target_arithmetic"] == pytest.approx(ops * phys.mac_energy, rel=1e-12)
    # one conversion per output and sample, on the DAC the ledger names (output ADC's bits
    # and range, the input DACs' line load): exact up to float summation (rel 1e-12)
    tdac = DAC(bits=phys.adc_bits, v_full_scale=phys.adc_range_output, c_load=phys.dac_c_load)
    assert led.counts()["nudge_target_dac"] == len(y) * n_out
    assert br["nudge_target_dac"] == pytest.approx(
        tdac.energy_per_conversion * len(y) * n_out, rel=1e-12
    )
    # the squared loss books neither line
    net2, phys2, _, _, _ = _small_vteam()
    _, info2 = physical_gradients(net2, x, y, phys2, np.random.default_rng(0))
    led2 = EnergyLedger()
    book_physical_step(led2, net2, phys2, info2, len(y))
    assert "nudge_target_arithmetic" not in led2.breakdown()


def test_audit_refuses_targets_outside_the_output_range() -> None:
    """κ = 50 mV puts targets beyond the ±20 mV output range: refused naming 'ce_kappa'."""
    net, phys, syn, x, y = _small_vteam(loss="cross_entropy", ce_kappa=0.05)
    v_df = disturb_free_limit(syn.nominal, phys, 64)
    with pytest.raises(ParameterError, match="'ce_kappa'"):
        preflight(net, x, y, phys, v_df, np.random.default_rng(0))
    net, phys, syn, x, y = _small_vteam(loss="cross_entropy", ce_kappa=0.002)
    preflight(net, x, y, phys, v_df, np.random.default_rng(0))


# -- the measured path (physical_gradients) against the exact-phase estimate -----------------


def _grid_batch(bits: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_batch` on the input DACs' code grid (the DAC is then the identity)."""
    x, y = _batch()
    n = 2**bits - 1
    return np.round(x * n) / n, y


def _fine_physics(**kw: Any) -> PhysicsParams:
    """24-bit ADCs and DACs over ranges that just hold the 3-4-3 net's phases and targets.

    Hidden nodes reach 0.111 V and outputs 0.154 V, the targets 0.166 V: ±0.125 / ±0.25 V
    (nothing clips; the tests assert it). The defaults (±0.25 / ±0.1 V) would clip outputs.
    """
    args: dict[str, Any] = {"adc_bits": 24, "dac_bits": 24, "adc_range_hidden": 0.125,
                            "adc_range_output": 0.25}
    return PhysicsParams(**{**args, **kw})


def _read_error_bound(net: EPCircuit, x: np.ndarray, info: dict[str, Any],
                      phys: PhysicsParams) -> list[np.ndarray]:
    """Worst-case effect on each gradient entry of reads off by half an ADC step.

    A read off by e changes a device's ΔV² by 2|ΔV| e + e²; e is the half step of the column
    node's ADC plus that of the row's (the previous layer's read, times the crossbar drive
    gain; the inputs are exact). Summed over the batch and both nudged phases, / (4 β B).
    """
    a = net.readout_gain(1)
    eps = [phys.lsb(phys.adc_range_hidden) / (2.0 * a)] * (net.n_layers - 1)
    eps.append(phys.lsb(phys.adc_range_output) / 2.0)
    out = []
    prev = {"plus": x, "minus": x}
    for k in range(net.n_layers):
        e = eps[k] + (abs(net._gain(k)) * eps[k - 1] if k > 0 else 0.0)
        tot = 0.0
        for ph in ("plus", "minus"):
            v = info[ph].layers[k]
            drop = np.abs(net.presynaptic(k, prev[ph])[:, :, None] - v[:, None, :])
            tot = tot + (2.0 * drop * e + e * e).sum(axis=0)
            prev[ph] = v
        out.append(tot / (4.0 * net._beta * x.shape[0]))
    return out


def test_measured_path_equals_the_exact_phase_estimate_with_fine_converters() -> None:
    """physical_gradients == EPCircuit.gradients (CE nudge), noise off, 24-bit converters.

    Reference: the exact-phase estimate, itself checked against the finite difference above.
    Tolerance: per entry, the worst case of half an ADC step in every read propagated through
    ΔV² (:func:`_read_error_bound`; 6e-4 / 7e-5 of the gradient norm, hidden / output
    crossbar). Measured: at most 0.26 of that bound, 7e-5 / 4e-6 relative in norm. The bound
    also has room for the targets' rounding (2.6e-8 V on targets up to 0.17 V, ~1e-6
    relative). Solving the −β phase at the squared-loss class targets instead (the line
    before 90a34cd) is off by O(1).
    """
    net = _net()
    x, y = _grid_batch()
    phys = _fine_physics(read_noise=False)
    est, info = net.gradients(x, y)
    meas, minfo = physical_gradients(net, x, y, phys, np.random.default_rng(0))
    np.testing.assert_array_equal(minfo["x"], x)  # inputs on the DAC grid: no input error
    assert minfo["clipped"] == 0 and minfo["nudge"]["clipped"] == 0
    bound = _read_error_bound(net, x, info, phys)
    for m, e, bd in zip(meas, est, bound, strict=True):
        assert np.linalg.norm(bd) < 1e-3 * np.linalg.norm(e)  # the check is a tight one
        assert np.all(np.abs(m - e) <= bd)


def test_measured_nudged_phases_are_solved_at_the_controller_targets() -> None:
    """Both ±β phases of the measured path are the solves at info['targets'] (noise on).

    Reference: ``net.solve`` at ±β with the stored targets (the controller's, from the free
    reads), from the same initial state; equal to the last bit (the same deterministic
    solve). With read noise (12-bit ADCs) the reads are off the exact free outputs,
    so targets taken from the exact outputs (measured: up to 2.6e-4 V off), or the class
    targets, give other states.
    """
    net = _net()
    x, y = _grid_batch()
    phys = _fine_physics(adc_bits=12)
    _, info = physical_gradients(net, x, y, phys, np.random.default_rng(0))
    assert info["clipped"] == 0
    tgt = info["targets"]
    expect = quantize(net.nudge_targets(y, info["free_measured"].layers[-1]), phys.adc_bits,
                      phys.adc_range_output)
    np.testing.assert_array_equal(tgt, expect)
    # the reads differ from the exact free outputs by far more than the solver tolerance
    exact_t = net.nudge_targets(y, info["free"].layers[-1])
    assert np.max(np.abs(exact_t - tgt)) > 1e-6
    xq, b = info["x"], net.params.beta
    for ph, beta in (("plus", b), ("minus", -b)):
        ref = net.solve(xq, beta=beta, target=tgt, init=info["free"].layers)
        for u, v in zip(info[ph].layers, ref.layers, strict=True):
            np.testing.assert_array_equal(u, v)

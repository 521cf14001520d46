"""The physical EP circuit: diode kernels, the layer-wise solver, cross-engine agreement, updates.

References: Wright omega vs scipy.special.wrightomega (rtol 1e-13); the diode closed form
satisfies the implicit Shockley law I = I_s(exp((V − I R_s)/(n V_T)) − 1) (rtol 1e-9);
KCL residual at the solved operating point < 1e-9 of the node currents; ngspice operating point
of the same netlist within 1e-6 V (issue 4); pulsed device: bounds, level step, c2c noise std.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import wrightomega

from thermolearn.algorithms.ep_circuit import (
    EPCircuit,
    EPCircuitParams,
    PulsedDevice,
    PulsedDeviceParams,
    shockley_current,
    wright_omega,
)
from thermolearn.errors import ParameterError
from thermolearn.physics import K_B, Q_E

from .conftest import assert_phases_agree, central_difference


def _net(seed: int = 3, sizes: tuple[int, ...] = (3, 5, 4, 2)) -> EPCircuit:
    p = EPCircuitParams(
        layer_sizes=sizes, input_amplitude=2.0, gain=2.0, diode_gain=3.0, v_up=-0.3, v_down=0.3
    )
    return EPCircuit(p, rng=np.random.default_rng(seed))


def test_wright_omega_matches_scipy() -> None:
    z = np.concatenate([np.linspace(-800, 800, 20001), np.linspace(-3, 3, 1001)])
    np.testing.assert_allclose(wright_omega(z), wrightomega(z), rtol=1e-13, atol=1e-300)


def test_shockley_closed_form_solves_implicit_law() -> None:
    v = np.linspace(-1.0, 1.5, 501)
    i_s, n, r_s, t = 1e-14, 1.2, 10.0, 300.0
    i = shockley_current(v, i_s, n, r_s, t)
    vt = n * K_B * t / Q_E
    np.testing.assert_allclose(i, i_s * np.expm1((v - i * r_s) / vt), rtol=1e-9, atol=1e-24)
    # large forward bias: the series resistance dominates, I -> (V - V_j)/R_s
    assert shockley_current(np.array([5.0]), i_s, n, r_s, t)[0] == pytest.approx(
        (5.0 - 0.9) / r_s, rel=0.05
    )


def test_shockley_kernel_matches_devices_diode() -> None:
    """The solver's diode kernel is the same law as thermolearn.devices.Diode (rtol 1e-12)."""
    from thermolearn.devices import Diode, DiodeParams

    v = np.linspace(-1.0, 1.5, 301)
    d = Diode(DiodeParams(i_s=1e-15, n=1.1, r_s=100.0, temperature=310.0))
    np.testing.assert_allclose(
        shockley_current(v, 1e-15, 1.1, 100.0, 310.0), d.current(v), rtol=1e-12, atol=1e-27
    )


def test_operating_point_satisfies_kcl_and_diodes_conduct(rng: np.random.Generator) -> None:
    net = _net()
    x = rng.random((16, 3))
    st = net.relax(x, tol=1e-12)
    res = net.node_currents(x, st.layers)
    scale = max(float(np.max(np.abs(s))) for s in net._s) * net.params.g_max
    assert max(float(np.max(np.abs(r))) for r in res) < 1e-9 * scale
    # the test exercises the nonlinearity: some diode carries > 5 % of g_max x 1 V
    assert max(float(np.max(np.abs(c))) for c in st.diode_current) * net.params.g_max > 5e-8
    # nudged phase: KCL including the nudging current
    tgt = net.targets(np.zeros(16, dtype=np.int64))
    sb = net.relax(x, beta=net._beta, target=tgt, init=st.layers, tol=1e-12)
    res = net.node_currents(x, sb.layers, beta=net.params.beta, target=tgt)
    assert max(float(np.max(np.abs(r))) for r in res) < 1e-9 * scale


@pytest.mark.ngspice
def test_ngspice_solver_runs_the_exported_circuit_and_agrees_with_mna(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EP's ngspice solver hands ngspice exactly export_netlist(build_circuit(...)).

    References: the exporter's text of the same Circuit (string equality); the general MNA
    engine on that Circuit and the layer-wise solver (every node within 1e-6 V, issue 12), for
    the free, +beta and -beta (active VCCS) phases.
    """
    import thermolearn.circuit.spice.runner as ngs
    from thermolearn.circuit.spice.export import export_netlist
    from thermolearn.circuit.spice.ngspice_engine import OP_OPTIONS

    seen: list[str] = []
    real = ngs.run_netlist

    def spy(text: str, **kw: object) -> object:
        seen.append(text)
        return real(text, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ngs, "run_netlist", spy)
    net = _net()
    x = rng.random((2, 3))
    tgt = net.targets(np.array([0, 1]))
    b = net.params.beta
    for beta in (0.0, b, -b):
        tg = None if beta == 0.0 else tgt
        seen.clear()
        spice = net.solve(x, beta=beta, target=tg, solver="ngspice")
        mna = net.solve(x, beta=beta, target=tg, solver="mna")
        fast = net.relax(x, beta=beta / net.params.g_max, target=tg, tol=1e-12)
        assert len(seen) == 2
        for i in range(2):
            circ = net.build_circuit(x[i], beta=beta, target=None if tg is None else tg[i])
            assert seen[i] == export_netlist(circ, ".op", options=OP_OPTIONS)
        for a_, b_, c_ in zip(spice.layers, mna.layers, fast.layers, strict=True):
            np.testing.assert_allclose(a_, b_, rtol=0, atol=1e-6)
            np.testing.assert_allclose(b_, c_, rtol=0, atol=1e-6)


def _biased(net: EPCircuit, rng: np.random.Generator) -> tuple[EPCircuit, float, float]:
    """The same net with its amplifier inputs drawing DC currents from every node."""
    from thermolearn.algorithms.ep_physics import PhysicsParams, apply_bias_currents

    s = float(np.median(np.concatenate(net._s))) * net.params.g_max
    i_b = 1e-3 * s  # shifts of ~10 mV at these ~uS nodes
    biased = net.with_params()
    phys = PhysicsParams(buffer_bias_current=i_b, amplifier_bias_current=2.5 * i_b)
    hidden, output = apply_bias_currents(biased, phys)
    return biased, hidden, output


def test_input_bias_currents_in_every_engine(rng: np.random.Generator) -> None:
    """The amplifier inputs' bias currents in the operating point (apply_bias_currents).

    References: KCL with the drawn currents at the layer-wise solution (residual < 1e-9 of
    the node currents); the MNA engine on build_circuit() (a current source per node) in all
    three phases within 1e-6 V; the first-order shift H^-1(-Sum I_b) of
    bias_current_offsets within 3 % of the largest shift (measured 0.5 % at this ~9 mV
    shift: the diodes' curvature). The shift itself is visible (> 1 mV): the layer-wise
    solver ignoring the hidden nodes' currents, or the netlist's sources reversed, turn it
    red (checked)."""
    from thermolearn.algorithms.ep_physics import PhysicsParams, bias_current_offsets

    net = _net()
    biased, hidden, output = _biased(net, rng)
    i_b = hidden / 2.0  # two buffer-part inputs per hidden node (gain 2 drive, a_d = 3)
    assert output == pytest.approx(2.5 * i_b, rel=1e-12)
    assert biased.params.input_bias_hidden == hidden
    x = rng.random((4, 3))
    st0 = net.relax(x, tol=1e-12)
    st = biased.relax(x, tol=1e-12)
    res = biased.node_currents(x, st.layers)
    scale = max(float(np.max(np.abs(s))) for s in net._s) * net.params.g_max
    assert max(float(np.max(np.abs(r))) for r in res) < 1e-9 * scale
    dv = np.concatenate([b - a for a, b in zip(st0.layers, st.layers, strict=True)], axis=1)
    assert np.max(np.abs(dv)) > 1e-3
    phys = PhysicsParams(buffer_bias_current=i_b, amplifier_bias_current=2.5 * i_b)
    pred = np.concatenate(bias_current_offsets(net, st0, 0.0, phys), axis=1)
    np.testing.assert_allclose(pred, dv, rtol=0, atol=0.03 * np.max(np.abs(dv)))
    tgt = net.targets(np.array([1, 0, 1, 0]))
    assert_phases_agree(biased, x, tgt, atol=1e-6)


@pytest.mark.ngspice
def test_input_bias_currents_reach_ngspice(rng: np.random.Generator) -> None:
    """The exported netlist carries the bias-current sources: ngspice's operating point equals
    the layer-wise solver's within 1e-6 V with them (and differs from the unbiased one)."""
    net = _net()
    biased, _, _ = _biased(net, rng)
    x = rng.random((2, 3))
    spice = biased.solve(x, solver="ngspice")
    fast = biased.relax(x, tol=1e-12)
    plain = net.relax(x, tol=1e-12)
    for a_, b_, c_ in zip(spice.layers, fast.layers, plain.layers, strict=True):
        np.testing.assert_allclose(a_, b_, rtol=0, atol=1e-6)
        assert np.max(np.abs(b_ - c_)) > 1e-4


def test_mna_solver_agrees_with_layerwise(rng: np.random.Generator) -> None:
    """The mna solver on build_circuit() vs the layer-wise solver, all phases, 1e-6 V."""
    net = _net()
    x = rng.random((2, 3))
    tgt = net.targets(np.array([1, 0]))
    assert_phases_agree(net, x, tgt, atol=1e-6)
    with pytest.raises(ParameterError, match="solver"):
        net.solve(x, solver="hspice")


def test_compiled_mna_solver_follows_weight_and_beta_changes(rng: np.random.Generator) -> None:
    """solver="mna" compiles each phase's circuit once and alters it in place.

    Reference: the general engine on a freshly built circuit per sample
    (``operating_point(build_circuit(x_i, ...))``: its own compile and full Newton) after new
    conductances and a new beta; every node within 1e-10 V (both Newtons converge to 1e-10
    relative updates). Left at the old conductances it is off by ~0.1 V, at the old beta by
    ~1e-4 V.
    """
    from thermolearn.circuit import operating_point

    net = _net()
    x = rng.random((3, 3))
    tgt = net.targets(np.array([1, 0, 1]))
    b = net.params.beta
    for beta in (0.0, b, -b):
        net.solve(x, beta=beta, target=None if beta == 0.0 else tgt, solver="mna")  # compile
    p = net.params
    net.set_conductances([rng.uniform(p.g_min, p.g_max, size=w.shape) for w in net.weights])
    for beta in (0.0, 0.5 * b, -0.5 * b):
        tg = None if beta == 0.0 else tgt
        got = net.solve(x, beta=beta, target=tg, solver="mna")
        assert str(got.meta["mna_method"]).startswith("batched")
        for i in range(3):
            c = net.build_circuit(x[i], beta=beta, target=None if tg is None else tg[i])
            op = operating_point(c)
            for layer, names in zip(got.layers, _layer_names(net), strict=True):
                ref = np.array([op.v(n) for n in names])
                np.testing.assert_allclose(layer[i], ref, rtol=0, atol=1e-10)


def _layer_names(net: EPCircuit) -> list[list[str]]:
    names = net.node_names()
    out, k = [], 0
    for n in net.params.layer_sizes[1:]:
        out.append(names[k : k + n])
        k += n
    return out


def test_centred_gradient_matches_finite_difference_of_cost(rng: np.random.Generator) -> None:
    """EP on the circuit: centred estimate vs central differences of C(G) at small beta."""
    p = EPCircuitParams(
        layer_sizes=(3, 4, 2),
        input_amplitude=10.0,
        gain=2.0,
        v_up=-0.45,
        v_down=0.45,
        beta=1e-7,
        tol=1e-13,
    )
    net = EPCircuit(p, rng=np.random.default_rng(1))
    x = rng.random((4, 3))
    y = np.array([0, 1, 1, 0])
    g, _ = net.gradients(x, y)
    fd = []
    for k in range(len(net.weights)):
        for idx in [(0, 0), (1, 1), (3, 0), (-1, 1), (2, 1)]:
            fd.append((g[k][idx], central_difference(net, x, y, k, idx, 1e-6)))
    a, b = np.array(fd).T
    assert float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) > 0.999
    np.testing.assert_allclose(a, b, rtol=0.02, atol=1e-3 * np.max(np.abs(b)))


def test_xor_learned_on_python_engine() -> None:
    from thermolearn.experiments.ep_train import default_config, run_training

    res = run_training(default_config("xor", seed=1), None, progress=False)
    assert res.metrics["test_accuracy"] == 1.0


def test_pulsed_device_bounds_levels_and_noise(rng: np.random.Generator) -> None:
    dev = PulsedDevice(
        PulsedDeviceParams(levels=64, c2c_noise=0.0, max_pulses=1000, pulse_policy="open-loop"),
        w_min=0.01,
    )
    w = np.full(10000, 0.505)
    # one-level request at mid-range -> exactly one pulse -> a step of one level (soft bounds)
    w1, e, n = dev.apply(w, np.full_like(w, dev.step), rng)
    assert n == 10000 and e > 0
    np.testing.assert_allclose(w1 - w, dev.step * 2 * (1 - 0.505) / 0.99, rtol=1e-12)
    # saturation: many pulses never leave [w_min, 1]
    w2, _, _ = dev.apply(w, np.full_like(w, 100.0), rng)
    assert np.all(w2 <= 1.0) and np.all(w2 > 0.99)
    w3, _, _ = dev.apply(w, np.full_like(w, -100.0), rng)
    assert np.all(w3 >= 0.01) and np.all(w3 < 0.02)
    # stochastic rounding is unbiased: 0.3 level -> mean 0.3 pulses
    _, _, n = dev.apply(w, np.full_like(w, 0.3 * dev.step), rng)
    assert abs(n / 10000 - 0.3) < 0.02
    # cycle-to-cycle noise: std = c2c * step * sqrt(n) (relative tolerance 5 %, 10^4 samples)
    noisy = PulsedDevice(
        PulsedDeviceParams(levels=64, c2c_noise=0.02, max_pulses=1000, pulse_policy="open-loop"),
        w_min=0.01,
    )
    w4, _, _ = noisy.apply(w, np.full_like(w, 4 * noisy.step), rng)
    clean, _, _ = dev.apply(w, np.full_like(w, 4 * dev.step), rng)
    assert np.std(w4 - clean) == pytest.approx(0.02 * noisy.step * 2.0, rel=0.05)


def test_state_aware_pulses_realise_the_requested_update(rng: np.random.Generator) -> None:
    """Inverting the soft-bounds response: mean realised Δw = requested Δw (2 %), any state."""
    dev = PulsedDevice(PulsedDeviceParams(c2c_noise=0.02, max_pulses=1000), w_min=0.01)
    naive = PulsedDevice(
        PulsedDeviceParams(c2c_noise=0.02, max_pulses=1000, pulse_policy="open-loop"), 0.01
    )
    for w0 in (0.9, 0.2):
        w = np.full(20000, w0)
        for req in (0.01, -0.01):
            got = float(np.mean(dev.apply(w, np.full_like(w, req), rng)[0] - w))
            assert got == pytest.approx(req, rel=0.02)
    # the open-loop controller is biased towards the symmetry point (here: too small a step up)
    w = np.full(20000, 0.9)
    assert float(np.mean(naive.apply(w, np.full_like(w, 0.01), rng)[0] - w)) < 0.5 * 0.01


def test_bad_inputs_raise_before_work() -> None:
    with pytest.raises(ParameterError, match="beta"):
        EPCircuitParams(layer_sizes=(2, 3, 2), beta=0.0)
    with pytest.raises(ParameterError, match="beta"):
        EPCircuitParams(layer_sizes=(2, 3, 2), beta=-1e-5)
    with pytest.raises(ParameterError, match="layer_sizes"):
        EPCircuitParams(layer_sizes=(2, 2))
    with pytest.raises(ParameterError, match="g_min"):
        EPCircuitParams(layer_sizes=(2, 3, 2), g_min=1e-4, g_max=1e-5)
    with pytest.raises(ParameterError, match="levels"):
        PulsedDeviceParams(levels=1)
    net = _net()
    with pytest.raises(ParameterError, match="shape"):
        net.free(np.zeros((2, 4)))
    with pytest.raises(ParameterError, match="finite"):
        net.free(np.array([[0.0, np.nan, 1.0]]))
    with pytest.raises(ParameterError, match="labels"):
        net.gradients(np.zeros((2, 3)), np.array([0, 2]))
    with pytest.raises(ParameterError, match="integer"):
        net.gradients(np.zeros((2, 3)), np.array([0.0, 1.0]))

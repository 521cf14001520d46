"""Compile once, update in place (:mod:`thermolearn.circuit.mna.stamped`).

Reference: the engine's own operating point (:func:`thermolearn.circuit.operating_point`) of a
freshly built circuit with the same values — an independent compile, assembly and full
Newton. Tolerances: 1e-12 V on node voltages (both converge to 1e-10 relative updates, then
agree to rounding), KCL residual <= 1e-12 A; the reduced Newton's iteration count equals the
full Newton's (same companion models and limiting).
"""

from __future__ import annotations

import numpy as np
import pytest

from thermolearn.circuit import Circuit, operating_point
from thermolearn.circuit.mna.stamped import compile_circuit
from thermolearn.devices import DiodeParams
from thermolearn.errors import ParameterError


def _diode_net(r: np.ndarray, v_in: tuple[float, float], gain: float = 2.0) -> Circuit:
    """Two driven inputs, a resistive layer into 3 hidden nodes clamped by diodes to rails,
    a VCVS amplifier and a CCCS feedback (the EP circuit's building blocks)."""
    dp = DiodeParams(i_s=1e-12, n=1.5, r_s=0.0, temperature=300.0)
    c = Circuit("diode net")
    c.add_vsource("vx0", "x0", "0", dc=v_in[0])
    c.add_vsource("vx1", "x1", "0", dc=v_in[1])
    c.add_vsource("vup", "up", "0", dc=0.4)
    c.add_vsource("vdn", "dn", "0", dc=-0.4)
    for j in range(3):
        for i in range(2):
            c.add_resistor(f"r{i}{j}", f"x{i}", f"h{j}", float(r[i, j]))
        c.add_resistor(f"rl{j}", f"h{j}", "0", 5e4)
        c.add_diode(f"du{j}", f"h{j}", "up", params=dp)
        c.add_diode(f"dd{j}", "dn", f"h{j}", params=dp)
    c.add_vcvs("e0", "e", "0", "h0", "0", gain)
    c.add_vsource("vs0", "e", "a", dc=0.0)
    c.add_resistor("ra", "a", "h2", 2e4)
    c.add_cccs("f0", "h1", "0", "vs0", 0.5)
    return c


NODES = ["h0", "h1", "h2", "a", "e"]


def _ref(r: np.ndarray, v_in: tuple[float, float], gain: float = 2.0) -> tuple[np.ndarray, int]:
    op = operating_point(_diode_net(r, v_in, gain))
    return np.array([op.v(n) for n in NODES]), op.iterations


def test_reduced_newton_matches_engine_and_updates_in_place() -> None:
    rng = np.random.default_rng(0)
    r = rng.uniform(5e3, 5e4, (2, 3))
    sc = compile_circuit(_diode_net(r, (3.0, -2.5)))
    sol = sc.operating_point(initial=np.zeros(sc.size))
    ref, ref_iters = _ref(r, (3.0, -2.5))
    assert sol.method == "reduced"
    np.testing.assert_allclose(sol.voltages(NODES)[0], ref, rtol=0, atol=1e-12)
    assert sol.iterations[0] == ref_iters
    assert sol.residual[0] <= 1e-12
    # alter: new conductances and a new gain, no rebuild
    r2 = rng.uniform(5e3, 5e4, (2, 3))
    names = [f"r{i}{j}" for i in range(2) for j in range(3)] + ["e0"]
    sc.set_values(names, np.concatenate([r2.ravel(), [3.0]]))
    sol2 = sc.operating_point()
    np.testing.assert_allclose(sol2.voltages(NODES)[0], _ref(r2, (3.0, -2.5), 3.0)[0], atol=1e-12)


def test_batched_operating_points_share_the_matrix() -> None:
    rng = np.random.default_rng(1)
    r = rng.uniform(5e3, 5e4, (2, 3))
    sc = compile_circuit(_diode_net(r, (0.0, 0.0)))
    v = rng.uniform(-1.5, 1.5, (5, 2))
    sols = sc.operating_points(["vx0", "vx1"], v)
    assert sols.z.shape == (5, sc.size) and np.all(sols.residual <= 1e-12)
    for k in range(5):
        ref, _ = _ref(r, (float(v[k, 0]), float(v[k, 1])))
        np.testing.assert_allclose(sols.voltages(NODES)[k], ref, rtol=0, atol=1e-12)
    # branch currents of V sources are unknowns too: KCL at x0 (its source feeds r00, r01)
    vx0 = sols.voltages(["x0"])[:, 0]
    i_expected = -sum((vx0 - sols.v(f"h{j}")) / r[0, j] for j in range(3))
    np.testing.assert_allclose(sols.i("vx0"), i_expected, rtol=1e-10, atol=1e-18)


def test_linear_circuit_and_ordering_reuse() -> None:
    c = Circuit("ladder")
    c.add_vsource("v1", "n0", "0", dc=1.0)
    for k in range(30):
        c.add_resistor(f"rs{k}", f"n{k}", f"n{k + 1}", 100.0 + k)
        c.add_resistor(f"rp{k}", f"n{k + 1}", "0", 1e3 + 10 * k)
    c.add_isource("i1", "0", "n15", dc=1e-4)
    sc = compile_circuit(c)
    first = sc.operating_point()
    assert first.method == "linear" and first.iterations[0] == 0
    ref = operating_point(c)
    np.testing.assert_allclose(first.v("n30"), ref.v("n30"), rtol=1e-12)
    # new values: the factor reuses the first ordering (pre-permuted columns)
    sc.set_values(["rp29", "i1"], [50.0, 2e-4])
    again = sc.operating_point()
    assert sc._setup is not None and sc._setup["fac"][0] == "perm"
    c2 = Circuit("ladder2")
    for e in c.elements:
        if e.name == "rp29":
            c2.add_resistor(e.name, e.p, e.n, 50.0)
        elif e.name == "i1":
            c2.add_isource(e.name, e.p, e.n, dc=2e-4)
        elif e.kind == "R":
            c2.add_resistor(e.name, e.p, e.n, e.value)
        else:
            c2.add_vsource(e.name, e.p, e.n, dc=e.value)
    ref2 = operating_point(c2)
    for nd in ("n1", "n15", "n30"):
        np.testing.assert_allclose(again.v(nd), ref2.v(nd), rtol=1e-12)
    assert again.residual[0] <= 1e-15


def test_bad_values_and_names_raise() -> None:
    sc = compile_circuit(_diode_net(np.full((2, 3), 1e4), (0.1, 0.2)))
    with pytest.raises(ParameterError, match="no element 'nope'"):
        sc.set_values(["nope"], [1.0])
    with pytest.raises(ParameterError, match="'r00'"):
        sc.set_values(["r00"], [0.0])
    with pytest.raises(ParameterError, match="independent sources only"):
        sc.operating_points(["r00"], [[1e3]])
    sol = sc.operating_point()  # the rejected values were not kept
    assert np.isfinite(sol.z).all()


def test_warm_start_from_another_circuits_solution_matches_by_name() -> None:
    """A nudged circuit (extra source and resistor) starts from the free phase's solution."""
    r = np.full((2, 3), 2e4)
    free = compile_circuit(_diode_net(r, (2.0, 1.0)))
    nudged_c = _diode_net(r, (2.0, 1.0))
    nudged_c.add_vsource("vt", "t", "0", dc=0.1)
    nudged_c.add_resistor("rn", "t", "h2", 1e4)
    nudged = compile_circuit(nudged_c)
    f = free.operating_point()
    z0 = nudged._initial(f)
    for nd in NODES:
        assert z0[0, nudged.comp.index[nd]] == f.v(nd)[0]
    assert z0[0, nudged.comp.index["t"]] == 0.0  # not in the free circuit
    sol = nudged.operating_point(initial=f)
    ref = operating_point(nudged_c)
    np.testing.assert_allclose(sol.voltages(NODES)[0], [ref.v(n) for n in NODES], atol=1e-12)


def test_batched_newton_matches_the_per_sample_newton() -> None:
    """One Newton over all samples (operating_points, batched) vs one Newton per sample.

    Reference: the per-sample reduced Newton (``batched=False``; itself held to the engine's
    full Newton above), every sample from the same zero start. Tolerances: 1e-12 V on node
    voltages, 1e-9 relative on branch currents, KCL residual <= 1e-12 A, and the same
    iteration count per sample (same companion models, limiting and test). The batch spans
    diodes off, one rail conducting and the other (inputs up to ±3 V against ±0.4 V rails).
    ``method == "batched"``: no sample fell back to the per-sample Newton.
    """
    rng = np.random.default_rng(3)
    r = rng.uniform(5e3, 5e4, (2, 3))
    sc = compile_circuit(_diode_net(r, (0.0, 0.0)))
    v = rng.uniform(-3.0, 3.0, (24, 2))
    z0 = np.zeros((24, sc.size))
    ref = sc.operating_points(["vx0", "vx1"], v, initial=z0, batched=False)
    sol = sc.operating_points(["vx0", "vx1"], v, initial=z0)
    assert sol.method == "batched" and ref.method == "reduced"
    n = sc.n
    np.testing.assert_allclose(sol.z[:, :n], ref.z[:, :n], rtol=0, atol=1e-12)
    np.testing.assert_allclose(sol.z[:, n:], ref.z[:, n:], rtol=1e-9, atol=1e-18)
    np.testing.assert_array_equal(sol.iterations, ref.iterations)
    assert np.all(sol.residual <= 1e-12)
    # the diodes matter in this batch: some node is clamped near a rail
    assert np.max(np.abs(sol.voltages(["h0", "h1", "h2"]))) > 0.3


def test_batched_newton_starts_each_sample_from_its_own_initial() -> None:
    """Warm start: started at its own solution, every sample converges in one iteration.

    Reference: the batch's own cold-start solution; a start that were ignored, shared or
    taken from another sample (a stale warm start) needs more iterations. The nudged
    circuit started from the free circuit's solutions (matched by name) agrees with its own
    cold start to 1e-12 V in fewer total iterations.
    """
    rng = np.random.default_rng(4)
    r = rng.uniform(5e3, 5e4, (2, 3))
    sc = compile_circuit(_diode_net(r, (0.0, 0.0)))
    v = rng.uniform(-3.0, 3.0, (12, 2))
    cold = sc.operating_points(["vx0", "vx1"], v, initial=np.zeros(sc.size))
    assert np.all(cold.iterations > 2)
    warm = sc.operating_points(["vx0", "vx1"], v, initial=cold.z)
    assert warm.method == "batched"
    np.testing.assert_array_equal(warm.iterations, np.ones(12, dtype=np.int64))
    np.testing.assert_allclose(warm.z[:, : sc.n], cold.z[:, : sc.n], rtol=0, atol=1e-12)
    nudged_c = _diode_net(r, (0.0, 0.0))
    nudged_c.add_vsource("vt", "t", "0", dc=0.1)
    nudged_c.add_resistor("rn", "t", "h2", 1e6)
    nudged = compile_circuit(nudged_c)
    from_free = nudged.operating_points(["vx0", "vx1"], v, initial=cold)
    from_zero = nudged.operating_points(["vx0", "vx1"], v, initial=np.zeros(nudged.size))
    np.testing.assert_allclose(
        from_free.voltages(NODES), from_zero.voltages(NODES), rtol=0, atol=1e-12
    )
    assert from_free.iterations.sum() < from_zero.iterations.sum()


def test_grounded_sources_leave_the_factored_system_exactly() -> None:
    """Nodes pinned by grounded V sources go to the right-hand side; currents recovered.

    Reference: the engine's operating point of the same circuit (full MNA, all unknowns
    factored). A source pinning its negative terminal (p = ground), one whose current
    controls a CCCS (kept in the system) and a diode on a pinned node; every node voltage
    and branch current within 1e-12 (V, relative for currents), KCL residual <= 1e-12 A.
    """
    dp = DiodeParams(i_s=1e-12, n=1.5, r_s=0.0, temperature=300.0)
    c = Circuit("pinned")
    c.add_vsource("va", "a", "0", dc=1.2)
    c.add_vsource("vb", "0", "b", dc=0.7)  # V(b) = -0.7
    c.add_vsource("vc", "cc", "0", dc=0.3)  # its current controls f1: stays in the system
    c.add_resistor("r1", "a", "m", 1e3)
    c.add_resistor("r2", "b", "m", 2e3)
    c.add_resistor("r3", "m", "0", 5e3)
    c.add_resistor("r4", "cc", "m", 4e3)
    c.add_cccs("f1", "m", "0", "vc", 0.5)
    c.add_diode("d1", "m", "b", params=dp)
    sc = compile_circuit(c)
    assert sc._elim and set(sc._p_idx.tolist()) == {sc.comp.index["a"], sc.comp.index["b"]}
    ref = operating_point(c)
    for sol in (sc.operating_point(), sc.operating_points(["va"], [[1.2]])):
        for nd in ("a", "b", "m", "cc"):
            np.testing.assert_allclose(sol.v(nd), ref.v(nd), rtol=0, atol=1e-12)
        for src in ("va", "vb", "vc"):
            np.testing.assert_allclose(sol.i(src), ref.i(src), rtol=1e-12, atol=1e-18)
        assert sol.residual[0] <= 1e-12


def _layered_net(v_in: np.ndarray, n_h: int = 6, seed: int = 5) -> Circuit:
    """Inputs -> n_h diode-clamped hidden nodes -> amplifiers (VCVS, sense source, mirroring
    CCCS) -> two output nodes: the EP network's shape, where the outputs are the hubs that
    separate the hidden nodes."""
    rng = np.random.default_rng(seed)
    dp = DiodeParams(i_s=1e-12, n=1.0, r_s=10.0, temperature=300.0)
    c = Circuit("layered")
    for i, v in enumerate(v_in):
        c.add_vsource(f"vx{i}", f"x{i}", "0", dc=float(v))
    c.add_vsource("vup", "up", "0", dc=0.3)
    c.add_vsource("vdn", "dn", "0", dc=-0.3)
    for j in range(n_h):
        for i in range(len(v_in)):
            c.add_resistor(f"r{i}_{j}", f"x{i}", f"h{j}", float(rng.uniform(1e3, 1e4)))
        c.add_diode(f"du{j}", f"h{j}", "up", params=dp)
        c.add_diode(f"dd{j}", "dn", f"h{j}", params=dp)
        c.add_vcvs(f"e{j}", f"e{j}", "0", f"h{j}", "0", 2.0)
        c.add_vsource(f"vs{j}", f"e{j}", f"a{j}", dc=0.0)
        c.add_cccs(f"f{j}", f"h{j}", "0", f"vs{j}", 2.0)
        for k in range(2):
            c.add_resistor(f"q{j}_{k}", f"a{j}", f"o{k}", float(rng.uniform(1e3, 1e4)))
    for k in range(2):
        c.add_resistor(f"ro{k}", f"o{k}", "0", 2e3)
    return c


def test_hub_separated_newton_matches_the_per_sample_newton() -> None:
    """The batched Newton on an arrow system (free nodes separated by two hub nodes).

    The hub search finds the two output nodes; the reduced matrix on hidden + output nodes
    then has a diagonal hidden block, and each companion system is solved by division on
    the hidden nodes and a 2 x 2 Schur complement on the hubs. Reference: the per-sample
    reduced Newton (dense |N| x |N|, ``batched=False``) from the same zero start; 1e-12 V,
    the same iteration counts, KCL residual <= 1e-12 A; and the engine's full Newton for
    one sample.
    """
    rng = np.random.default_rng(6)
    v = rng.uniform(-2.0, 2.0, (16, 3))
    c = _layered_net(v[0])
    sc = compile_circuit(c)
    names = ["vx0", "vx1", "vx2"]
    z0 = np.zeros((16, sc.size))
    sol = sc.operating_points(names, v, initial=z0)
    assert sol.method == "batched" and sc._setup is not None and "hub" in sc._setup
    assert sorted(sc.comp.node_name(int(h)) for h in sc._structure()["hubs"]) == ["o0", "o1"]
    ref = sc.operating_points(names, v, initial=z0, batched=False)
    n = sc.n
    np.testing.assert_allclose(sol.z[:, :n], ref.z[:, :n], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(sol.iterations, ref.iterations)
    assert np.all(sol.residual <= 1e-12)
    hidden = [f"h{j}" for j in range(6)]
    assert np.max(np.abs(sol.voltages(hidden))) > 0.25  # some diodes conduct
    op = operating_point(c)
    np.testing.assert_allclose(
        sol.voltages(hidden + ["o0", "o1"])[0],
        [op.v(nd) for nd in hidden + ["o0", "o1"]],
        rtol=0,
        atol=1e-12,
    )


def test_an_extension_at_the_hubs_shares_the_base_factor_exactly() -> None:
    """compile_circuit(nudged, base=free): elements added on the hubs reuse free's factor.

    Reference: the same nudged circuit compiled on its own (own factorisation, W and
    reduction). A conductance and a negative VCCS to target sources at the two hub (output)
    nodes; while the shared resistors have the same values the nudged circuit uses the base
    factor with the Woodbury correction on the hubs ("derived"), and every node agrees to
    1e-12 V, branch currents to 1e-9 relative; the base's last solve is reused for inputs
    that differ from it on the hubs only, and not for other inputs. A shared resistor changed
    in the nudged circuit only (not a hub-only difference) makes it factor its own matrix,
    still exact.
    """
    rng = np.random.default_rng(7)
    v = rng.uniform(-2.0, 2.0, (10, 3))
    names = ["vx0", "vx1", "vx2", "vt0", "vt1"]
    vals = np.concatenate([v, rng.uniform(-0.2, 0.2, (10, 2))], axis=1)

    def nudged(gain: float | None) -> Circuit:
        c = _layered_net(v[0])
        for k in range(2):
            c.add_vsource(f"vt{k}", f"t{k}", "0", dc=0.0)
            if gain is None:
                c.add_resistor(f"rn{k}", f"t{k}", f"o{k}", 3e3)
            else:
                c.add_vccs(f"gn{k}", f"t{k}", f"o{k}", f"t{k}", f"o{k}", gain)
        return c

    free = compile_circuit(_layered_net(v[0]))
    free.operating_points(["vx0", "vx1", "vx2"], v)  # factors the base
    for gain in (None, -1e-4):
        own = compile_circuit(nudged(gain))
        ext = compile_circuit(nudged(gain), base=free)
        ref = own.operating_points(names, vals)
        got = ext.operating_points(names, vals)
        assert ext._setup is not None and ext._setup["fac"][0] == "derived"
        assert ext._setup["hub"]["w_h"] is None  # base's reduced matrix + the hub block
        assert got.method == "batched"
        n = own.n
        np.testing.assert_allclose(got.z[:, :n], ref.z[:, :n], rtol=0, atol=1e-12)
        np.testing.assert_allclose(got.z[:, n:], ref.z[:, n:], rtol=1e-9, atol=1e-18)
        assert np.all(got.residual <= 1e-12)
        # other inputs than the base's last solve: that solve must not be reused
        vals2 = vals.copy()
        vals2[:, :3] = rng.uniform(-2.0, 2.0, (10, 3))
        ref2 = own.operating_points(names, vals2)
        got2 = ext.operating_points(names, vals2)
        np.testing.assert_allclose(got2.z[:, :n], ref2.z[:, :n], rtol=0, atol=1e-12)
        # a shared element differs: no longer an extension at the hubs, own factor
        own.set_values(["r0_0"], [2.5e3])
        ext.set_values(["r0_0"], [2.5e3])
        ref = own.operating_points(names, vals)
        got = ext.operating_points(names, vals)
        assert ext._setup["fac"][0] != "derived"
        np.testing.assert_allclose(got.z[:, :n], ref.z[:, :n], rtol=0, atol=1e-12)

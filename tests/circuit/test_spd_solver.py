"""The SPD solver layer (SuperLU / PARDISO / CG + AMG) and the crossbar's line preconditioner.

References and tolerances:
- the stencil-built CSR matrix equals the COO assembly of the same wires, cells and
  terminals (independent construction, ``np.add.at``) to 1e-15 relative;
- CG with the crossbar's line preconditioner (:class:`CrossbarLinePreconditioner`) agrees with a
  SuperLU solve of the same system to
  1e-10 V, and its certified KCL residual (<= 1e-12 A) matches the residual recomputed from an
  independent nodal balance (:meth:`CrossbarNetwork._kcl_residual`);
- the preconditioner is a symmetric positive-definite operator (required by CG): bilinear
  symmetry to 1e-12 relative;
- a CG that cannot meet the bound (one iteration allowed) falls back to the direct solve and
  says so; PARDISO (where installed) and dense Cholesky agree with SuperLU to 1e-11 relative
  (current injected at every node: volts, condition number ~1e6).
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from thermolearn.circuit.mna.spd import AMGPreconditioner, SPDSolver
from thermolearn.crossbar.array_solver import CrossbarLinePreconditioner, CrossbarNetwork
from thermolearn.errors import ParameterError

pytest.importorskip("pyamg")


def _network(m: int, n: int, rng: np.random.Generator, **kw: object) -> CrossbarNetwork:
    g = rng.uniform(1e-6, 1e-4, (m, n))
    g[0, 0] = 0.0  # a stuck-off cell
    rr = np.full(m, 15.0)
    cr = np.zeros(n)
    cr[1] = np.inf  # one floating column line
    return CrossbarNetwork(g, r_wire=2.0, row_r_term=rr, col_r_term=cr, **kw)  # type: ignore[arg-type]


def _coo_reference(net: CrossbarNetwork) -> sp.csr_matrix:
    ca, cb = net.rnode.ravel(), net.cnode.ravel()
    a = np.concatenate([net.wire_a, ca])
    b = np.concatenate([net.wire_b, cb])
    g = np.concatenate([net.wire_g, net.g_cell.ravel()])
    diag = np.zeros(net.size)
    np.add.at(diag, a, g)
    np.add.at(diag, b, g)
    np.add.at(diag, net.end_node[net.term_edge], net.term_g)
    rows = np.concatenate([a, b, np.arange(net.size)])
    cols = np.concatenate([b, a, np.arange(net.size)])
    vals = np.concatenate([-g, -g, diag])
    return sp.csr_matrix((vals, (rows, cols)), shape=(net.size, net.size))


@pytest.mark.parametrize("shape", [(7, 9), (1, 6), (6, 1)])
def test_stencil_matrix_equals_coo_assembly(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    net = (
        _network(*shape, rng)
        if min(shape) > 1
        else CrossbarNetwork(
            rng.uniform(1e-6, 1e-4, shape), r_wire=1.5, row_r_term=10.0, col_r_term=0.0
        )
    )
    ref = _coo_reference(net)
    scale = abs(ref).max()
    assert abs(net.matrix - ref).max() <= 1e-15 * scale
    m, n = shape
    q = np.arange(m * n)
    order = np.concatenate([q, m * n + (q % m) * n + q // m])
    chain = net._grid_matrix(net.g_cell, chain_order=True)
    assert abs(chain - ref[order][:, order]).max() <= 1e-15 * scale


def test_line_preconditioner_is_symmetric_positive_definite() -> None:
    rng = np.random.default_rng(2)
    net = _network(12, 10, rng)
    m, n = net.m, net.n
    pre = CrossbarLinePreconditioner(
        m, n, net.r_wire, net._grid_matrix(net.g_cell, chain_order=True)
    )
    x, y = rng.standard_normal((2, net.size))
    mx, my = pre.apply(x), pre.apply(y)
    assert abs(y @ mx - x @ my) <= 1e-12 * abs(x @ mx)
    assert x @ mx > 0 and y @ my > 0
    # batched application equals column by column
    both = pre.apply(np.stack([x, y], axis=1))
    np.testing.assert_array_equal(both[:, 1], my)


def test_cg_line_preconditioner_matches_superlu_and_certifies_kcl() -> None:
    rng = np.random.default_rng(3)
    u_row = rng.uniform(-0.2, 0.3, (3, 30))
    u_col = rng.uniform(-0.05, 0.05, (3, 25))
    direct = _network(30, 25, np.random.default_rng(4), solver="splu")
    cg = _network(30, 25, np.random.default_rng(4), solver="cg")
    ref = direct.solve(u_row, u_col)
    sol = cg.solve(u_row, u_col)
    rep = cg.last_report
    assert rep is not None and rep.method == "cg" and rep.certified
    assert np.all(rep.iterations > 0) and not np.any(rep.fallback)
    np.testing.assert_allclose(sol.v_row, ref.v_row, rtol=0, atol=1e-10)
    np.testing.assert_allclose(sol.v_col, ref.v_col, rtol=0, atol=1e-10)
    assert np.all(sol.kcl_residual <= 1e-12)
    # the reported residual is the independent nodal balance at the solution
    for k in range(3):
        v = np.concatenate([sol.v_row[k].ravel(), sol.v_col[k].ravel()])
        u = np.concatenate([u_row[k], u_col[k]])
        i_cell = cg.g_cell.ravel() * (sol.v_row[k] - sol.v_col[k]).ravel()
        res = cg._kcl_residual(u, v, i_cell)[cg.free_nodes]
        assert abs(np.max(np.abs(res)) - sol.kcl_residual[k]) <= 1e-15


def test_cg_that_misses_the_bound_falls_back_to_direct() -> None:
    rng = np.random.default_rng(5)
    net = _network(20, 20, rng, solver="splu")
    a = net.matrix
    b = rng.uniform(0, 1e-3, (a.shape[0], 2))
    solver = SPDSolver(a, method="cg", maxiter=1)
    x, rep = solver.solve(b)
    assert rep.method == "cg+splu" and np.all(rep.fallback) and rep.certified
    np.testing.assert_allclose(rep.residual, np.max(np.abs(b - a @ x), axis=0), rtol=0, atol=0)
    np.testing.assert_allclose(x, spla.splu(a.tocsc()).solve(b), rtol=1e-11, atol=0)


def test_generic_amg_cg_on_a_grid_laplacian_and_reproducibility() -> None:
    """Poisson on a 60 x 60 grid with grounded boundary: CG + smoothed aggregation."""
    n = 60
    t = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n))
    a = (sp.kron(sp.eye(n), t) + sp.kron(t, sp.eye(n))).tocsr() * 1e-3  # 1 kohm grid
    b = np.random.default_rng(6).uniform(0, 1e-6, n * n)
    saved = np.random.get_state()  # noqa: NPY002 - the legacy global RNG pyamg draws from
    try:
        np.random.seed(1)  # noqa: NPY002
        x1, rep = SPDSolver(a, method="cg").solve(b)
        np.random.seed(2)  # noqa: NPY002 - a different caller state: the same hierarchy
        state = np.random.get_state()  # noqa: NPY002
        x2, _ = SPDSolver(a, method="cg").solve(b)
        after = np.random.get_state()  # noqa: NPY002
    finally:
        np.random.set_state(saved)  # noqa: NPY002
    assert rep.method == "cg" and rep.certified and rep.relative_residual[0] <= 64 * 2.3e-16
    np.testing.assert_array_equal(x1, x2)  # bit for bit
    assert after[2] == state[2] and np.array_equal(after[1], state[1])  # global RNG untouched
    np.testing.assert_allclose(x1, spla.spsolve(a.tocsc(), b), rtol=1e-10, atol=0)
    assert isinstance(AMGPreconditioner(a).operator_complexity, float)


def test_direct_methods_agree_and_bad_inputs_raise() -> None:
    rng = np.random.default_rng(7)
    net = _network(15, 12, rng)
    a = net.matrix
    b = rng.uniform(0, 1e-3, a.shape[0])
    x_lu, rep = SPDSolver(a, method="splu").solve(b)
    assert rep.method == "splu" and rep.certified and rep.iterations[0] == 0
    x_ch, _ = SPDSolver(a, method="cholesky").solve(b)
    np.testing.assert_allclose(x_ch, x_lu, rtol=1e-11, atol=0)
    if importlib.util.find_spec("pypardiso") is not None:
        x_pd, rep_pd = SPDSolver(a, method="pardiso").solve(b)
        assert rep_pd.method == "pardiso"
        np.testing.assert_allclose(x_pd, x_lu, rtol=1e-11, atol=0)
    with pytest.raises(ParameterError, match="'method'"):
        SPDSolver(a, method="gmres")
    with pytest.raises(ParameterError, match="rows"):
        SPDSolver(a, method="splu").solve(np.ones(3))
    with pytest.raises(ParameterError, match="not positive definite"):
        SPDSolver(sp.csr_matrix(-np.eye(3)), method="cholesky")


def _resistive_circuit(n: int, rng: np.random.Generator):  # noqa: ANN202
    from thermolearn.circuit import Circuit

    c = Circuit("grid")
    for i in range(n):
        # grounded sources of both polarities (p at the node, or p at ground)
        if i % 2:
            c.add_vsource(f"v{i}", f"d{i}", "0", dc=float(rng.uniform(0, 0.3)))
        else:
            c.add_vsource(f"v{i}", "0", f"d{i}", dc=float(rng.uniform(0, 0.3)))
        c.add_resistor(f"rd{i}", f"d{i}", f"r{i}_0", 10.0)
    for i in range(n):
        for j in range(n):
            if j + 1 < n:
                c.add_resistor(f"rr{i}_{j}", f"r{i}_{j}", f"r{i}_{j + 1}", 2.0)
            if i + 1 < n:
                c.add_resistor(f"rc{i}_{j}", f"c{i}_{j}", f"c{i + 1}_{j}", 2.0)
            c.add_resistor(f"g{i}_{j}", f"r{i}_{j}", f"c{i}_{j}", float(rng.uniform(1e4, 1e6)))
        c.add_resistor(f"rg{i}", f"c{n - 1}_{i}", "0", 2.0)
    c.add_isource("i1", "0", "c0_1", dc=1e-5)
    return c


def test_nodal_solve_matches_the_mna_lu() -> None:
    """Grounded V sources folded into the SPD nodal system (reference: SuperLU of the MNA
    matrix): voltages and source branch currents to 1e-12 relative, whether the nodal system
    comes from the MNA matrix or from the conductances; the element-current KCL residual
    equals the MNA residual to 1e-15 A."""
    from thermolearn.circuit.elements import element_current_array, kcl_residual
    from thermolearn.circuit.mna.compile import CompiledCircuit
    from thermolearn.circuit.mna.spd import nodal_solve

    c = _resistive_circuit(12, np.random.default_rng(8))
    c.add_resistor("rpar", "r0_0", "r0_1", 7.0)  # a parallel resistor (summed stamps)
    c.add_resistor("rgnd", "r3_3", "0", 1e5)  # and one to ground
    comp = CompiledCircuit(c)
    a, b = comp.matrix(), comp.source_rhs(None)
    ref = spla.splu(a.tocsc()).solve(b)
    # from the MNA matrix, and assembled from the conductances without it
    for given in (a, None):
        z = nodal_solve(comp, given, b)
        assert z is not None
        np.testing.assert_allclose(z, ref, rtol=1e-12, atol=1e-15)
    # the KCL residual from the element currents is the MNA residual (to rounding)
    res = kcl_residual(comp, element_current_array(comp, z))
    mna = (a @ z - b)[: comp.n]
    assert np.max(np.abs(res - mna)) <= 1e-15 and np.max(np.abs(res)) <= 1e-14
    # an amplifier breaks the symmetric nodal form: not taken
    c.add_vcvs("e1", "x", "0", "r0_0", "0", 2.0)
    c.add_resistor("rx", "x", "0", 1e3)
    comp2 = CompiledCircuit(c)
    assert nodal_solve(comp2, comp2.matrix(), comp2.source_rhs(None)) is None
    # so does a VCCS (no branch unknown, but an unsymmetric stamp)
    c3 = _resistive_circuit(4, np.random.default_rng(9))
    c3.add_vccs("g1", "c0_0", "0", "r1_1", "0", 1e-4)
    comp3 = CompiledCircuit(c3)
    assert nodal_solve(comp3, comp3.matrix(), comp3.source_rhs(None)) is None


def test_operating_point_of_a_large_resistive_circuit_uses_the_nodal_spd_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The engine's operating point through the SPD nodal path (forced by a zero size limit)
    equals the MNA LU path to 1e-12 relative, currents included."""
    import thermolearn.circuit.mna.dc as dc
    import thermolearn.circuit.mna.spd as spd
    from thermolearn.circuit import operating_point
    from thermolearn.circuit.mna.compile import clear_compiled

    c = _resistive_circuit(10, np.random.default_rng(10))
    ref = operating_point(c)
    calls: list[int] = []
    real = spd.nodal_solve

    def spy(*args: object) -> object:
        calls.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(dc, "SPD_LIMIT", 0)
    monkeypatch.setattr(dc, "nodal_solve", spy)
    clear_compiled(c)
    op = operating_point(c)
    assert calls
    for nd in ("r0_0", "c9_9", "d3"):
        np.testing.assert_allclose(op.v(nd), ref.v(nd), rtol=1e-12)
    for name in ("v0", "v1", "g5_5"):
        np.testing.assert_allclose(op.i(name), ref.i(name), rtol=1e-10, atol=1e-18)
    assert op.residual <= 1e-12


def test_operating_point_of_a_crossbar_circuit_takes_the_line_preconditioner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Forced through CG (all size limits 0), the nodal system of a crossbar circuit finds
    its lines (:class:`LinePreconditioner`); voltages agree with SuperLU of the MNA matrix
    to 1e-9 V, the certified KCL residual is <= 1e-12 A."""
    import thermolearn.circuit.mna.dc as dc
    import thermolearn.circuit.mna.spd as spd
    from thermolearn.circuit import operating_point
    from thermolearn.circuit.mna.compile import CompiledCircuit

    c = _resistive_circuit(14, np.random.default_rng(11))
    comp = CompiledCircuit(c)
    a, b = comp.matrix(), comp.source_rhs(None)
    ref = spla.splu(a.tocsc()).solve(b)
    used: list[int] = []
    real = spd.LinePreconditioner

    class Spy(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kw: object) -> None:
            used.append(1)
            super().__init__(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(dc, "SPD_LIMIT", 0)
    monkeypatch.setattr(spd, "DENSE_LIMIT", 0)
    monkeypatch.setattr(spd, "DIRECT_LIMIT", 0)
    monkeypatch.setattr(spd, "LinePreconditioner", Spy)
    op = operating_point(c)
    assert used and op.residual <= 1e-12
    got = np.array([op.v(nd) for nd in comp.node_names])
    np.testing.assert_allclose(got, ref[: comp.n], rtol=0, atol=1e-9)

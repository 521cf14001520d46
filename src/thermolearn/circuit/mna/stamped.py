"""Compile once, update in place: DC operating points of a circuit whose values change.

Learning changes a circuit's *values* (conductances, source voltages, device states), not its
topology. :func:`compile_circuit` turns a :class:`~thermolearn.circuit.Circuit` into its MNA
stamps once: every matrix entry and right-hand-side entry is an index into a fixed CSC
sparsity pattern, weighted by one element value. :meth:`StampedCircuit.set_values` (SPICE's
``alter``) then updates values without touching the graph, and the matrix is re-assembled by
one ``bincount`` over the stamps.

Nonlinear two-terminal elements (diodes, selectors, nonlinear memristors) touch only a few
unknowns ``N`` (in the EP network: the hidden nodes and the two bias rails). The operating
point is then found by Newton on those unknowns alone: with the linear part ``A`` factored
once per set of values (SuperLU, fill-reducing ordering computed once per sparsity pattern
and reused), ``W = A⁻¹ E_N`` and ``S = W[N]`` (|N| × |N|), every companion system
``(A + P G Pᵀ) z = b − P i_eq`` reduces exactly to the dense |N| × |N| system
``(I + S G_N) z_N = y_N − S c_N`` with ``y = A⁻¹ b``, and ``z = y − W (G_N z_N + c_N)``. The
iterates are those of the engine's full Newton (:func:`~thermolearn.circuit.mna.dc.newton`:
same companion models, same SPICE junction limiting, same convergence test), at a cost per
iteration of a small dense solve instead of a sparse factorisation. Nodes pinned by a
grounded independent voltage source are known (the source value): they and their branch
currents leave the factored system (``A_KK z_K = b_K − A_KP v_P``, the currents from their
KCL rows afterwards), which in the EP network removes the input lines' ~16k stamps from the
factor.

Operating points of many samples that share the matrix (different source values) share
``A``'s factor and ``W``, and run *one batched Newton*: with ``F`` the nonlinear nodes that are
not pinned and ``C = S_FF⁻¹``, every sample's companion system is the dense |F| x |F| system
``(C + D_F diag(g) D_Fᵀ) z_F = C y_F − D_F (g v_P + i_eq)``, solved for all samples by one
batched LU (numpy), with per-sample junction limiting and the same convergence test on every
unknown; each sample starts from its own initial guess (e.g. the free phase's solution for a
nudged phase). A sample the batched Newton does not converge falls back to the per-sample
reduced Newton, then to the engine's general Newton. When a few unknowns H (hubs, found by
a greedy separator search on the MNA graph, at most :data:`HUB_LIMIT`) leave every free node
in its own component and each nonlinear element touches one free node, the linear part
reduced to F ∪ H has a diagonal F block: each companion system is then an arrow matrix,
solved by division on F and an |H| x |H| Schur complement (in the EP network the hubs are
the 10 output nodes, so the per-iteration solve drops from 128 x 128 to 10 x 10).

A circuit compiled with ``base=`` (another compiled circuit it extends by elements on the
base's hubs, e.g. EP's nudged circuits over the free one) reuses the base's factor and ``W``
with an exact Woodbury correction of the hub block while the shared values agree.

Circuits with B sources, or with more than :data:`REDUCED_LIMIT` nonlinear unknowns, or whose
linear part is singular on its own, fall back to the engine's general Newton (gmin and source
stepping included) on the in-place assembled matrix; so does a reduced Newton that fails.

Examples
--------
>>> from thermolearn.circuit import Circuit
>>> c = Circuit("divider")
>>> _ = c.add_vsource("V1", "in", "0", dc=2.0)
>>> _ = c.add_resistor("R1", "in", "out", 1e3)
>>> _ = c.add_resistor("R2", "out", "0", 3e3)
>>> sc = compile_circuit(c)
>>> round(float(sc.operating_point().v("out")[0]), 6)
1.5
>>> sc.set_values(["R2"], [1e3])
>>> round(float(sc.operating_point().v("out")[0]), 6)
1.0
>>> sols = sc.operating_points(["V1"], [[1.0], [4.0]])   # two samples, one factor
>>> [round(float(v), 6) for v in sols.v("out")]
[0.5, 2.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike, NDArray

from thermolearn.circuit.circuit import GROUND, Circuit
from thermolearn.circuit.elements import NonlinearStamps, limit_step, limit_step_mask
from thermolearn.circuit.mna.compile import CompiledCircuit
from thermolearn.circuit.mna.dc import NewtonOptions, solve_dc
from thermolearn.circuit.stamps import bind_state
from thermolearn.errors import ConvergenceError, NetlistError, ParameterError

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Most nonlinear unknowns for the reduced (dense |N| x |N|) Newton.
REDUCED_LIMIT = 1500

#: Most hub unknowns separating the free nonlinear nodes (see ``StampedCircuit._find_hubs``).
HUB_LIMIT = 32

# value kinds of the parameter slots
_COND = 0  # stored as ohm, stamped as 1/R
_GAIN = 1  # stamped as is (E, F, G, H gains; linear-memristor conductances)
_SRC = 2  # right-hand side (V: volts into the branch row; I: amperes out of p into n)


@dataclass(frozen=True, slots=True)
class OPSolution:
    """Operating points of a :class:`StampedCircuit` (one or many samples).

    Attributes
    ----------
    z : ndarray (B, size)
        MNA unknowns per sample: node voltages (V), then branch currents (A).
    iterations : ndarray of int (B,)
        Newton iterations per sample (0: linear circuit).
    residual : ndarray (B,)
        Largest KCL residual over the nodes (A), from the element laws at the solution.
    method : str
        ``"linear"``, ``"reduced"`` (Newton on the nonlinear unknowns, per sample),
        ``"general"`` (the engine's Newton), ``"batched"`` (one Newton over all samples) or
        ``"batched+reduced"`` / ``"batched+general"`` (some samples fell back).
    """

    z: Array
    iterations: NDArray[np.int64]
    residual: Array
    method: str
    _index: dict[str, int]
    _branch: dict[str, int]

    def v(self, node: str) -> Array:
        """Voltage of ``node`` per sample (V), shape (B,); 0 for ground."""
        key = str(node)
        if key.lower() in ("0", "gnd"):
            return np.zeros(self.z.shape[0])
        i = self._index.get(key)
        if i is None:
            raise ParameterError(f"The operating point has no node {node!r}.")
        return np.array(self.z[:, i])

    def voltages(self, nodes: Sequence[str]) -> Array:
        """Voltages of ``nodes`` per sample (V), shape (B, len(nodes))."""
        idx = []
        for nd in nodes:
            i = -1 if str(nd).lower() in ("0", "gnd") else self._index.get(str(nd), -2)
            if i == -2:
                raise ParameterError(f"The operating point has no node {nd!r}.")
            idx.append(i)
        ii = np.array(idx, dtype=np.intp)
        out = self.z[:, np.maximum(ii, 0)].copy()
        out[:, ii < 0] = 0.0
        return out

    def i(self, name: str) -> Array:
        """Branch current (A) of a V, L, E or H element per sample, shape (B,)."""
        row = self._branch.get(str(name).lower())
        if row is None:
            raise ParameterError(
                f"{name!r} has no branch current unknown (only V, L, E, H elements do)."
            )
        return np.array(self.z[:, row])


class StampedCircuit:
    """A circuit compiled once to fixed-pattern MNA stamps whose values update in place.

    Build with :func:`compile_circuit`. Values change with :meth:`set_values` (element
    values, SPICE units: ohm for R and switches, V or A for independent sources, the gain
    for E/F/G/H) and :meth:`set_states` (memristor states); operating points come from
    :meth:`operating_point` (one) and :meth:`operating_points` (a batch of source values
    sharing the matrix). The circuit itself is not modified.

    Parameters
    ----------
    circuit : Circuit
        The circuit (its topology and initial values).
    options : NewtonOptions, optional
        Newton tolerances (as the engine's).
    """

    def __init__(
        self,
        circuit: Circuit,
        options: NewtonOptions | None = None,
        base: StampedCircuit | None = None,
    ) -> None:
        self.opts = options or NewtonOptions()
        comp = CompiledCircuit(circuit)  # a private copy: its memristor groups are ours
        comp.check_topology()
        self.comp = comp
        self.size = comp.size
        self.n = comp.n
        cols = circuit.columns()
        self._build_slots(cols["value"], cols["objects"])
        self._build_pattern()
        self._build_elimination()
        self._slot_cache: dict[tuple[str, ...], IntArray] = {}
        self._mat_version = 0
        self._setup: dict[str, Any] | None = None
        self._perm_c: IntArray | None = None
        groups = comp.groups + comp.mem_nl
        self.general = bool(comp.bsrc_i or comp.bsrc_v)
        nl_rows = (
            np.unique(np.concatenate([np.concatenate([g.a, g.b]) for g in groups]))
            if groups
            else np.zeros(0, dtype=np.intp)
        )
        self.nl_rows: IntArray = nl_rows[nl_rows >= 0].astype(np.intp)
        if self.nl_rows.size > REDUCED_LIMIT:
            self.general = True
        self._last: Array | None = None
        self._struct: dict[str, Any] | None = None
        self._index_cache: dict[str, int] | None = None
        self._slot_last: tuple[Any, IntArray] | None = None
        self._pin_csr: list[Any] | None = None
        self._kept_cache: tuple[Any, Array, Array] | None = None
        self._base: dict[str, Any] | None = None
        if base is not None:
            self._base = self._map_base(base)
        self._init_maps: dict[Any, tuple[IntArray, IntArray]] = {}

    # -- compilation ----------------------------------------------------------------------
    def _build_slots(self, value_col: Array, objects: dict[int, Any]) -> None:
        """Parameter slots and their stamps from the circuit's value column (and objects)."""
        comp = self.comp
        names: list[str] = []
        kinds: list[int] = []
        values: list[float] = []
        rows: list[Any] = []
        cols: list[Any] = []
        coef: list[Any] = []
        slot_of: list[Any] = []

        def add(r: Any, c: Any, k: Any, s: Any) -> None:
            r = np.atleast_1d(np.asarray(r, dtype=np.intp))
            c = np.broadcast_to(np.asarray(c, dtype=np.intp), r.shape)
            k = np.broadcast_to(np.asarray(k, dtype=float), r.shape)
            s = np.broadcast_to(np.asarray(s, dtype=np.intp), r.shape)
            m = (r >= 0) & (c >= 0)
            rows.append(r[m])
            cols.append(c[m])
            coef.append(k[m])
            slot_of.append(s[m])

        def new_slots(els: Sequence[Any], kind: int, vals: Any = None) -> IntArray:
            start = len(names)
            names.extend(e.name.lower() for e in els)
            kinds.extend([kind] * len(els))
            values.extend(float(e.value) for e in els) if vals is None else values.extend(vals)
            return np.arange(start, start + len(els), dtype=np.intp)

        def conductance(a: IntArray, b: IntArray, s: IntArray) -> None:
            add(a, a, 1.0, s)
            add(b, b, 1.0, s)
            add(a, b, -1.0, s)
            add(b, a, -1.0, s)

        # resistors and switches straight from the circuit's columns (no element objects)
        gpos = comp.res_gpos.tolist()
        start = len(names)
        names.extend(comp.order[g].lower() for g in gpos)
        kinds.extend([_COND] * len(gpos))
        rv = np.asarray(value_col, dtype=float)[comp.res_gpos]
        for k, g in enumerate(gpos):
            if g in objects:  # an element kept as an object: its own value
                rv[k] = float(objects[g].value)
        values.extend(rv.tolist())
        conductance(comp.res_a, comp.res_b, np.arange(start, len(names), dtype=np.intp))
        # linear memristors: conductance slots (recomputed from their states)
        self._mem_lin: list[tuple[Any, IntArray]] = []
        for model, els, a, b in comp.mem_lin:
            x = np.array([e.x0 for e in els], dtype=float)
            g = np.asarray(model.didv(0.0, x), dtype=float) * np.ones(len(els))
            s = new_slots(els, _GAIN, g.tolist())
            conductance(a, b, s)
            self._mem_lin.append((model, s))
        idx = comp.index
        const = np.intp(-1)
        for els in (comp.vsrc, comp.ind, comp.vcvs, comp.ccvs, comp.bsrc_v):
            if not els:
                continue
            a = np.array([idx[e.p] for e in els], dtype=np.intp)
            b = np.array([idx[e.n] for e in els], dtype=np.intp)
            r = np.array([comp.branch_row[e.name] for e in els], dtype=np.intp)
            add(a, r, 1.0, const)
            add(b, r, -1.0, const)
            add(r, a, 1.0, const)
            add(r, b, -1.0, const)
        if comp.vcvs:
            s = new_slots(comp.vcvs, _GAIN)
            br = np.array([comp.branch_row[e.name] for e in comp.vcvs], dtype=np.intp)
            c1 = np.array([idx[e.nodes[2]] for e in comp.vcvs], dtype=np.intp)
            c2 = np.array([idx[e.nodes[3]] for e in comp.vcvs], dtype=np.intp)
            add(br, c1, -1.0, s)
            add(br, c2, 1.0, s)
        if comp.ccvs:
            s = new_slots(comp.ccvs, _GAIN)
            br = np.array([comp.branch_row[e.name] for e in comp.ccvs], dtype=np.intp)
            rc = np.array(
                [comp.branch_row_lower[str(e.control).lower()] for e in comp.ccvs], dtype=np.intp
            )
            add(br, rc, -1.0, s)
        if comp.cccs:
            s = new_slots(comp.cccs, _GAIN)
            ia = np.array([idx[e.p] for e in comp.cccs], dtype=np.intp)
            ib = np.array([idx[e.n] for e in comp.cccs], dtype=np.intp)
            rc = np.array(
                [comp.branch_row_lower[str(e.control).lower()] for e in comp.cccs], dtype=np.intp
            )
            add(ia, rc, 1.0, s)
            add(ib, rc, -1.0, s)
        if comp.vccs:
            s = new_slots(comp.vccs, _GAIN)
            ia = np.array([idx[e.p] for e in comp.vccs], dtype=np.intp)
            ib = np.array([idx[e.n] for e in comp.vccs], dtype=np.intp)
            c1 = np.array([idx[e.nodes[2]] for e in comp.vccs], dtype=np.intp)
            c2 = np.array([idx[e.nodes[3]] for e in comp.vccs], dtype=np.intp)
            add(ia, c1, 1.0, s)
            add(ia, c2, -1.0, s)
            add(ib, c1, -1.0, s)
            add(ib, c2, 1.0, s)
        self.ent_row = np.concatenate(rows) if rows else np.zeros(0, np.intp)
        self.ent_col = np.concatenate(cols) if cols else np.zeros(0, np.intp)
        self.ent_coef = np.concatenate(coef) if coef else np.zeros(0)
        self.ent_slot = np.concatenate(slot_of) if slot_of else np.zeros(0, np.intp)
        # right-hand side: V sources (branch rows) and I sources (node rows)
        rr: list[Any] = []
        rk: list[Any] = []
        rs: list[Any] = []
        if comp.vsrc:
            s = new_slots(comp.vsrc, _SRC)
            rr.append(comp.vs_rows)
            rk.append(np.ones(len(comp.vsrc)))
            rs.append(s)
        if comp.isrc:
            s = new_slots(comp.isrc, _SRC)
            for nodes, sign in ((comp.is_a, -1.0), (comp.is_b, 1.0)):
                m = nodes >= 0
                rr.append(nodes[m])
                rk.append(np.full(int(m.sum()), sign))
                rs.append(s[m])
        self.rhs_row = np.concatenate(rr) if rr else np.zeros(0, np.intp)
        self.rhs_coef = np.concatenate(rk) if rk else np.zeros(0)
        self.rhs_slot = np.concatenate(rs) if rs else np.zeros(0, np.intp)
        self.slot_names = names
        self.slot_kind = np.array(kinds, dtype=np.int8)
        self.values = np.array(values, dtype=float)
        self._slot_index = {nm: k for k, nm in enumerate(names)}
        self._check_values(np.arange(len(names)))

    def _build_pattern(self) -> None:
        """CSC pattern of the linear stamps plus every node diagonal; COO -> CSC positions."""
        size = self.size
        diag = np.arange(self.n, dtype=np.intp)
        r = np.concatenate([self.ent_row, diag])
        c = np.concatenate([self.ent_col, diag])
        key = c.astype(np.int64) * size + r
        uniq, inv = np.unique(key, return_inverse=True)
        self.pat_indices = (uniq % size).astype(np.int32)
        cols = (uniq // size).astype(np.intp)
        self.pat_indptr = np.zeros(size + 1, dtype=np.int32)
        np.cumsum(np.bincount(cols, minlength=size), out=self.pat_indptr[1:])
        self.nnz = int(uniq.size)
        self.ent_pos = inv[: self.ent_row.size].astype(np.intp)
        self.diag_pos = inv[self.ent_row.size :].astype(np.intp)
        self._const = self.ent_slot < 0

    # -- values ---------------------------------------------------------------------------
    def _check_values(self, slots: IntArray) -> None:
        v = self.values[slots]
        bad = ~np.isfinite(v)
        cond = self.slot_kind[slots] == _COND
        bad |= cond & ~(np.abs(v) > 1e-300)
        if np.any(bad):
            k = int(slots[np.flatnonzero(bad)[0]])
            raise ParameterError(
                f"StampedCircuit: the value of {self.slot_names[k]!r} must be finite (and a "
                f"resistance |R| > 1e-300 ohm); got {self.values[k]!r}."
            )

    def slots(self, names: Sequence[str]) -> IntArray:
        """Parameter slots of the named elements (cached per name tuple).

        A tuple passed again (the same object: immutable) skips hashing its names.
        """
        last = self._slot_last
        if last is not None and last[0] is names:
            return last[1]
        key = names if isinstance(names, tuple) else tuple(names)
        out = self._slot_cache.get(key)
        if out is None:
            try:
                out = np.array([self._slot_index[str(n).lower()] for n in key], dtype=np.intp)
            except KeyError as exc:
                raise ParameterError(
                    f"StampedCircuit.set_values: no element {exc.args[0]!r} with a value "
                    "(R, S, V, I, E, F, G, H, or a linear memristor)."
                ) from None
            self._slot_cache[key] = out
        if isinstance(names, tuple):
            self._slot_last = (names, out)
        return out

    def set_values(self, names: Sequence[str], values: ArrayLike) -> None:
        """Set element values in place (SPICE ``alter``), vectorised over ``names``.

        Parameters
        ----------
        names : sequence of str
            Element names (case-insensitive): R and switches (ohm), V (V), I (A), E, F, H
            (gain), G (S).
        values : array_like (len(names),)
        """
        s = self.slots(names)
        vals = np.asarray(values, dtype=float).reshape(s.shape)
        old = self.values[s].copy()
        self.values[s] = vals
        try:
            self._check_values(s)
        except ParameterError:
            self.values[s] = old
            raise
        if np.any(self.slot_kind[s] != _SRC):
            self._mat_version += 1
            self._setup = None

    def set_states(self, names: Sequence[str], states: ArrayLike) -> None:
        """Set memristor states in place (their I-V laws at the new states)."""
        xs = np.asarray(states, dtype=float).ravel()
        low = {str(k).lower(): float(v) for k, v in zip(names, xs, strict=True)}
        for g in self.comp.mem_nl:
            hit = [nm.lower() in low for nm in g.names]
            if any(hit):
                x = np.array(g.x, dtype=float)
                for k, nm in enumerate(g.names):
                    if nm.lower() in low:
                        x[k] = low[nm.lower()]
                g.x = x
                g.current = bind_state(g.model.current, x)
                g.didv = bind_state(g.model.didv, x)
        for model, s in self._mem_lin:
            sel = [k for k in range(s.size) if self.slot_names[s[k]] in low]
            if sel:
                ss = s[sel]
                x = np.array([low[self.slot_names[k]] for k in ss])
                self.values[ss] = np.asarray(model.didv(0.0, x), dtype=float) * np.ones(len(ss))
                self._mat_version += 1
                self._setup = None
        self._last = None

    # -- assembly -------------------------------------------------------------------------
    def _coef(self) -> Array:
        v = self.values
        out = v.copy()
        cond = self.slot_kind == _COND
        out[cond] = 1.0 / v[cond]
        return out

    def matrix_data(self, diag: Array | None = None) -> Array:
        """CSC data of the linear matrix (+ an optional diagonal on the node rows)."""
        c = self._coef()
        w = self.ent_coef * np.where(self._const, 1.0, c[np.maximum(self.ent_slot, 0)])
        data = np.bincount(self.ent_pos, weights=w, minlength=self.nnz)
        if diag is not None:
            data += np.bincount(self.diag_pos, weights=diag, minlength=self.nnz)
        return data

    def matrix(self, diag: Array | None = None) -> sp.csc_matrix:
        """Return the linear MNA matrix (CSC) at the present values."""
        return sp.csc_matrix(
            (self.matrix_data(diag), self.pat_indices, self.pat_indptr), shape=(self.size,) * 2
        )

    def rhs(self, values: Array | None = None, names: Sequence[str] | None = None) -> Array:
        """Return the right-hand side(s), shape (size,) or (size, B).

        At the present source values, or with ``values`` (B, k) for the sources ``names``.
        """
        if values is None:
            out = np.zeros(self.size)
            np.add.at(out, self.rhs_row, self.rhs_coef * self.values[self.rhs_slot])
            return out
        s = self.slots(names or [])
        vals = np.atleast_2d(np.asarray(values, dtype=float))
        if vals.shape[1] != s.size:
            raise ParameterError(
                f"StampedCircuit: 'values' must have {s.size} columns (one per source in "
                f"'names'); got shape {vals.shape}."
            )
        if np.any(self.slot_kind[s] != _SRC):
            bad = self.slot_names[int(s[np.flatnonzero(self.slot_kind[s] != _SRC)[0]])]
            raise ParameterError(
                f"StampedCircuit.operating_points varies independent sources only; {bad!r} is "
                "not one (use set_values for it)."
            )
        # the right-hand side at the present values, plus each varied source's change
        base = self.rhs()
        out = np.repeat(base[:, None], vals.shape[0], axis=1)
        pos = np.full(self.values.size, -1, dtype=np.intp)
        pos[s] = np.arange(s.size)
        hit = pos[self.rhs_slot] >= 0
        if np.any(hit):
            col = pos[self.rhs_slot[hit]]
            delta = self.rhs_coef[hit][None, :] * (vals[:, col] - self.values[s][col][None, :])
            np.add.at(out, self.rhs_row[hit], delta.T)
        return out

    # -- grounded voltage sources: known node voltages go to the right-hand side ---------------
    def _build_elimination(self) -> None:
        """Pair every node pinned by a grounded independent V source with its branch current.

        Such a node's voltage is the source value and its KCL row only determines the source
        current, so both unknowns leave the factored system: ``A_KK z_K = b_K − A_KP v_P``,
        then the branch currents from the pinned nodes' KCL rows. Exact (a block solve of the
        same MNA system). A pair is taken only when nothing else uses the branch current (no
        F/H control, no other row) and the node is pinned once; the rest stays in the system.
        """
        comp = self.comp
        size = self.size
        indptr = self.pat_indptr.astype(np.intp)
        rows_of = self.pat_indices.astype(np.intp)
        cols_of = np.repeat(np.arange(size, dtype=np.intp), np.diff(indptr))
        csr = sp.csr_matrix(
            (np.ones(self.nnz), (rows_of, cols_of)), shape=(size, size)
        )  # the pattern by rows
        p_idx: list[int] = []
        br_idx: list[int] = []
        for e in comp.vsrc:
            ia, ib = comp.index[e.p], comp.index[e.n]
            if ib < 0 <= ia:
                node = ia
            elif ia < 0 <= ib:
                node = ib
            else:
                continue
            if node in p_idx:
                continue
            br = int(comp.branch_row[e.name])
            col_rows = set(rows_of[indptr[br] : indptr[br + 1]].tolist())
            row_cols = set(csr.indices[csr.indptr[br] : csr.indptr[br + 1]].tolist())
            if col_rows <= {node, br} and row_cols <= {node} and node in col_rows:
                p_idx.append(node)
                br_idx.append(br)
        self._elim = bool(p_idx)
        if not self._elim:
            return
        pi = np.array(p_idx, dtype=np.intp)
        bi = np.array(br_idx, dtype=np.intp)
        keep = np.ones(size, dtype=bool)
        keep[pi] = False
        keep[bi] = False
        knum = np.cumsum(keep) - 1
        nk = int(keep.sum())
        m = keep[rows_of] & keep[cols_of]  # CSC order is kept (renumbering is monotone)
        self._keep = np.flatnonzero(keep).astype(np.intp)
        self._nk = nk
        self._k_pos = np.flatnonzero(m).astype(np.intp)
        self._k_indices = knum[rows_of[m]].astype(np.int32)
        self._k_indptr = np.zeros(nk + 1, dtype=np.int32)
        np.cumsum(np.bincount(knum[cols_of[m]], minlength=nk), out=self._k_indptr[1:])
        pair_of = np.full(size, -1, dtype=np.intp)
        pair_of[pi] = np.arange(pi.size)
        is_br = np.zeros(size, dtype=bool)
        is_br[bi] = True
        mkp = keep[rows_of] & (pair_of[cols_of] >= 0)
        self._kp = (np.flatnonzero(mkp), knum[rows_of[mkp]], pair_of[cols_of[mkp]])
        mrp = (pair_of[rows_of] >= 0) & ~is_br[cols_of]
        self._rp = (np.flatnonzero(mrp), pair_of[rows_of[mrp]], cols_of[mrp])
        key = cols_of.astype(np.int64) * size + rows_of  # sorted: the CSC order
        self._pos_pbr = np.searchsorted(key, bi.astype(np.int64) * size + pi)
        self._pos_brp = np.searchsorted(key, pi.astype(np.int64) * size + bi)
        self._p_idx, self._br_idx = pi, bi

    # -- a circuit that extends another one (shared factor) ---------------------------------
    def _kept(self) -> IntArray:
        """Unknowns of the factored system (all of them without pinned nodes)."""
        return self._keep if self._elim else np.arange(self.size, dtype=np.intp)

    def _map_base(self, base: StampedCircuit) -> dict[str, Any] | None:
        """Match this circuit's unknowns to ``base``'s by name (None: not an extension).

        An extension has every factored unknown of ``base`` (same names) and no other (its
        extra nodes are pinned by grounded sources), the same nonlinear elements, and its
        linear part may then differ from ``base``'s only on ``base``'s hub unknowns; that
        last condition is checked at every factorisation (:meth:`_derived_setup`).
        """
        bi = base.comp.index
        m = np.full(self.size, -1, dtype=np.intp)
        for nd, i in self.comp.index.items():
            j = bi.get(nd)
            if i >= 0 and j is not None and j >= 0:
                m[i] = j
        for name, i in self.comp.branch_row_lower.items():
            j = base.comp.branch_row_lower.get(name)
            if j is not None:
                m[i] = j
        kd, kb = self._kept(), base._kept()
        if kd.size != kb.size or np.any(m[kd] < 0):
            return None
        pos = np.full(base.size, -1, dtype=np.intp)
        pos[kb] = np.arange(kb.size)
        perm = pos[m[kd]]  # derived kept position -> base kept position
        if np.any(perm < 0) or np.unique(perm).size != perm.size:
            return None
        names = [n for g in self.comp.groups + self.comp.mem_nl for n in g.names]
        bnames = [n for g in base.comp.groups + base.comp.mem_nl for n in g.names]
        if names != bnames or not np.array_equal(m[self.nl_rows], base.nl_rows):
            return None
        inv = np.empty_like(perm)
        inv[perm] = np.arange(perm.size)
        return {"sc": base, "map": m, "perm": perm, "inv": inv}

    def _kept_solve(self, fac: Any, b_k: Array) -> Array:
        """Solve the factored (kept) system for ``b_k`` (kept order), 2-D."""
        kind, lu, _ = fac
        if kind == "derived":
            return self._derived_kept_solve(lu, b_k)
        y = np.asarray(lu.solve(b_k))
        if y.ndim == 1:
            y = y[:, None]
        if kind != "plain":
            out = np.empty_like(y)
            out[self._pc_cols] = y
            y = out
        # the last solve, which a derived circuit may reuse (b_k is our own array when
        # pinned nodes are eliminated; else the caller's, so copied)
        self._kept_cache = (fac, b_k if self._elim else np.array(b_k), y)
        return y

    def _derived_kept_solve(self, pay: dict[str, Any], b_k: Array) -> Array:
        """Woodbury: base's factor, then the correction of the hub block Δ."""
        base = pay["sc"]
        bk = b_k[pay["inv"]]
        last = base._kept_cache
        if last is not None and last[0] is pay["bfac"] and last[1].shape == bk.shape:
            # the base's last right-hand side, changed on the hubs only (e.g. the nudged
            # phases' targets on the free phase's inputs): x = x_last + A⁻¹ E_H d
            d = bk - last[1]
            if not np.any(d[pay["nonhub_b"]]):
                xb = last[2] + pay["u_b"] @ d[pay["h_b"]]
            else:
                xb = base._kept_solve(pay["bfac"], bk)
        else:
            xb = base._kept_solve(pay["bfac"], bk)
        x = xb[pay["perm"]]
        h = pay["h"]
        return np.asarray(x - pay["u"] @ (pay["k"] @ x[h]))

    def _kept_matrix(self, data: Array, nk: int) -> sp.csc_matrix:
        """Return the factored block as CSC (kept unknowns only when pinned nodes are removed)."""
        if self._elim:
            return sp.csc_matrix(
                (data[self._k_pos], self._k_indices, self._k_indptr), shape=(nk,) * 2
            )
        return sp.csc_matrix((data, self.pat_indices, self.pat_indptr), shape=(nk,) * 2)

    def _derived_setup(self, data: Array) -> dict[str, Any] | None:
        """Build the setup from ``base``'s factor when the linear parts differ on hubs only."""
        bm = self._base
        assert bm is not None
        base: StampedCircuit = bm["sc"]
        if base.general:
            return None
        bset = base._prepare()
        if "w" not in bset or base._batched_setup(bset) is None or "hub" not in bset:
            return None
        if bset["hub"]["w_h"] is None:
            return None  # the base is itself derived: no hub columns of its own
        hub = bset["hub"]
        nk = self._kept().size
        ad = self._kept_matrix(data, nk)
        ab = base._kept_matrix(bset["data"], nk)
        perm = bm["perm"]
        diff = sp.coo_matrix(ad - ab[perm][:, perm])
        scale = float(np.max(np.abs(ad.data), initial=0.0))
        big = np.abs(diff.data) > 1e-13 * scale
        # base's hubs in this circuit's kept numbering
        bpos = np.full(base.size, -1, dtype=np.intp)
        bpos[base._kept()] = np.arange(nk)
        h_b = bpos[base._structure()["hubs"]]
        if np.any(h_b < 0):
            return None
        h = bm["inv"][h_b]
        nonhub_b = np.ones(nk, dtype=bool)
        nonhub_b[h_b] = False
        is_h = np.zeros(nk, dtype=bool)
        is_h[h] = True
        if np.any(big & ~(is_h[diff.row] & is_h[diff.col])):
            return None  # the circuits differ off the hubs (e.g. other values): own factor
        hpos = np.full(nk, -1, dtype=np.intp)
        hpos[h] = np.arange(h.size)
        delta = np.zeros((h.size, h.size))
        np.add.at(delta, (hpos[diff.row[big]], hpos[diff.col[big]]), diff.data[big])
        # U = A_KK^-1 E_H from base's hub columns (kept rows, this circuit's order)
        u = hub["w_h"][base._kept()][perm]
        s_hh = u[h]
        try:
            kmat = delta @ np.linalg.inv(np.eye(h.size) + s_hh @ delta)
        except np.linalg.LinAlgError:
            return None
        pay = {
            "sc": base,
            "bfac": bset["fac"],
            "perm": perm,
            "inv": bm["inv"],
            "h": h,
            "u": np.ascontiguousarray(u),
            "k": kmat,
            "u_b": np.ascontiguousarray(hub["w_h"][base._kept()]),
            "h_b": h_b,
            "nonhub_b": nonhub_b,
        }
        fac = ("derived", pay, self._pinned_blocks(data))
        setup: dict[str, Any] = {"data": data, "fac": fac}
        # W = A^-1 E_N from base's W: kept rows corrected, pinned branch currents recovered
        wb_k = bset["w"][base._kept()][perm]  # N columns in the same order (checked)
        w_k = wb_k - u @ (kmat @ wb_k[h])
        k = self.nl_rows.size
        rhs = np.zeros((self.size, k))
        rhs[self.nl_rows, np.arange(k)] = 1.0
        w = self._recover(fac, rhs, w_k)
        if not np.all(np.isfinite(w)):
            return None
        setup["w"] = np.ascontiguousarray(w)
        setup["wt"] = np.ascontiguousarray(w.T)
        setup["s"] = np.ascontiguousarray(w[self.nl_rows])
        setup["sdt"] = None
        # the reduced matrix on F + hubs: base's, plus Δ on the hub block (Δ lies inside R)
        st, bst = self._structure(), base._structure()
        m_map = bm["map"]
        f_rows = self.nl_rows[st["F"]]
        if np.array_equal(m_map[f_rows], base.nl_rows[bst["F"]]):
            back = np.full(base.size, -1, dtype=np.intp)
            has = np.flatnonzero(m_map >= 0)
            back[m_map[has]] = has
            kf = f_rows.size
            m = hub["m"].copy()
            m[kf:, kf:] += delta
            setup["hub"] = {
                "rows": np.concatenate([f_rows, back[bst["hubs"]]]),
                "w_h": None,
                "m": m,
                "diag": hub["diag"],
                "mfh": hub["mfh"],
                "mhf": hub["mhf"],
                "mhh": np.ascontiguousarray(m[kf:, kf:]),
            }
            setup["c"] = m
        return setup

    # -- factorisation with a reused ordering -------------------------------------------------
    def _factor(self, data: Array) -> Any:
        """SuperLU of the (reduced) matrix with ``data``; the column ordering is computed once.

        Returns ``(kind, lu, data)``; with pinned nodes eliminated (:meth:`_build_elimination`)
        ``lu`` factors ``A_KK``.
        """
        if self._elim:
            sub = data[self._k_pos]
            nk = self._nk
            indices, indptr = self._k_indices, self._k_indptr
        else:
            sub, nk = data, self.size
            indices, indptr = self.pat_indices, self.pat_indptr
        a = sp.csc_matrix((sub, indices, indptr), shape=(nk, nk))
        try:
            with np.errstate(all="ignore"):
                if self._perm_c is None:
                    lu = spla.splu(a, permc_spec="MMD_AT_PLUS_A")
                    self._perm_c = np.asarray(lu.perm_c, dtype=np.intp)
                    # the reusable form: columns pre-permuted, natural ordering
                    order = np.argsort(self._perm_c)
                    self._pc_cols = order
                    ap = a[:, order]
                    self._pc_indices = ap.indices
                    self._pc_indptr = ap.indptr
                    # data positions of the permuted matrix in the pattern's data vector
                    probe = sp.csc_matrix(
                        (np.arange(sub.size, dtype=float) + 1.0, indices, indptr),
                        shape=(nk, nk),
                    )[:, order]
                    self._pc_data = (probe.data - 1.0).astype(np.intp)
                    return ("plain", lu, self._pinned_blocks(data))
                ap = sp.csc_matrix(
                    (sub[self._pc_data], self._pc_indices, self._pc_indptr), shape=(nk, nk)
                )
                return ("perm", spla.splu(ap, permc_spec="NATURAL"), self._pinned_blocks(data))
        except RuntimeError as exc:
            raise NetlistError(
                f"the MNA matrix is singular ({exc}); check for a floating node, a current-"
                "source cutset or a voltage-source loop."
            ) from exc

    def _pinned_blocks(self, data: Array) -> tuple[Any, ...] | None:
        """Return the pinned-node elimination blocks at ``data`` (None without pinned nodes)."""
        if not self._elim:
            return None
        if self._pin_csr is None:
            # CSR layouts of A_KP and of the pinned rows, with their data positions
            npair = self._p_idx.size
            lay = []
            for (pos, rr, cc), shape in (
                (self._kp, (self._nk, npair)),
                (self._rp, (npair, self.size)),
            ):
                m = sp.csr_matrix((pos + 1.0, (rr, cc)), shape=shape)
                m.sum_duplicates()
                lay.append((m.indices, m.indptr, (m.data - 1.0).astype(np.intp), shape))
            self._pin_csr = lay
        a_kp, r_p = (
            sp.csr_matrix((data[p], ind, ptr), shape=shape) for ind, ptr, p, shape in self._pin_csr
        )
        return a_kp, r_p, data[self._pos_brp][:, None], data[self._pos_pbr][:, None]

    def _solve(self, fac: Any, rhs: Array) -> Array:
        """Solve ``A z = rhs`` (rhs (size,) or (size, B)) with a factor of :meth:`_factor`."""
        one = rhs.ndim == 1
        r = rhs[:, None] if one else rhs
        if not self._elim:
            z = self._kept_solve(fac, r)
        else:
            a_kp, _r_p, a_brp, _a_pbr = fac[2]
            z_p = r[self._br_idx] / a_brp
            b_k = r[self._keep]
            if np.any(z_p):  # (zero for W: unit currents into the nonlinear nodes)
                b_k = b_k - a_kp @ z_p
            y = self._kept_solve(fac, b_k)
            z = self._recover(fac, r, y, z_p)
        return z[:, 0] if one else z

    def _recover(self, fac: Any, r: Array, y: Array, z_p: Array | None = None) -> Array:
        """Full unknowns from the kept ones ``y``: pinned nodes, then their source currents."""
        if not self._elim:
            return y
        _a_kp, r_p, a_brp, a_pbr = fac[2]
        if z_p is None:
            z_p = r[self._br_idx] / a_brp
        z = np.zeros((self.size, r.shape[1]))
        z[self._keep] = y
        z[self._p_idx] = z_p
        z[self._br_idx] = (r[self._p_idx] - r_p @ z) / a_pbr
        return z

    # -- operating points --------------------------------------------------------------------
    def _structure(self) -> dict[str, Any]:
        """Value-independent structure of the nonlinear elements (computed once per compile).

        Local indices of their terminals among the nonlinear unknowns ``N`` (ground -> -1),
        the incidence ``D`` (|N| x elements: +1 at a, -1 at b), the full-size incidence for
        residuals, and the split of ``N`` into nodes pinned by a grounded independent voltage
        source (``P``: their voltage is the source value whatever current flows) and the free
        rest (``F``) used by the batched Newton.
        """
        if self._struct is not None:
            return self._struct
        comp = self.comp
        groups = comp.groups + comp.mem_nl
        st: dict[str, Any] = {"groups": groups}
        if not groups:
            self._struct = st
            return st
        k = self.nl_rows.size
        local = np.full(self.size + 1, -1, dtype=np.intp)
        local[self.nl_rows] = np.arange(k)
        ga = [local[g.a] for g in groups]  # ground (-1) -> index -1
        gb = [local[g.b] for g in groups]
        a_all, b_all = np.concatenate(ga), np.concatenate(gb)
        n_el = a_all.size
        cols = np.arange(n_el)
        ma, mb = a_all >= 0, b_all >= 0
        d = sp.csr_matrix(
            (
                np.concatenate([np.ones(int(ma.sum())), -np.ones(int(mb.sum()))]),
                (np.concatenate([a_all[ma], b_all[mb]]), np.concatenate([cols[ma], cols[mb]])),
            ),
            shape=(k, n_el),
        )
        bounds = np.cumsum([0] + [g.a.size for g in groups])
        st.update(
            ga=ga,
            gb=gb,
            ea=a_all,
            eb=b_all,
            d=d,
            dt=sp.csr_matrix(d.T),
            slices=[
                slice(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
            ],
        )
        # full-size incidence (rows = MNA unknowns) for the KCL residual of a batch
        ga_f = np.concatenate([g.a for g in groups])
        gb_f = np.concatenate([g.b for g in groups])
        fa, fb = ga_f >= 0, gb_f >= 0
        st["d_full"] = sp.csr_matrix(
            (
                np.concatenate([np.ones(int(fa.sum())), -np.ones(int(fb.sum()))]),
                (np.concatenate([ga_f[fa], gb_f[fb]]), np.concatenate([cols[fa], cols[fb]])),
            ),
            shape=(self.size, n_el),
        )
        pinned = set()
        for e in comp.vsrc:
            ia, ib = comp.index[e.p], comp.index[e.n]
            if ib < 0 <= ia:
                pinned.add(ia)
            elif ia < 0 <= ib:
                pinned.add(ib)
        is_p = np.array([int(r) in pinned for r in self.nl_rows], dtype=bool)
        f_loc = np.flatnonzero(~is_p).astype(np.intp)
        p_loc = np.flatnonzero(is_p).astype(np.intp)
        kf = f_loc.size
        st["F"], st["P"] = f_loc, p_loc
        # element terminals in F-local numbering (-1: ground or pinned)
        floc = np.full(k + 1, -1, dtype=np.intp)
        floc[f_loc] = np.arange(kf)
        fa_l, fb_l = floc[a_all], floc[b_all]  # index -1 of a_all maps to floc[-1] = -1
        ma, mb = fa_l >= 0, fb_l >= 0
        st["d_f"] = sp.csr_matrix(
            (
                np.concatenate([np.ones(int(ma.sum())), -np.ones(int(mb.sum()))]),
                (np.concatenate([fa_l[ma], fb_l[mb]]), np.concatenate([cols[ma], cols[mb]])),
            ),
            shape=(kf, n_el),
        )
        # the companion conductances D_F diag(g) D_F^T as g @ M onto the touched entries
        both = ma & mb
        r_e = np.concatenate([cols[ma], cols[mb], cols[both], cols[both]])
        pos = np.concatenate(
            [
                fa_l[ma] * (kf + 1),
                fb_l[mb] * (kf + 1),
                fa_l[both] * kf + fb_l[both],
                fb_l[both] * kf + fa_l[both],
            ]
        )
        sign = np.concatenate(
            [np.ones(int(ma.sum()) + int(mb.sum())), -np.ones(2 * int(both.sum()))]
        )
        upos, inv = np.unique(pos, return_inverse=True)
        st["j_pos"] = upos.astype(np.intp)
        st["j_map"] = sp.csr_matrix((sign, (r_e, inv)), shape=(n_el, upos.size))
        st["d_f2"] = abs(st["d_f"])
        # every element touches at most one free node: D_F diag(g) D_F^T is diagonal, and
        # with hubs separating the free nodes the whole companion system is an arrow matrix
        one_free = bool(np.all(ma.astype(int) + mb.astype(int) <= 1))
        st["hubs"] = self._find_hubs(self.nl_rows[f_loc]) if one_free and kf else None
        self._struct = st
        return st

    def _find_hubs(self, f_rows: IntArray) -> IntArray | None:
        """Find a few unknowns H whose removal leaves each free nonlinear node on its own.

        On the MNA graph without the eliminated pinned pairs, removing F and H must leave
        components that each touch at most one F node, and no linear stamp may join two F
        nodes; then the linear part reduced to F ∪ H has a diagonal F block. Greedy: the
        remaining unknown of highest degree in a component touching several F nodes, until
        none is left or :data:`HUB_LIMIT` is exceeded (None: no such small separator).
        """
        from scipy.sparse.csgraph import connected_components

        size = self.size
        indptr = self.pat_indptr.astype(np.intp)
        rows_of = self.pat_indices.astype(np.intp)
        cols_of = np.repeat(np.arange(size, dtype=np.intp), np.diff(indptr))
        gone = np.zeros(size, dtype=bool)
        if self._elim:
            gone[self._p_idx] = True
            gone[self._br_idx] = True
        m = (rows_of != cols_of) & ~gone[rows_of] & ~gone[cols_of]
        adj = sp.csr_matrix((np.ones(int(m.sum())), (rows_of[m], cols_of[m])), shape=(size, size))
        adj = ((adj + adj.T) != 0).astype(np.int8).tocsr()
        is_f = np.zeros(size, dtype=bool)
        is_f[f_rows] = True
        fpos = np.full(size, -1, dtype=np.intp)
        fpos[f_rows] = np.arange(f_rows.size)
        adj_f = adj[f_rows]  # F rows: their neighbours
        if adj_f[:, is_f].nnz:
            return None  # a linear stamp joins two free nodes
        fr = np.repeat(np.arange(f_rows.size), np.diff(adj_f.indptr))
        fc = adj_f.indices.astype(np.intp)
        hubs: list[int] = []
        alive = ~gone & ~is_f
        for _ in range(HUB_LIMIT + 1):
            idx = np.flatnonzero(alive)
            sub = adj[idx][:, idx]
            _, labels = connected_components(sub, directed=False)
            lab = np.full(size, -1, dtype=np.intp)
            lab[idx] = labels
            ok = lab[fc] >= 0
            pairs = np.unique(lab[fc[ok]] * f_rows.size + fr[ok])
            touched = np.bincount(pairs // f_rows.size, minlength=int(labels.max(initial=-1)) + 1)
            bad = np.flatnonzero(touched > 1)
            if bad.size == 0:
                return np.array(hubs, dtype=np.intp)
            if len(hubs) == HUB_LIMIT:
                return None
            deg = np.asarray(sub.sum(axis=1)).ravel()
            deg[~np.isin(labels, bad)] = -1
            v = int(idx[int(np.argmax(deg))])
            hubs.append(v)
            alive[v] = False
        return None

    def _prepare(self) -> dict[str, Any]:
        """Factor the linear part and, for the reduced Newton, W = A⁻¹ E_N and S = W[N]."""
        if self._setup is not None:
            return self._setup
        data = self.matrix_data()
        setup: dict[str, Any] = {"data": data}
        st = self._structure()
        if self._base is not None and not self.general and st["groups"]:
            derived = self._derived_setup(data)
            if derived is not None:
                self._setup = derived
                return derived
        if not self.general:
            try:
                fac = self._factor(data)
                setup["fac"] = fac
                if st["groups"]:
                    k = self.nl_rows.size
                    e_n = np.zeros((self.size, k))
                    e_n[self.nl_rows, np.arange(k)] = 1.0
                    w = self._solve(fac, e_n)
                    if not np.all(np.isfinite(w)):
                        raise NetlistError("linear part singular")
                    setup["w"] = np.ascontiguousarray(w)
                    setup["wt"] = np.ascontiguousarray(w.T)
                    setup["s"] = np.ascontiguousarray(w[self.nl_rows])
                    # (S D)^T, elements x k, C-contiguous for the per-iteration product
                    setup["sdt"] = None  # (S D)^T, built when a per-sample Newton runs
            except NetlistError:
                setup.pop("fac", None)
                setup["singular"] = True
        self._setup = setup
        return setup

    def _batched_setup(self, setup: dict[str, Any]) -> Array | None:
        """C = (S_FF)⁻¹, the linear part reduced to the free nonlinear nodes (None: unusable).

        A pinned node's row and column of S vanish (an injected current does not move it);
        where they do not (to 1e-9 of S's scale), or S_FF is singular, the batched Newton is
        not used and every sample runs the per-sample Newton.
        """
        if "c" in setup:
            out: Array | None = setup["c"]
            return out
        st = self._structure()
        s = setup["s"]
        f, p = st["F"], st["P"]
        c: Array | None = None
        pinned_ok = p.size == 0 or max(
            float(np.max(np.abs(s[p]))), float(np.max(np.abs(s[:, p])))
        ) <= 1e-9 * float(np.max(np.abs(s), initial=0.0))
        if pinned_ok and st["hubs"] is not None:
            hub = self._hub_setup(setup, st)
            if hub is not None:
                setup["hub"] = hub
                setup["c"] = hub["m"]  # the reduced matrix (on F and the hubs)
                return hub["m"]
        scale = float(np.max(np.abs(s), initial=0.0))
        if (
            f.size
            and scale > 0
            and (
                p.size == 0
                or max(float(np.max(np.abs(s[p]))), float(np.max(np.abs(s[:, p])))) <= 1e-9 * scale
            )
        ):
            s_ff = s[np.ix_(f, f)]
            try:
                with np.errstate(all="ignore"):
                    c = np.linalg.inv(s_ff)
                if not (np.all(np.isfinite(c)) and _inverse_ok(c, s_ff)):
                    c = None
            except np.linalg.LinAlgError:
                c = None
        setup["c"] = c
        return c

    def _hub_setup(self, setup: dict[str, Any], st: dict[str, Any]) -> dict[str, Any] | None:
        """Reduce the linear part to F ∪ H: M = (S_RR)⁻¹ with a diagonal F block (or None)."""
        hubs = st["hubs"]
        f_rows = self.nl_rows[st["F"]]
        kf, nh = f_rows.size, hubs.size
        if nh == 0:
            w_h = np.zeros((self.size, 0))
        else:
            e_h = np.zeros((self.size, nh))
            e_h[hubs, np.arange(nh)] = 1.0
            w_h = self._solve(setup["fac"], e_h)
        r_rows = np.concatenate([f_rows, hubs])
        s_rr = np.concatenate([setup["w"][np.ix_(r_rows, st["F"])], w_h[r_rows]], axis=1)
        try:
            with np.errstate(all="ignore"):
                m = np.linalg.inv(s_rr)
        except np.linalg.LinAlgError:
            return None
        if not (np.all(np.isfinite(m)) and _inverse_ok(m, s_rr)):
            return None
        m_ff = m[:kf, :kf]
        diag = np.diag(m_ff).copy()
        off = m_ff - np.diag(diag)
        if np.max(np.abs(off), initial=0.0) > 1e-10 * np.max(np.abs(diag)) or np.any(diag == 0):
            return None  # hubs do not separate F numerically
        return {
            "rows": r_rows,
            "w_h": w_h,
            "m": m,
            "diag": diag,
            "mfh": np.ascontiguousarray(m[:kf, kf:]),
            "mhf": np.ascontiguousarray(m[kf:, :kf]),
            "mhh": np.ascontiguousarray(m[kf:, kf:]),
        }

    def operating_point(self, *, initial: Array | OPSolution | None = None) -> OPSolution:
        """DC operating point at the present values (warm-started from the last solution)."""
        return self._run(self.rhs()[:, None], initial, batched=False)

    def operating_points(
        self,
        names: Sequence[str],
        values: ArrayLike,
        *,
        initial: Array | OPSolution | None = None,
        batched: bool = True,
    ) -> OPSolution:
        """Operating points of B samples that differ only in independent-source values.

        The matrix (and, for the reduced Newton, ``W``) is factored once for the batch. With
        ``batched=True`` (default) all samples run one Newton together on the free nonlinear
        nodes (see :meth:`_newton_batched`), each from its own start: ``initial`` per sample,
        or one start for all (``initial`` (size,), else this circuit's last solution, else
        zero); a sample the batched Newton does not converge falls back to the per-sample
        Newton. With ``batched=False`` the samples run one after another, each from the
        previous sample's solution (the first from ``initial``, else the last solution of
        this circuit, else zero).

        Parameters
        ----------
        names : sequence of str
            The independent V/I sources that vary.
        values : array_like (B, len(names))
            Their values per sample (V or A).
        initial : ndarray (size,) or (B, size), or OPSolution, optional
            Starting unknowns; an :class:`OPSolution` of another compiled circuit (e.g. the
            free phase's solutions for a nudged phase) is matched by node and branch name.
        batched : bool
            One Newton over all samples (True) or one per sample (False).
        """
        return self._run(self.rhs(np.asarray(values, dtype=float), names), initial, batched=batched)

    def _initial(self, sol: OPSolution) -> Array:
        """Unknowns of this circuit from another circuit's solution, matched by name."""
        key = (tuple(sol._index), tuple(sol._branch))
        maps = self._init_maps.get(key)
        if maps is None:
            dst, src = [], []
            for nd, i in self.comp.index.items():
                j = sol._index.get(nd)
                if i >= 0 and j is not None:
                    dst.append(i)
                    src.append(j)
            for name, i in self.comp.branch_row_lower.items():
                j = sol._branch.get(name)
                if j is not None:
                    dst.append(i)
                    src.append(j)
            maps = (np.array(dst, dtype=np.intp), np.array(src, dtype=np.intp))
            self._init_maps = {key: maps}  # one source layout remembered
        z0 = np.zeros((sol.z.shape[0], self.size))
        z0[:, maps[0]] = sol.z[:, maps[1]]
        return z0

    def _run(
        self, rhs: Array, initial: Array | OPSolution | None, *, batched: bool = False
    ) -> OPSolution:
        comp = self.comp
        bsz = rhs.shape[1]
        if isinstance(initial, OPSolution):
            initial = self._initial(initial)
        init = None if initial is None else np.asarray(initial, dtype=float)
        if init is not None and init.shape[-1] != self.size:
            raise ParameterError(
                f"StampedCircuit: 'initial' must have {self.size} unknowns per sample; got "
                f"shape {init.shape}."
            )
        if init is not None and init.ndim == 2 and init.shape[0] != bsz:
            raise ParameterError(
                f"StampedCircuit: 'initial' must have one row per sample ({bsz}); got shape "
                f"{init.shape}."
            )
        setup = self._prepare()
        z = np.zeros((bsz, self.size))
        iters = np.zeros(bsz, dtype=np.int64)
        groups = comp.groups + comp.mem_nl
        method = "linear"
        if not (groups or comp.bsrc_i or comp.bsrc_v):
            if "fac" in setup:
                z[:] = self._solve(setup["fac"], rhs).T
            else:
                a = self.matrix()
                for k in range(bsz):
                    z[k], iters[k] = solve_dc(comp, a, rhs[:, k], np.zeros(self.size), self.opts)
        else:
            prev = self._last
            # the reduction first: its hub solves must not be the last solve a derived
            # circuit finds (it reuses the y solve of this batch)
            use_batch = batched and "w" in setup and self._batched_setup(setup) is not None
            y_all = self._solve(setup["fac"], rhs).T if "w" in setup else None
            todo = np.arange(bsz)
            if use_batch and y_all is not None:
                if init is not None:
                    z0 = np.broadcast_to(init, (bsz, self.size))
                elif prev is not None:
                    z0 = np.broadcast_to(prev, (bsz, self.size))
                else:
                    z0 = np.zeros((bsz, self.size))
                zb, itb, ok = self._newton_batched(setup, y_all, z0)
                z[ok], iters[ok] = zb[ok], itb[ok]
                todo = np.flatnonzero(~ok)
                method = "batched"
                if ok.any():
                    prev = z[np.flatnonzero(ok)[-1]]
            for k in todo:
                if init is not None:
                    z0k = init if init.ndim == 1 else init[k]
                else:
                    z0k = prev if prev is not None else np.zeros(self.size)
                zk = None
                if y_all is not None:
                    try:
                        zk, iters[k] = self._newton_reduced(setup, y_all[k], z0k, groups)
                        sub = "reduced"
                    except ConvergenceError:
                        zk = None
                if zk is None:
                    sub = "general"
                    zk, iters[k] = solve_dc(
                        comp,
                        self.matrix(),
                        rhs[:, k],
                        z0k,
                        self.opts,
                        lambda s, b=rhs[:, k]: b * s,
                    )
                if method == "batched":
                    method = f"batched+{sub}"
                elif method.startswith("batched+"):
                    if sub == "general":
                        method = "batched+general"
                elif method != "general":
                    method = sub
                z[k] = zk
                prev = zk
            self._last = None if prev is None else np.array(prev)
        residual = self._residual(z, rhs, setup["data"], groups)
        return OPSolution(
            z=z,
            iterations=iters,
            residual=residual,
            method=method,
            _index=self._node_index(),
            _branch=comp.branch_row_lower,
        )

    def node_indices(self, nodes: Sequence[str]) -> IntArray:
        """Unknown indices of ``nodes`` (for ``OPSolution.z[:, idx]``; ground not allowed)."""
        index = self._node_index()
        try:
            return np.array([index[str(nd)] for nd in nodes], dtype=np.intp)
        except KeyError as exc:
            raise ParameterError(f"The compiled circuit has no node {exc.args[0]!r}.") from None

    def _node_index(self) -> dict[str, int]:
        """Node name -> unknown index (ground and aliases left out), built once."""
        if self._index_cache is None:
            self._index_cache = {
                nd: i for nd, i in self.comp.index.items() if nd != GROUND and i >= 0
            }
        return self._index_cache

    def _newton_batched(
        self, setup: dict[str, Any], y: Array, z0: Array
    ) -> tuple[Array, NDArray[np.int64], NDArray[np.bool_]]:
        """One Newton for B samples at once on the free nonlinear nodes F (shared matrix).

        With the linear part reduced to the nonlinear unknowns, ``z_N = y_N − S D i(v)``;
        pinned nodes (P) keep their source value and, with ``C = S_FF⁻¹``, every companion
        system is the dense |F| x |F| system ``(C + D_F diag(g) D_Fᵀ) z_F = C y_F −
        D_F (g v_P + i_eq)`` (v_P: the pinned terminals' part of the branch voltages), solved
        for all samples by one batched LU; then ``z = y − W D (g v + i_eq)``. Same companion
        models, junction limiting (per sample) and convergence test on every unknown as
        :meth:`_newton_reduced` and the engine's full Newton; the test on all unknowns is
        evaluated only for samples whose nonlinear nodes already passed it. Returns
        (z (B, size), iterations (B,), converged (B,)); unconverged rows are undefined.
        """
        opts = self.opts
        st = self._structure()
        groups, slices = st["groups"], st["slices"]
        c = setup["c"]
        wt = setup["wt"]
        nl = self.nl_rows
        k = nl.size
        f_loc, p_loc = st["F"], st["P"]
        kf = f_loc.size
        ea, eb = st["ea"], st["eb"]
        d_f, d_n = st["d_f"], st["d"]
        j_pos, j_map = st["j_pos"], st["j_map"]
        bsz = y.shape[0]
        tol_abs = np.full(self.size, opts.abstol)
        tol_abs[: self.n] = opts.vntol
        y_n = np.ascontiguousarray(y[:, nl])
        # pinned terminals at their source values, padded with a ground column (index -1)
        zfix = np.zeros((bsz, k + 1))
        zfix[:, p_loc] = y_n[:, p_loc]
        vfix = zfix[:, ea] - zfix[:, eb]
        hub = setup.get("hub")
        if hub is None:
            cy = y_n[:, f_loc] @ c.T
        else:
            my = y[:, hub["rows"]] @ hub["m"].T  # M y_R on F ∪ H
            cy, my_h = my[:, :kf], my[:, kf:]
            mdiag, mfh, mhf, mhh = hub["diag"], hub["mfh"], hub["mhf"], hub["mhh"]
        zn = np.zeros((bsz, k + 1))
        zn[:, :k] = z0[:, nl]
        vlast = zn[:, ea] - zn[:, eb]
        v_raw = vlast
        q_prev: Array | None = None
        out = np.zeros((bsz, self.size))
        iters = np.zeros(bsz, dtype=np.int64)
        ok = np.zeros(bsz, dtype=bool)
        act = np.arange(bsz)  # samples still iterating
        z0_act = np.asarray(z0)
        n_el = ea.size
        for it in range(1, opts.max_iter + 1):
            na = act.size
            v = np.empty((na, n_el))
            gd = np.empty((na, n_el))
            ieq = np.empty((na, n_el))
            limited = np.zeros(na, dtype=bool)
            bad = np.zeros(na, dtype=bool)
            for j, g in enumerate(groups):
                sl = slices[j]
                vj, lim = limit_step_mask(g, v_raw[:, sl], vlast[:, sl])
                limited |= lim.any(axis=1)
                v[:, sl] = vj
                with np.errstate(over="ignore", invalid="ignore"):
                    both = getattr(g.model, "current_and_didv", None) if g.kind == "D" else None
                    if both is not None:
                        i, gj = both(vj)
                    else:
                        i = np.asarray(g.current(vj), dtype=float)
                        gj = np.asarray(g.didv(vj), dtype=float)
                bad |= ~(np.isfinite(i).all(axis=1) & np.isfinite(gj).all(axis=1))
                gd[:, sl] = gj
                ieq[:, sl] = i - gj * vj
            vlast = v
            rhs = cy[act] - np.asarray(d_f @ (gd * vfix[act] + ieq).T).T
            with np.errstate(all="ignore"):
                try:
                    if hub is None:
                        jac = np.repeat(c[None], na, axis=0).reshape(na, kf * kf)
                        jac[:, j_pos] += np.asarray(j_map.T @ gd.T).T
                        zf = np.linalg.solve(jac.reshape(na, kf, kf), rhs[:, :, None])[:, :, 0]
                    else:
                        # arrow system [[diag(M_FF) + gamma, M_FH], [M_HF, M_HH]]: F by
                        # division, the hubs by their |H| x |H| Schur complement
                        inv_d = 1.0 / (mdiag[None] + np.asarray(st["d_f2"] @ gd.T).T)
                        schur = mhh[None] - np.matmul(mhf[None] * inv_d[:, None, :], mfh)
                        r_h = my_h[act] - (rhs * inv_d) @ mhf.T
                        x_h = np.linalg.solve(schur, r_h[:, :, None])[:, :, 0]
                        zf = (rhs - x_h @ mfh.T) * inv_d
                except np.linalg.LinAlgError:
                    zf = np.full((na, kf), np.nan)
            zn_new = zfix[act].copy()
            zn_new[:, f_loc] = zf
            bad |= ~np.isfinite(zf).all(axis=1)
            # companion currents into the nonlinear unknowns at the new iterate
            v_new = zn_new[:, ea] - zn_new[:, eb]
            q = np.asarray(d_n @ (gd * v_new + ieq).T).T
            dzn = np.abs(zn_new[:, :k] - zn[:, :k])
            cand = (
                ~limited
                & ~bad
                & np.all(dzn <= opts.reltol * np.abs(zn_new[:, :k]) + opts.vntol, axis=1)
            )
            done = np.zeros(na, dtype=bool)
            if cand.any():
                ci = np.flatnonzero(cand)
                rows = act[ci]
                z_new = y[rows] - q[ci] @ wt
                z_old = z0_act[rows] if q_prev is None else y[rows] - q_prev[ci] @ wt
                conv = np.all(
                    np.abs(z_new - z_old) <= opts.reltol * np.abs(z_new) + tol_abs, axis=1
                )
                done[ci[conv]] = True
                out[rows[conv]] = z_new[conv]
                iters[rows[conv]] = it
                ok[rows[conv]] = True
            keep = ~done & ~bad
            if not keep.any():
                break
            act = act[keep]
            zn = zn_new[keep]
            vlast = vlast[keep]
            v_raw = v_new[keep]
            q_prev = q[keep]
        return out, iters, ok

    def _newton_reduced(
        self, setup: dict[str, Any], y: Array, z0: Array, groups: list[Any]
    ) -> tuple[Array, int]:
        """Newton on the nonlinear unknowns (see the module docstring); iterates as dc.newton."""
        opts = self.opts
        st = self._structure()
        w, s = setup["w"], setup["s"]
        nl = self.nl_rows
        k = nl.size
        tol_abs = np.full(self.size, opts.abstol)
        tol_abs[: self.n] = opts.vntol
        d, dt, slices = st["d"], st["dt"], st["slices"]
        sdt = setup["sdt"]
        if sdt is None:
            sdt = setup["sdt"] = np.ascontiguousarray(dt @ s.T)
        z = z0.copy()
        zn = z[nl]
        v_all = dt @ zn
        vlast = [v_all[sl] for sl in slices]
        eye = np.eye(k)
        n_el = dt.shape[0]
        g_all = np.empty(n_el)
        ieq_all = np.empty(n_el)
        y_n = y[nl]
        for it in range(1, opts.max_iter + 1):
            limited = False
            v_all = dt @ zn
            for j, g in enumerate(groups):
                sl = slices[j]
                v, lim = limit_step(g, v_all[sl], vlast[j])
                limited |= lim
                vlast[j] = v
                with np.errstate(over="ignore"):
                    i = g.current(v)
                    gd = g.didv(v)
                if not (np.all(np.isfinite(i)) and np.all(np.isfinite(gd))):
                    raise ConvergenceError("nonlinear current overflowed", residual=float("inf"))
                g_all[sl] = gd
                ieq_all[sl] = i - gd * v
            c_n = d @ ieq_all
            # (I + S G) z_N = y_N - S c_N with S G = (S D) diag(g) D^T;  z = y - W (G z_N + c_N)
            # J^T = I + D diag(g) (S D)^T (sparse D times a contiguous block); solve J x = r
            jac_t = eye + d @ (sdt * g_all[:, None])
            zn_new = sla.solve(jac_t, y_n - s @ c_n, transposed=True, check_finite=False)
            znew = y - w @ (d @ (g_all * (dt @ zn_new)) + c_n)
            if not np.all(np.isfinite(znew)):
                break
            dz = np.abs(znew - z)
            z = znew
            zn = zn_new
            if limited:
                continue
            if np.all(dz <= opts.reltol * np.abs(z) + tol_abs):
                return z, it
        raise ConvergenceError("reduced Newton did not converge", residual=float("nan"))

    def _residual(self, z: Array, rhs: Array, data: Array, groups: list[Any]) -> Array:
        """Largest KCL residual over the node rows per sample (A), from the element laws."""
        if self.n == 0:
            return np.zeros(z.shape[0])
        a = sp.csc_matrix((data, self.pat_indices, self.pat_indptr), shape=(self.size,) * 2)
        f = (a @ z.T) - rhs
        if groups:
            st = self._structure()
            zp = np.concatenate([z, np.zeros((z.shape[0], 1))], axis=1)  # index -1: ground
            cur = np.empty((z.shape[0], st["ea"].size))
            for g, sl in zip(groups, st["slices"], strict=True):
                with np.errstate(over="ignore", invalid="ignore"):
                    cur[:, sl] = np.asarray(g.current(zp[:, g.a] - zp[:, g.b]), dtype=float)
            f += st["d_full"] @ cur.T
        if self.comp.bsrc_i or self.comp.bsrc_v:
            nls = NonlinearStamps(self.comp)
            for kk in range(z.shape[0]):
                f[:, kk] += _bsrc_rows(nls, z[kk])
        return np.asarray(np.max(np.abs(f[: self.n]), axis=0))


def _inverse_ok(inv: Array, a: Array, tol: float = 1e-8) -> bool:
    """Return True if ``inv @ a`` is the identity to ``tol`` on four random probes (O(n²))."""
    x = np.random.default_rng(0).standard_normal((a.shape[0], 4))
    return bool(np.max(np.abs(inv @ (a @ x) - x)) <= tol * np.max(np.abs(x)))


def _bv(zn: Array, ga: IntArray, gb: IntArray) -> Array:
    """Branch voltages from the nonlinear unknowns (local index -1 = ground)."""
    va = np.where(ga >= 0, zn[np.maximum(ga, 0)], 0.0)
    vb = np.where(gb >= 0, zn[np.maximum(gb, 0)], 0.0)
    return va - vb


def _stamp_dense(gmat: Array, c: Array, ga: IntArray, gb: IntArray, gd: Array, ieq: Array) -> None:
    """Companion conductances and equivalent currents into the dense reduced system."""
    k = gmat.shape[0]
    flat = gmat.reshape(-1)
    ma, mb = ga >= 0, gb >= 0
    both = ma & mb
    np.add.at(flat, ga[ma] * (k + 1), gd[ma])
    np.add.at(flat, gb[mb] * (k + 1), gd[mb])
    np.add.at(flat, ga[both] * k + gb[both], -gd[both])
    np.add.at(flat, gb[both] * k + ga[both], -gd[both])
    np.add.at(c, ga[ma], ieq[ma])
    np.add.at(c, gb[mb], -ieq[mb])


def _bsrc_rows(nls: Any, z: Array) -> Array:
    """B-source contributions to the rows (the two-terminal groups are added separately)."""
    comp = nls.comp
    saved = comp.groups, comp.mem_nl
    try:
        comp.groups, comp.mem_nl = [], []
        return np.asarray(nls.currents_into_rows(z))
    finally:
        comp.groups, comp.mem_nl = saved


def compile_circuit(
    circuit: Circuit,
    *,
    options: NewtonOptions | None = None,
    base: StampedCircuit | None = None,
) -> StampedCircuit:
    """Compile ``circuit`` once for repeated operating points with changing values.

    Returns a :class:`StampedCircuit`: ``.set_values(names, values)`` (SPICE ``alter``),
    ``.set_states(names, x)``, ``.operating_point()``, ``.operating_points(names, values)``.

    ``base``: a compiled circuit that ``circuit`` extends by elements on ``base``'s hub
    nodes (and new nodes pinned by grounded sources), e.g. EP's nudged circuit over the free
    one. While the shared elements have the same values, this circuit uses ``base``'s
    factorisation with an exact low-rank (Woodbury) correction on the hubs instead of its
    own; otherwise (other values, or not an extension) it factors its own matrix.
    """
    return StampedCircuit(circuit, options, base)


__all__ = ["HUB_LIMIT", "REDUCED_LIMIT", "OPSolution", "StampedCircuit", "compile_circuit"]

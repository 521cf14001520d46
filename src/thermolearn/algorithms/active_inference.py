"""Discrete active inference for POMDPs: state inference, policy inference, learning.

The generative model is the usual one of discrete active inference [1]_ [2]_:

* ``A[m]`` — likelihood of modality ``m``, shape ``(n_obs[m], n_states[0], ..., n_states[F-1])``,
  ``A[m][o, s_0, ..., s_{F-1}] = p(o_m = o | s)``;
* ``B[f]`` — transitions of factor ``f``, shape ``(n_states[f], n_states[f], n_controls[f])``,
  ``B[f][s', s, u] = p(s'_f | s_f, u_f)``;
* ``C[m]`` — preferences over outcomes as relative log probabilities (turned into
  ``ln softmax(C[m])``);
* ``D[f]`` — prior over initial states; ``E`` — prior over policies (habits).

State inference minimises the variational free energy
``F[q] = sum_f q_f . (ln q_f - ln prior_f) - E_q[ln p(o|s)]`` under a mean-field ``q``: for one
factor the minimum is reached in closed form (``q = softmax(ln p(o|s) + ln prior)``); for several
factors a fixed-point iteration updates every marginal from the same expected log likelihood
until ``|dF| < dF_tol``. Policy inference scores each policy by its expected free energy

    EFE(pi) = - sum_tau [ E_q(o|pi) ln p~(o)  +  I(o; s | pi)  (+ parameter information gain) ]

(risk + ambiguity, written as minus expected utility minus epistemic value) and sets
``q(pi) = softmax(-gamma EFE(pi) + ln E)``. Actions are drawn from the marginal of ``q(pi)``
over first actions. Dirichlet counts ``pA`` and ``pB`` are learned by adding the
(outer-product) sufficient statistics of each observation and belief.

The numerical conventions (log floor 1e-16, the ``exp(-16)`` floor inside the state information
gain, the fixed-point stopping rule, the default precisions gamma = alpha = 16) follow
inferactively-pymdp 0.0.7.1 [3]_, so that this module's posteriors agree with that reference to
floating-point accuracy; the tests check this.

References
----------
.. [1] K. Friston, T. FitzGerald, F. Rigoli, P. Schwartenbeck, G. Pezzulo, "Active inference:
   a process theory", Neural Computation 29, 1-49 (2017).
.. [2] L. Da Costa, T. Parr, N. Sajid, S. Veselic, V. Neacsu, K. Friston, "Active inference on
   discrete state-spaces: a synthesis", J. Math. Psychol. 99, 102447 (2020).
.. [3] C. Heins et al., "pymdp: A Python library for active inference in discrete state
   spaces", J. Open Source Softw. 7(73), 4098 (2022).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.errors import ParameterError
from thermolearn.validation import check_choice, check_int, check_positive

Array = NDArray[np.float64]

LOG_FLOOR = 1e-16
"""Added before every logarithm of a probability (pymdp's ``spm_log_single``)."""
SALIENCE_FLOOR = float(np.exp(-16.0))
"""Floor inside the state-information-gain term and its state mask (pymdp's ``spm_MDP_G``)."""


# --------------------------------------------------------------------------------------------
# array kernels
# --------------------------------------------------------------------------------------------
def log_stable(p: ArrayLike) -> Array:
    """Return ``ln(p + 1e-16)``."""
    return np.log(np.asarray(p, dtype=np.float64) + LOG_FLOOR)


def softmax(x: ArrayLike) -> Array:
    """Softmax of a 1-D array (shifted by its maximum)."""
    z = np.asarray(x, dtype=np.float64)
    z = np.exp(z - z.max())
    return np.asarray(z / z.sum(), dtype=np.float64)


def outer(factors: Sequence[Array]) -> Array:
    """Outer product of a sequence of 1-D arrays, shape ``(len(f0), len(f1), ...)``."""
    out = reduce(np.multiply.outer, [np.asarray(f, dtype=np.float64) for f in factors])
    return np.asarray(out, dtype=np.float64)


def expected_obs(A_m: Array, qs: Sequence[Array]) -> Array:
    """Return ``sum_s A_m[o, s] prod_f q_f(s_f)``, the predicted outcomes of one modality."""
    out = A_m
    for q in reversed(qs):
        out = out @ q
    return np.asarray(out, dtype=np.float64)


def log_likelihood(A: Sequence[Array], obs: Sequence[int]) -> Array:
    """``ln p(o|s)`` over the joint state space (all modalities), floored at 1e-16."""
    lik = reduce(np.multiply, [A_m[int(o)] for A_m, o in zip(A, obs, strict=True)])
    return log_stable(lik)


def variational_free_energy(
    qs: Sequence[Array], log_prior: Sequence[Array], log_lik: Array
) -> float:
    """Mean-field free energy ``sum_f q_f.(ln q_f - ln prior_f) - E_q ln p(o|s)`` in nats."""
    f = 0.0
    for q, lp in zip(qs, log_prior, strict=True):
        f += float(q @ np.log(q + LOG_FLOOR) - q @ lp)
    f -= float(np.sum(log_lik * outer(qs)))
    return f


def infer_states(
    A: Sequence[Array],
    obs: Sequence[int],
    prior: Sequence[Array],
    *,
    num_iter: int = 10,
    dF_tol: float = 1e-3,
) -> tuple[list[Array], float]:
    """Minimise the variational free energy over mean-field state marginals.

    Parameters
    ----------
    A : sequence of ndarray
        Likelihood arrays, one per modality.
    obs : sequence of int
        Observed outcome index per modality.
    prior : sequence of ndarray
        Prior (empirical prior) over each factor.
    num_iter, dF_tol : int, float
        Fixed-point iteration budget and stopping tolerance on ``|dF|`` (nats), used when
        there is more than one factor.

    Returns
    -------
    qs : list of ndarray
        Posterior marginals.
    F : float
        Variational free energy (nats) at ``qs``.
    """
    ll = log_likelihood(A, obs)
    log_prior = [log_stable(p) for p in prior]
    n_f = len(prior)
    if n_f == 1:
        q = softmax(ll + log_prior[0])
        return [q], variational_free_energy([q], log_prior, ll)
    qs = [np.full(p.shape[0], 1.0 / p.shape[0]) for p in prior]
    # initial value of F without the accuracy term, as the reference implementation does
    prev = sum(
        float(q @ np.log(q + LOG_FLOOR) - q @ lp) for q, lp in zip(qs, log_prior, strict=True)
    )
    d_f = 1.0
    it = 0
    while it < num_iter and d_f >= dF_tol:
        weighted = ll * outer(qs)
        new = []
        for f, q in enumerate(qs):
            axes = tuple(i for i in range(n_f) if i != f)
            ql = weighted.sum(axis=axes) / q
            new.append(softmax(ql + log_prior[f]))
        qs = new
        vfe = variational_free_energy(qs, log_prior, ll)
        d_f = abs(prev - vfe)
        prev = vfe
        it += 1
    return qs, variational_free_energy(qs, log_prior, ll)


def _joint_likelihood_matrix(A: Sequence[Array]) -> Array:
    """``p(o_1, ..., o_M | s)`` as a matrix of shape (prod n_obs, prod n_states)."""
    n_states = A[0].shape[1:]
    s_size = int(np.prod(n_states))
    mats = [A_m.reshape(A_m.shape[0], s_size) for A_m in A]
    joint = mats[0]
    for m in mats[1:]:
        joint = (joint[:, None, :] * m[None, :, :]).reshape(-1, s_size)
    return joint


def state_info_gain(joint_A: Array, qs: Sequence[Array]) -> float:
    """Return the expected information gain about states, ``H[q(o)] - E_q(s) H[p(o|s)]`` (nats).

    ``joint_A`` is the joint likelihood matrix from all modalities (outcomes x states).
    """
    qx = outer(qs).ravel()
    mask = qx > SALIENCE_FLOOR
    qx_m = qx[mask]
    po = joint_A[:, mask]
    neg_h = float(qx_m @ np.sum(po * np.log(po + SALIENCE_FLOOR), axis=0))
    qo = po @ qx_m
    return neg_h - float(qo @ log_stable(qo))


def dirichlet_expected_log_surprise(p: Array) -> Array:
    """Return ``1/sum(p) - 1/p`` column-wise (novelty weights of Dirichlet counts, spm_wnorm)."""
    p = p + LOG_FLOOR
    return np.asarray(1.0 / p.sum(axis=0) - 1.0 / p, dtype=np.float64)


def construct_policies(n_controls: Sequence[int], policy_len: int = 1) -> list[NDArray[np.int64]]:
    """Every sequence of ``policy_len`` joint actions, each policy of shape (policy_len, F)."""
    combos = itertools.product(*[range(int(n)) for n in list(n_controls) * policy_len])
    return [np.array(c, dtype=np.int64).reshape(policy_len, len(n_controls)) for c in combos]


# --------------------------------------------------------------------------------------------
# agent
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class DiscreteAgentParams:
    """Precisions and switches of :class:`DiscreteAgent` (all dimensionless).

    Parameters
    ----------
    gamma : float
        Precision of the policy posterior, ``q(pi) = softmax(-gamma EFE + ln E)``.
    alpha : float
        Precision of stochastic action selection, ``p(u) = softmax(alpha ln q(u))``.
    policy_len : int
        Planning horizon (actions per policy) when policies are built automatically.
    use_utility, use_states_info_gain, use_param_info_gain : bool
        Terms of the expected free energy.
    action_selection : {"deterministic", "stochastic"}
        Argmax of the action marginal, or a draw from its sharpened version.
    num_iter : int
        Fixed-point iterations of state inference (several factors).
    dF_tol : float
        Stopping tolerance on the change of F (nats).
    lr_pA, lr_pB : float
        Learning rates (pseudo-count scale) of the Dirichlet updates.
    """

    gamma: float = 16.0
    alpha: float = 16.0
    policy_len: int = 1
    use_utility: bool = True
    use_states_info_gain: bool = True
    use_param_info_gain: bool = False
    action_selection: str = "deterministic"
    num_iter: int = 10
    dF_tol: float = 1e-3
    lr_pA: float = 1.0
    lr_pB: float = 1.0

    def __post_init__(self) -> None:
        owner = "DiscreteAgentParams"
        check_positive(self.gamma, "gamma", owner)
        check_positive(self.alpha, "alpha", owner)
        check_int(self.policy_len, "policy_len", owner, minimum=1)
        check_choice(
            self.action_selection, "action_selection", owner, ("deterministic", "stochastic")
        )
        check_int(self.num_iter, "num_iter", owner, minimum=1)
        check_positive(self.dF_tol, "dF_tol", owner, "nats")
        check_positive(self.lr_pA, "lr_pA", owner)
        check_positive(self.lr_pB, "lr_pB", owner)


def _as_list(x: Any, name: str) -> list[Array]:
    """One array (a single modality/factor) or a sequence / object array of arrays -> list."""
    if x is None:
        raise ParameterError(f"The '{name}' argument of DiscreteAgent must be given; got None.")
    items = [x] if isinstance(x, np.ndarray) and x.dtype != object else list(x)
    out = []
    for i, a in enumerate(items):
        arr = np.asarray(a, dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"The '{name}[{i}]' array of DiscreteAgent must be finite.")
        out.append(arr.copy())
    return out


def _check_normalised(arrs: Sequence[Array], name: str) -> None:
    for i, a in enumerate(arrs):
        if np.any(a < 0) or not np.allclose(a.sum(axis=0), 1.0, atol=1e-8):
            raise ParameterError(
                f"The '{name}[{i}]' array of DiscreteAgent must be non-negative with columns "
                f"summing to 1 (axis 0); column sums range over "
                f"[{a.sum(axis=0).min():.6g}, {a.sum(axis=0).max():.6g}]."
            )


def _normalise(counts: Array) -> Array:
    s = counts.sum(axis=0, keepdims=True)
    return np.asarray(np.divide(counts, s, out=np.zeros_like(counts), where=s > 0), np.float64)


@dataclass
class DiscreteAgent:
    """Active-inference agent for a factorised discrete POMDP.

    Parameters
    ----------
    A : ndarray or sequence of ndarray
        Likelihood array(s), one per modality, columns normalised over axis 0.
    B : ndarray or sequence of ndarray
        Transition array(s), one per factor, shape (n_s, n_s, n_u), normalised over axis 0.
    C : sequence of ndarray, optional
        Preferences (relative log probabilities) per modality; zeros by default.
    D : sequence of ndarray, optional
        Initial-state prior per factor; uniform by default.
    E : ndarray, optional
        Prior over policies; uniform by default.
    pA, pB : sequence of ndarray, optional
        Dirichlet counts over A and B; when given, learning updates them and A/B become their
        expectations.
    params : DiscreteAgentParams
        Precisions and switches.
    policies : sequence of ndarray, optional
        Policies, each (policy_len, n_factors) of action indices; all combinations by default.
    learn_modalities, learn_factors : sequence of int, optional
        Which modalities / factors the Dirichlet updates touch (all by default).
    rng : numpy.random.Generator, optional
        Source of randomness for stochastic action selection.

    Examples
    --------
    >>> A, B = tmaze_model()
    >>> agent = DiscreteAgent(A, B, C=tmaze_preferences())
    >>> qs = agent.infer_states([0, 0, 0])
    >>> q_pi, efe = agent.infer_policies()
    >>> int(agent.sample_action()[0])  # goes to the cue first
    3
    """

    A: Any
    B: Any
    C: Any = None
    D: Any = None
    E: Any = None
    pA: Any = None
    pB: Any = None
    params: DiscreteAgentParams = field(default_factory=DiscreteAgentParams)
    policies: Any = None
    learn_modalities: Any = None
    learn_factors: Any = None
    rng: np.random.Generator | None = None

    def __post_init__(self) -> None:
        self.A = _as_list(self.A, "A")
        self.B = _as_list(self.B, "B")
        if self.pA is not None:
            self.pA = _as_list(self.pA, "pA")
            self.A = [_normalise(p) for p in self.pA]
        if self.pB is not None:
            self.pB = _as_list(self.pB, "pB")
            self.B = [_normalise(p) for p in self.pB]
        _check_normalised(self.A, "A")
        _check_normalised(self.B, "B")
        self.n_states = [b.shape[0] for b in self.B]
        self.n_controls = [b.shape[2] for b in self.B]
        self.n_obs = [a.shape[0] for a in self.A]
        for m, a in enumerate(self.A):
            if tuple(a.shape[1:]) != tuple(self.n_states):
                raise ParameterError(
                    f"The 'A[{m}]' array of DiscreteAgent must have shape (n_obs, "
                    f"{', '.join(map(str, self.n_states))}); got {a.shape}."
                )
        self.C = [np.zeros(n) for n in self.n_obs] if self.C is None else _as_list(self.C, "C")
        self.D = (
            [np.full(n, 1.0 / n) for n in self.n_states]
            if self.D is None
            else _as_list(self.D, "D")
        )
        _check_normalised(self.D, "D")
        if self.policies is None:
            self.policies = construct_policies(self.n_controls, self.params.policy_len)
        else:
            self.policies = [np.atleast_2d(np.asarray(p, dtype=np.int64)) for p in self.policies]
        n_pi = len(self.policies)
        self.E = np.full(n_pi, 1.0 / n_pi) if self.E is None else np.asarray(self.E, float)
        if self.E.shape != (n_pi,):
            raise ParameterError(
                f"The 'E' argument of DiscreteAgent must have shape ({n_pi},); got {self.E.shape}."
            )
        if self.learn_modalities is None:
            self.learn_modalities = list(range(len(self.A)))
        if self.learn_factors is None:
            self.learn_factors = list(range(len(self.B)))
        if self.rng is None:
            self.rng = np.random.default_rng()
        self._joint_A = _joint_likelihood_matrix(self.A)
        self.reset()

    # -- bookkeeping ---------------------------------------------------------------------
    def reset(self) -> list[Array]:
        """Start a new trial: uniform beliefs, no previous action; returns ``qs``."""
        self.qs = [np.full(n, 1.0 / n) for n in self.n_states]
        self.action: NDArray[np.int64] | None = None
        self.q_pi = np.asarray(self.E, dtype=np.float64).copy()
        self.efe = np.zeros(len(self.policies))
        self.F = float("nan")
        return self.qs

    def empirical_prior(self) -> list[Array]:
        """``D`` at the first step, else ``B[:, :, u] q`` after action ``u``."""
        if self.action is None:
            return [d.copy() for d in self.D]
        return [self.B[f][:, :, int(self.action[f])] @ self.qs[f] for f in range(len(self.B))]

    # -- perception ----------------------------------------------------------------------
    def infer_states(self, obs: Sequence[int]) -> list[Array]:
        """Infer the current hidden states from outcome indices ``obs`` (one per modality)."""
        obs = [int(o) for o in np.atleast_1d(np.asarray(obs))]
        if len(obs) != len(self.A):
            raise ParameterError(
                f"The 'obs' argument of DiscreteAgent.infer_states needs one index per modality "
                f"({len(self.A)}); got {obs!r}."
            )
        for m, o in enumerate(obs):
            if not 0 <= o < self.n_obs[m]:
                raise ParameterError(
                    f"The 'obs[{m}]' argument of DiscreteAgent.infer_states must lie in "
                    f"[0, {self.n_obs[m] - 1}]; got {o}."
                )
        self.qs, self.F = infer_states(
            self.A,
            obs,
            self.empirical_prior(),
            num_iter=self.params.num_iter,
            dF_tol=self.params.dF_tol,
        )
        return self.qs

    # -- planning ------------------------------------------------------------------------
    def expected_states(self, policy: NDArray[np.int64]) -> list[list[Array]]:
        """Predicted state marginals at each future step of ``policy``."""
        out = []
        qs = self.qs
        for t in range(policy.shape[0]):
            qs = [self.B[f][:, :, int(policy[t, f])] @ qs[f] for f in range(len(self.B))]
            out.append(qs)
        return out

    def neg_expected_free_energy(self, policy: NDArray[np.int64]) -> float:
        """Return expected utility + information gain of ``policy`` (= −EFE), in nats."""
        p = self.params
        ln_c = [log_stable(softmax(c)) for c in self.C]
        total = 0.0
        for qs_t in self.expected_states(policy):
            qo = [expected_obs(a, qs_t) for a in self.A]
            if p.use_utility:
                total += sum(float(q @ lc) for q, lc in zip(qo, ln_c, strict=True))
            if p.use_states_info_gain:
                total += state_info_gain(self._joint_A, qs_t)
            if p.use_param_info_gain and self.pA is not None:
                for m, pa in enumerate(self.pA):
                    w = dirichlet_expected_log_surprise(pa) * (pa > 0)
                    total -= float(qo[m] @ expected_obs(w, qs_t))
        if p.use_param_info_gain and self.pB is not None:
            prev = self.qs
            for qs_t, u in zip(self.expected_states(policy), policy, strict=True):
                for f, pb in enumerate(self.pB):
                    w = dirichlet_expected_log_surprise(pb[:, :, int(u[f])]) * (
                        pb[:, :, int(u[f])] > 0
                    )
                    total -= float(qs_t[f] @ (w @ prev[f]))
                prev = qs_t
        return total

    def infer_policies(self) -> tuple[Array, Array]:
        """Posterior over policies and their expected free energies.

        Returns
        -------
        q_pi : ndarray
            ``softmax(-gamma EFE + ln E)``.
        efe : ndarray
            Expected free energy of each policy (nats); pymdp reports ``-efe`` as ``G``.
        """
        neg = np.array([self.neg_expected_free_energy(pi) for pi in self.policies])
        self.efe = -neg
        self.q_pi = softmax(self.params.gamma * neg + log_stable(self.E))
        return self.q_pi, self.efe

    def action_marginals(self) -> list[Array]:
        """Marginal posterior over each factor's first action."""
        marg = [np.zeros(n) for n in self.n_controls]
        for q, pi in zip(self.q_pi, self.policies, strict=True):
            for f, u in enumerate(pi[0]):
                marg[f][int(u)] += q
        return [m / m.sum() for m in marg]

    def sample_action(self) -> NDArray[np.int64]:
        """Choose the next action per factor (argmax, or a draw with precision ``alpha``)."""
        assert self.rng is not None
        act = np.zeros(len(self.n_controls), dtype=np.int64)
        for f, m in enumerate(self.action_marginals()):
            if self.params.action_selection == "deterministic":
                act[f] = int(np.argmax(m))
            else:
                p = softmax(self.params.alpha * log_stable(m))
                act[f] = int(self.rng.choice(len(p), p=p))
        self.action = act
        return act

    # -- learning ------------------------------------------------------------------------
    def update_A(self, obs: Sequence[int], qs: Sequence[Array] | None = None) -> list[Array]:
        """Add ``lr_pA * onehot(o) ⊗ q(s)`` to the counts of each learned modality; returns pA.

        ``qs`` defaults to the current posterior; pass a smoothed posterior (beliefs about the
        state at the time of ``obs`` given the whole trial) for retrospective learning.
        """
        if self.pA is None:
            raise ParameterError("DiscreteAgent.update_A needs Dirichlet counts 'pA'; got None.")
        beliefs = self.qs if qs is None else list(qs)
        for m in self.learn_modalities:
            o = np.zeros(self.n_obs[m])
            o[int(obs[m])] = 1.0
            stat = outer([o, *beliefs]) * (self.A[m] > 0)
            self.pA[m] = self.pA[m] + self.params.lr_pA * stat
            self.A[m] = _normalise(self.pA[m])
        self._joint_A = _joint_likelihood_matrix(self.A)
        return list(self.pA)

    def update_B(self, qs_prev: Sequence[Array]) -> list[Array]:
        """Add ``lr_pB * q(s_t) ⊗ q(s_{t-1})`` to the counts of the action taken; returns pB."""
        if self.pB is None:
            raise ParameterError("DiscreteAgent.update_B needs Dirichlet counts 'pB'; got None.")
        if self.action is None:
            raise ParameterError("DiscreteAgent.update_B needs a previous action; none was taken.")
        for f in self.learn_factors:
            u = int(self.action[f])
            stat = np.outer(self.qs[f], qs_prev[f]) * (self.B[f][:, :, u] > 0)
            self.pB[f][:, :, u] = self.pB[f][:, :, u] + self.params.lr_pB * stat
            self.B[f] = _normalise(self.pB[f])
        return list(self.pB)

    def step(self, obs: Sequence[int]) -> NDArray[np.int64]:
        """One perception-action cycle: infer states, infer policies, sample an action."""
        self.infer_states(obs)
        self.infer_policies()
        return self.sample_action()


# --------------------------------------------------------------------------------------------
# environments
# --------------------------------------------------------------------------------------------
CENTRE, LEFT, RIGHT, CUE = 0, 1, 2, 3
NO_REWARD, REWARD, LOSS = 0, 1, 2


def tmaze_model(
    reward_prob: float = 0.98, *, absorbing_arms: bool = True
) -> tuple[list[Array], list[Array]]:
    """Likelihood and transition arrays of the T-maze [1]_.

    Factors: location (centre, left arm, right arm, cue arm) and context (reward on the left,
    reward on the right). Modalities: location (observed exactly), reward outcome (none,
    reward, loss) and cue (left, right). In the arms the reward appears with probability
    ``reward_prob`` in the arm the context names and with ``1 - reward_prob`` in the other; the
    cue arm shows the context exactly; the cue is uninformative elsewhere. Any location can be
    reached from the centre and the cue arm in one move; with ``absorbing_arms`` (the original
    design of [1]_) an agent that enters a reward arm stays there for the rest of the trial,
    otherwise (pymdp's ``TMazeEnv``) it may leave. The context never changes within a trial.

    References
    ----------
    .. [1] K. Friston, F. Rigoli, D. Ognibene, C. Mathys, T. Fitzgerald, G. Pezzulo, "Active
       inference and epistemic value", Cogn. Neurosci. 6(4), 187-214 (2015).

    Returns
    -------
    A : list of ndarray
        Shapes (4, 4, 2), (3, 4, 2), (2, 4, 2).
    B : list of ndarray
        Shapes (4, 4, 4) and (2, 2, 1).
    """
    from thermolearn.validation import check_range

    check_range(reward_prob, "reward_prob", "tmaze_model", 0.0, 1.0)
    a_loc = np.zeros((4, 4, 2))
    a_rew = np.zeros((3, 4, 2))
    a_cue = np.zeros((2, 4, 2))
    for ctx in range(2):
        for loc in range(4):
            a_loc[loc, loc, ctx] = 1.0
            if loc in (CENTRE, CUE):
                a_rew[NO_REWARD, loc, ctx] = 1.0
            else:
                good = loc == ctx + 1
                a_rew[REWARD, loc, ctx] = reward_prob if good else 1.0 - reward_prob
                a_rew[LOSS, loc, ctx] = 1.0 - reward_prob if good else reward_prob
            if loc == CUE:
                a_cue[ctx, loc, ctx] = 1.0
            else:
                a_cue[:, loc, ctx] = 0.5
    b_loc = np.zeros((4, 4, 4))
    for u in range(4):
        b_loc[u, :, u] = 1.0
        if absorbing_arms:
            b_loc[:, LEFT, u] = 0.0
            b_loc[:, RIGHT, u] = 0.0
            b_loc[LEFT, LEFT, u] = 1.0
            b_loc[RIGHT, RIGHT, u] = 1.0
    b_ctx = np.eye(2).reshape(2, 2, 1)
    return [a_loc, a_rew, a_cue], [b_loc, b_ctx]


def tmaze_preferences(reward: float = 3.0, loss: float = -3.0) -> list[Array]:
    """Preferences C of the T-maze: indifferent to location and cue, ``reward``/``loss`` nats."""
    return [np.zeros(4), np.array([0.0, reward, loss]), np.zeros(2)]


def tmaze_reward_prior(
    A: Sequence[Array], reward_count: float = 1.0, loss_count: float = 1.0, known: float = 1e4
) -> list[Array]:
    """Dirichlet counts over A where only the reward contingency of the arms is unknown.

    In both arms and both contexts the reward and loss outcomes get ``reward_count`` and
    ``loss_count`` pseudo-counts (the same for every arm and context, so the prior says nothing
    about which arm pays in which context); every other entry of A is known, with ``known``
    times its probability as counts.
    """
    pA = [a * known for a in A]
    rew = A[1] * known
    for loc in (LEFT, RIGHT):
        rew[NO_REWARD, loc, :] = 0.0
        rew[REWARD, loc, :] = reward_count
        rew[LOSS, loc, :] = loss_count
    pA[1] = rew
    return pA


@dataclass
class TMazeEnv:
    """The T-maze world: the agent starts in the centre; the context is drawn each trial.

    Parameters
    ----------
    reward_prob : float
        Probability of reward in the arm named by the context.
    absorbing_arms : bool
        Whether the reward arms hold the agent once entered (see :func:`tmaze_model`).
    rng : numpy.random.Generator
        Source of the context and of reward outcomes.
    """

    reward_prob: float = 0.98
    absorbing_arms: bool = True
    rng: np.random.Generator = field(default_factory=np.random.default_rng)

    def __post_init__(self) -> None:
        self.A, self.B = tmaze_model(self.reward_prob, absorbing_arms=self.absorbing_arms)
        self.location = CENTRE
        self.context = 0

    def reset(self, context: int | None = None) -> list[int]:
        """Start a new trial (random context unless given); returns the first observation."""
        self.context = int(self.rng.integers(2)) if context is None else int(context)
        self.location = CENTRE
        return self.observe()

    def observe(self) -> list[int]:
        """Sample one outcome per modality from the current state."""
        return [
            int(self.rng.choice(a.shape[0], p=a[:, self.location, self.context])) for a in self.A
        ]

    def step(self, action: Sequence[int] | NDArray[np.int64]) -> list[int]:
        """Move as ``action[0]`` directs (arms may hold the agent); returns the observation."""
        self.location = int(np.argmax(self.B[0][:, self.location, int(action[0])]))
        return self.observe()

    @property
    def rewarded_arm(self) -> int:
        """The arm whose reward probability is ``reward_prob`` this trial."""
        return self.context + 1


GRID_ACTIONS = ("up", "down", "left", "right", "stay")


def grid_world_model(
    shape: tuple[int, int], *, obs_noise: float = 0.0
) -> tuple[list[Array], list[Array]]:
    """Likelihood and transitions of a grid world (one factor: the cell, row-major).

    Actions: up, down, left, right, stay; moves into a wall leave the agent in place. The cell
    is observed correctly with probability ``1 - obs_noise`` and otherwise as a uniformly
    drawn other cell.
    """
    from thermolearn.validation import check_range

    rows = check_int(shape[0], "shape[0]", "grid_world_model", minimum=1)
    cols = check_int(shape[1], "shape[1]", "grid_world_model", minimum=1)
    check_range(obs_noise, "obs_noise", "grid_world_model", 0.0, 1.0, inclusive=(True, False))
    n = rows * cols
    if n == 1:
        a = np.ones((1, 1))
    else:
        a = np.full((n, n), obs_noise / (n - 1))
        np.fill_diagonal(a, 1.0 - obs_noise)
    b = np.zeros((n, n, len(GRID_ACTIONS)))
    moves = [(-1, 0), (1, 0), (0, -1), (0, 1), (0, 0)]
    for s in range(n):
        r, c = divmod(s, cols)
        for u, (dr, dc) in enumerate(moves):
            rr, cc = r + dr, c + dc
            if not (0 <= rr < rows and 0 <= cc < cols):
                rr, cc = r, c
            b[rr * cols + cc, s, u] = 1.0
    return [a], [b]


@dataclass
class GridWorldEnv:
    """A grid world: the agent moves deterministically; observations may be noisy.

    Parameters
    ----------
    shape : tuple of int
        (rows, cols).
    start, goal : int
        Start and goal cells (row-major indices).
    obs_noise : float
        Probability that the observed cell is wrong.
    rng : numpy.random.Generator
        Source of observation noise.
    """

    shape: tuple[int, int] = (3, 3)
    start: int = 0
    goal: int = 8
    obs_noise: float = 0.0
    rng: np.random.Generator = field(default_factory=np.random.default_rng)

    def __post_init__(self) -> None:
        self.A, self.B = grid_world_model(self.shape, obs_noise=self.obs_noise)
        n = self.shape[0] * self.shape[1]
        check_int(self.start, "start", "GridWorldEnv", minimum=0)
        check_int(self.goal, "goal", "GridWorldEnv", minimum=0)
        if self.start >= n or self.goal >= n:
            raise ParameterError(
                f"The 'start'/'goal' parameters of GridWorldEnv must be < {n}; "
                f"got {self.start}, {self.goal}."
            )
        self.state = self.start

    def reset(self) -> list[int]:
        """Back to the start cell; returns the observation."""
        self.state = self.start
        return self.observe()

    def observe(self) -> list[int]:
        """Sample the observed cell."""
        return [int(self.rng.choice(self.A[0].shape[0], p=self.A[0][:, self.state]))]

    def step(self, action: Sequence[int] | NDArray[np.int64]) -> list[int]:
        """Apply a move; returns the observation."""
        self.state = int(np.argmax(self.B[0][:, self.state, int(action[0])]))
        return self.observe()


def grid_preferences(shape: tuple[int, int], goal: int, *, scale: float = 1.0) -> list[Array]:
    """Preferences over observed cells: ``-scale`` x Manhattan distance to ``goal`` (nats)."""
    rows, cols = shape
    gr, gc = divmod(goal, cols)
    c = np.array([-(abs(s // cols - gr) + abs(s % cols - gc)) for s in range(rows * cols)], float)
    return [scale * c]


# --------------------------------------------------------------------------------------------
# experiments
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TMazeTrial:
    """One T-maze trial: locations visited, context, outcome, free energy per step."""

    locations: tuple[int, ...]
    context: int
    rewarded: bool
    free_energy: tuple[float, ...]

    @property
    def cue_then_reward(self) -> bool:
        """True when the agent went to the cue first and then to the rewarded arm."""
        return (
            len(self.locations) >= 3
            and self.locations[1] == CUE
            and (self.locations[2] == self.context + 1)
        )


def run_tmaze_trial(
    agent: DiscreteAgent,
    env: TMazeEnv,
    *,
    learning: str = "trial_end",
    moves: int = 2,
    context: int | None = None,
) -> TMazeTrial:
    """Run one T-maze trial of ``moves`` moves.

    Parameters
    ----------
    agent : DiscreteAgent
        The agent (its beliefs are reset at the start).
    env : TMazeEnv
        The maze.
    learning : {"trial_end", "online", "none"}
        ``"online"`` updates ``pA`` after every observation with the current (filtered)
        posterior, as pymdp's agent does. ``"trial_end"`` updates it once the trial is over,
        with the posterior over each time step's state given the whole trial: the location is
        observed exactly and the context does not change within a trial, so that smoothed
        posterior is the current location belief times the *final* context belief (as in the
        end-of-trial learning of Friston et al. 2016, "Active inference and learning").
    moves : int
        Moves per trial.
    context : int, optional
        Force the context (random by default).
    """
    check_choice(learning, "learning", "run_tmaze_trial", ("trial_end", "online", "none"))
    agent.reset()
    obs = env.reset(context)
    locs = [env.location]
    fs = []
    history = []
    rewarded = False
    for t in range(moves + 1):
        agent.infer_states(obs)
        fs.append(agent.F)
        history.append((list(obs), [q.copy() for q in agent.qs]))
        if learning == "online" and agent.pA is not None:
            agent.update_A(obs)
        if obs[1] == REWARD:
            rewarded = True
        if t == moves:
            break
        agent.infer_policies()
        act = agent.sample_action()
        obs = env.step(act)
        locs.append(env.location)
    if learning == "trial_end" and agent.pA is not None:
        final_context = agent.qs[1]
        for o, qs in history:
            agent.update_A(o, [qs[0], final_context])
    return TMazeTrial(tuple(locs), env.context, rewarded, tuple(fs))


def make_tmaze_learner(
    *,
    rng: np.random.Generator,
    reward_prob: float = 0.98,
    reward_count: float = 1.5,
    loss_count: float = 0.75,
    loss: float = -6.0,
) -> DiscreteAgent:
    """Build a T-maze agent that knows the maze but not which arm each context rewards.

    It learns the reward contingency by Dirichlet updates of A (reward modality only), drawn
    to unexplored arms by novelty (parameter information gain) and choosing actions
    stochastically. Its preferences are ``+3`` nats for reward and ``loss`` for a loss (a
    risk-averse agent, so that entering an arm while the context is unknown is worse than
    reading the cue). The prior pseudo-counts (1.5 reward, 0.75 loss per arm and context) set
    how attractive an unexplored arm is: it expects reward with probability 2/3 and gains
    ``1/(reward_count + loss_count)`` nats of novelty there, which makes a first visit from
    the cue worth it while a blind visit from the centre is not.

    Outcomes depend on the seed: with ``rng = default_rng([seed, 3])``, 120 trials and the
    last 40 scored, seeds 0–7 gave cue-then-reward rates 1.0, 0.925, 1.0, 1.0, 1.0, 1.0, 0.5,
    1.0 — one agent in eight did not settle on the rewarded arms. The ≥ 90 % figure is a
    rate pooled over agents, not a guarantee for each one.
    """
    A, B = tmaze_model(reward_prob)
    return DiscreteAgent(
        A,
        B,
        C=tmaze_preferences(3.0, loss),
        D=[np.array([1.0, 0.0, 0.0, 0.0]), np.array([0.5, 0.5])],
        pA=tmaze_reward_prior(A, reward_count, loss_count),
        params=DiscreteAgentParams(use_param_info_gain=True, action_selection="stochastic"),
        learn_modalities=[1],
        rng=rng,
    )


__all__ = [
    "DiscreteAgent",
    "DiscreteAgentParams",
    "GRID_ACTIONS",
    "GridWorldEnv",
    "TMazeEnv",
    "TMazeTrial",
    "construct_policies",
    "grid_preferences",
    "grid_world_model",
    "infer_states",
    "make_tmaze_learner",
    "run_tmaze_trial",
    "softmax",
    "state_info_gain",
    "tmaze_model",
    "tmaze_preferences",
    "tmaze_reward_prior",
    "variational_free_energy",
]

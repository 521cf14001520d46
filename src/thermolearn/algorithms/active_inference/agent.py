"""The discrete active-inference agent (digital, or with A and B on crossbars)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.algorithms.active_inference.generative_model import (
    CrossbarGenerativeModel,
    DigitalGenerativeModel,
)
from thermolearn.algorithms.active_inference.kernels import (
    construct_policies,
    dirichlet_expected_log_surprise,
    expected_obs,
    infer_states_from_log_likelihood,
    log_stable,
    outer,
    softmax,
)
from thermolearn.energy import EnergyLedger
from thermolearn.errors import ParameterError
from thermolearn.hardware import Hardware
from thermolearn.validation import check_choice, check_int, check_positive

Array = NDArray[np.float64]


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
    hardware : Hardware, optional
        Store A and B as conductances of crossbars on this hardware and compute every product
        with them as crossbar reads
        (:class:`~thermolearn.algorithms.active_inference.generative_model.
        CrossbarGenerativeModel`); digital float64 by default.
    device_rng : numpy.random.Generator, optional
        Device draws and read noise of the crossbars (default ``default_rng(0)``), kept apart
        from ``rng`` so that ideal hardware draws the same actions as the digital agent.
    ledger : EnergyLedger, optional
        Where the crossbars book reads and programming (a new one at the hardware temperature
        by default); None for a digital agent.

    Examples
    --------
    >>> from thermolearn.algorithms.active_inference import tmaze_model, tmaze_preferences
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
    hardware: Hardware | None = None
    device_rng: np.random.Generator | None = None
    ledger: EnergyLedger | None = None

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
        self.model: DigitalGenerativeModel | CrossbarGenerativeModel
        if self.hardware is None:
            self.model = DigitalGenerativeModel(self.A, self.B)
        else:
            if not isinstance(self.hardware, Hardware):
                raise ParameterError(
                    "The 'hardware' argument of DiscreteAgent must be a Hardware; got "
                    f"{self.hardware!r}."
                )
            if self.ledger is None:
                self.ledger = EnergyLedger(self.hardware.temperature)
            self.model = CrossbarGenerativeModel(
                self.A,
                self.B,
                self.hardware,
                rng=self.device_rng if self.device_rng is not None else np.random.default_rng(0),
                ledger=self.ledger,
            )
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
        return [
            self.model.transition(f, int(self.action[f]), self.qs[f]) for f in range(len(self.B))
        ]

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
        self.qs, self.F = infer_states_from_log_likelihood(
            self.model.log_likelihood(obs),
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
            qs = [self.model.transition(f, int(policy[t, f]), qs[f]) for f in range(len(self.B))]
            out.append(qs)
        return out

    def neg_expected_free_energy(self, policy: NDArray[np.int64]) -> float:
        """Return expected utility + information gain of ``policy`` (= −EFE), in nats."""
        p = self.params
        ln_c = [log_stable(softmax(c)) for c in self.C]
        total = 0.0
        for qs_t in self.expected_states(policy):
            qo = [self.model.expected_obs(m, qs_t) for m in range(len(self.A))]
            if p.use_utility:
                total += sum(float(q @ lc) for q, lc in zip(qo, ln_c, strict=True))
            if p.use_states_info_gain:
                total += self.model.state_info_gain(qs_t)
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
        self.model.reprogram_A(self.A, self.learn_modalities)
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
            self.model.reprogram_B(self.B, f, u)
        return list(self.pB)

    def step(self, obs: Sequence[int]) -> NDArray[np.int64]:
        """One perception-action cycle: infer states, infer policies, sample an action."""
        self.infer_states(obs)
        self.infer_policies()
        return self.sample_action()


__all__ = ["DiscreteAgent", "DiscreteAgentParams"]

"""A continuous free-energy agent: predictive-coding perception, expected-free-energy action.

Generative model (linear Gaussian) [1]_ [2]_::

    p(s)   = N(s; mu_p, Sigma_p)                 prior (from the agent's dynamics model)
    p(o|s) = N(o; W s + b, Sigma_o)              likelihood (the generative matrix W)
    q(s)   = N(s; mu, Sigma_q)                   recognition density

Variational free energy, in nats, at temperature ``T`` (``T = 1`` is Friston's F)::

    F_T[q] = E_q[-ln p(o, s)] - T H[q]
           = 1/2 [e_o' Pi_o e_o + tr(Pi_o W Sigma_q W')] + 1/2 ln|2 pi Sigma_o|
           + 1/2 [e_p' Pi_p e_p + tr(Pi_p Sigma_q)]     + 1/2 ln|2 pi Sigma_p|
           - T/2 ln|2 pi e Sigma_q|,

with ``e_o = o - W mu - b`` and ``e_p = mu - mu_p``. At ``T = 1``,
``F = -ln p(o) + KL[q || p(s|o)] >= -ln p(o)``. ``T`` weighs the entropy the way temperature
weighs entropy in a Helmholtz free energy ``U - T S`` (energies in units of the model's nats);
the optimal recognition covariance is ``T (Pi_p + W' Pi_o W)^-1``.

Perception is gradient descent of ``F`` on ``mu`` (predictive coding: prediction errors
``Pi_o e_o`` are sent back through ``W'`` and compared with the prior error ``Pi_p e_p``); for
this quadratic ``F``, steps ``kappa <= 1/lambda_max(Pi_p + W' Pi_o W)`` lower ``F`` monotonically.
Action minimises the expected free energy of a constant force held over a horizon of ``K``
steps: risk ``KL[q(s_k | a) || p_goal(s_k)]`` summed over the horizon, plus a Gaussian prior
over actions; the ambiguity ``E_q H[p(o|s)]`` does not depend on the action in a linear
Gaussian model. The minimiser is an affine map of the belief, ``a = K_a mu + k_0`` (clipped to
the actuator limit). Learning descends ``F`` on the generative parameters ``W`` (and
optionally ``b``), preconditioned by ``Sigma_o``: ``dW = eta (e_o mu' - W Sigma_q)``.

Every matrix-vector product goes through a :class:`~thermolearn.crossbar.linear_map.LinearMap`,
so the same agent runs with NumPy (:class:`~thermolearn.crossbar.linear_map.DigitalMap`) or on
simulated crossbars (``hardware=Hardware(...)``: each map is a
:class:`~thermolearn.crossbar.linear_map.CrossbarLinearMap`, whose products are reads of a
differential memristor array and whose energy is booked in a ledger).

References
----------
.. [1] K. Friston, "The free-energy principle: a unified brain theory?", Nat. Rev. Neurosci.
   11, 127-138 (2010).
.. [2] R. Bogacz, "A tutorial on the free-energy framework for modelling perception and
   learning", J. Math. Psychol. 76, 198-211 (2017).
.. [3] T. Parr, G. Pezzulo, K. Friston, *Active Inference* (MIT Press, 2022), ch. 7-8
   (expected free energy as risk + ambiguity).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.crossbar.linear_map import CrossbarLinearMap, DigitalMap, LinearMap
from thermolearn.errors import ParameterError
from thermolearn.hardware import Hardware
from thermolearn.validation import (
    check_int,
    check_nonnegative,
    check_positive,
    finite_array,
)

Array = NDArray[np.float64]
LOG_2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------------------------
# linear maps (digital or crossbar): the shared adapter of thermolearn.crossbar.linear_map
# --------------------------------------------------------------------------------------------
#: Weight range of a crossbar map relative to its initial largest weight (room to learn).
CROSSBAR_HEADROOM = 1.25


def crossbar_map_factory(
    hardware: Hardware,
    rng: np.random.Generator,
    *,
    headroom: float = CROSSBAR_HEADROOM,
    built: list[CrossbarLinearMap] | None = None,
) -> Callable[[Array], CrossbarLinearMap]:
    """Return ``factory(M)`` building each of the agent's maps as crossbars on ``hardware``.

    Each map is a :class:`~thermolearn.crossbar.linear_map.CrossbarLinearMap` with a fixed
    weight range ``headroom × max|M|`` (1 for a zero matrix; larger weights saturate) and
    power-of-two input scaling (the DAC/ADC full-scale settings, exact). Every map books its
    reads and programming in its own ledger; ``built`` (if given) collects the maps.
    """
    check_positive(headroom, "headroom", "crossbar_map_factory")

    def factory(M: Array) -> CrossbarLinearMap:
        W = np.array(M, dtype=np.float64, ndmin=2)
        w_max = headroom * float(np.max(np.abs(W))) if np.any(W) else 1.0
        m = CrossbarLinearMap(W, hardware, rng=rng, w_max=w_max, scale_inputs=True)
        if built is not None:
            built.append(m)
        return m

    return factory


# --------------------------------------------------------------------------------------------
# Gaussian closed forms
# --------------------------------------------------------------------------------------------
def gaussian_log_evidence(
    o: ArrayLike,
    W: ArrayLike,
    b: ArrayLike,
    mu_p: ArrayLike,
    Sigma_p: ArrayLike,
    Sigma_o: ArrayLike,
) -> float:
    """``ln p(o) = ln N(o; W mu_p + b, W Sigma_p W' + Sigma_o)`` in nats."""
    W = np.atleast_2d(np.asarray(W, float))
    S = W @ np.asarray(Sigma_p, float) @ W.T + np.asarray(Sigma_o, float)
    r = np.asarray(o, float) - W @ np.asarray(mu_p, float) - np.asarray(b, float)
    _, logdet = np.linalg.slogdet(S)
    return float(-0.5 * (r @ np.linalg.solve(S, r) + logdet + r.size * LOG_2PI))


def gaussian_posterior(
    o: ArrayLike,
    W: ArrayLike,
    b: ArrayLike,
    mu_p: ArrayLike,
    Sigma_p: ArrayLike,
    Sigma_o: ArrayLike,
) -> tuple[Array, Array]:
    """Exact posterior ``p(s|o) = N(mu*, Sigma*)`` of the linear Gaussian model."""
    W = np.atleast_2d(np.asarray(W, float))
    Pp = np.linalg.inv(np.asarray(Sigma_p, float))
    Po = np.linalg.inv(np.asarray(Sigma_o, float))
    S = np.linalg.inv(Pp + W.T @ Po @ W)
    m = S @ (
        Pp @ np.asarray(mu_p, float) + W.T @ Po @ (np.asarray(o, float) - np.asarray(b, float))
    )
    return m, S


def gaussian_kl(m0: Array, S0: Array, m1: Array, S1: Array) -> float:
    """``KL[N(m0, S0) || N(m1, S1)]`` in nats."""
    P1 = np.linalg.inv(S1)
    d = m1 - m0
    _, ld0 = np.linalg.slogdet(S0)
    _, ld1 = np.linalg.slogdet(S1)
    return float(0.5 * (np.trace(P1 @ S0) + d @ P1 @ d - m0.size + ld1 - ld0))


def _as_cov(v: ArrayLike, n: int, name: str, owner: str) -> Array:
    a = finite_array(v, name, owner)
    if a.ndim == 0:
        a = np.full(n, float(a))
    if a.ndim == 1:
        if a.shape != (n,) or np.any(a <= 0):
            raise ParameterError(
                f"The '{name}' argument of {owner} must be a positive variance or {n} of them; "
                f"got {v!r}."
            )
        return np.diag(a)
    if a.shape != (n, n) or np.any(np.linalg.eigvalsh(0.5 * (a + a.T)) <= 0):
        raise ParameterError(
            f"The '{name}' argument of {owner} must be a positive-definite ({n}, {n}) "
            f"covariance; got shape {a.shape}."
        )
    return 0.5 * (a + a.T)


# --------------------------------------------------------------------------------------------
# the agent
# --------------------------------------------------------------------------------------------
@dataclass
class FreeEnergyAgent:
    """A continuous active-inference agent with a linear Gaussian generative model.

    Parameters
    ----------
    obs_dim, state_dim : int
        Dimensions of observations and hidden states.
    temperature : float
        Weight ``T`` of the entropy in ``F_T = E_q[-ln p(o,s)] - T H[q]`` (dimensionless;
        1 gives the variational free energy).
    obs_matrix : ndarray, optional
        Initial generative matrix ``W`` (obs_dim, state_dim); identity-like by default.
    obs_offset : ndarray, optional
        Initial offset ``b``; zero by default.
    obs_variance : float or ndarray
        Likelihood covariance ``Sigma_o`` (scalar, diagonal or full), in observation units².
    transition, control : ndarray, optional
        Dynamics model ``s' = A s + B a``; identity / zero by default (a static world).
    process_variance : float or ndarray
        Covariance of the dynamics noise in the model (state units²).
    action_variance : float
        Variance of the Gaussian prior over actions (action units²).
    action_limit : float
        Actions are clipped to ``[-action_limit, action_limit]`` per component (inf: none).
    horizon : int
        Steps over which a constant action's expected free energy is summed.
    perception_steps : int
        Gradient steps of perception per observation.
    step_size : float, optional
        Gradient step ``kappa``; by default ``1 / lambda_max`` of the Hessian of F.
    learning_rate : float
        Rate ``eta`` of the preconditioned gradient steps of :meth:`learn`.
    learn_offset : bool
        Whether :meth:`learn` also adapts ``b`` (with ``"observation"``).
    learn_parameters : tuple of {"transition", "observation"}
        Which generative parameters :meth:`learn` adapts: the dynamics ``[A | B]`` of the prior
        and/or the likelihood matrix ``W``.
    hardware : Hardware, optional
        Run the three linear maps (``W``, the transition ``[A | B]`` and the action gain) as
        crossbars on this hardware (:func:`crossbar_map_factory`); digital by default.
    rng : numpy.random.Generator, optional
        Device draws and read noise of the crossbars (default ``default_rng(0)``).
    map_factory : callable, optional
        ``map_factory(M) -> LinearMap`` for custom maps (instead of ``hardware``).

    Examples
    --------
    >>> agent = FreeEnergyAgent(2, 2, obs_variance=0.1)
    >>> agent.reset(mean=[0.0, 0.0], variance=1.0)
    >>> mu = agent.perceive([1.0, -1.0])
    >>> bool(agent.free_energy_trace[-1] <= agent.free_energy_trace[0])
    True
    """

    obs_dim: int
    state_dim: int
    temperature: float = 1.0
    obs_matrix: Any = None
    obs_offset: Any = None
    obs_variance: Any = 0.01
    transition: Any = None
    control: Any = None
    process_variance: Any = 1e-3
    action_variance: float = 1.0
    action_limit: float = math.inf
    horizon: int = 10
    perception_steps: int = 30
    step_size: float | None = None
    learning_rate: float = 0.05
    learn_offset: bool = False
    learn_parameters: tuple[str, ...] = ("transition",)
    hardware: Hardware | None = None
    rng: np.random.Generator | None = None
    map_factory: Any = None

    def __post_init__(self) -> None:
        own = "FreeEnergyAgent"
        check_int(self.obs_dim, "obs_dim", own, minimum=1)
        check_int(self.state_dim, "state_dim", own, minimum=1)
        check_positive(self.temperature, "temperature", own)
        check_positive(self.action_variance, "action_variance", own)
        if not (isinstance(self.action_limit, int | float) and self.action_limit > 0):
            raise ParameterError(
                f"The 'action_limit' parameter of {own} must be > 0 (inf: no limit); "
                f"got {self.action_limit!r}."
            )
        check_int(self.horizon, "horizon", own, minimum=1)
        check_int(self.perception_steps, "perception_steps", own, minimum=0)
        if self.step_size is not None:
            check_positive(self.step_size, "step_size", own)
        check_nonnegative(self.learning_rate, "learning_rate", own)
        for name in self.learn_parameters:
            if name not in ("transition", "observation"):
                raise ParameterError(
                    f"The 'learn_parameters' argument of {own} may contain 'transition' and "
                    f"'observation'; got {name!r}."
                )
        n, m = self.state_dim, self.obs_dim
        W = (
            np.eye(m, n)
            if self.obs_matrix is None
            else finite_array(self.obs_matrix, "obs_matrix", own)
        )
        if W.shape != (m, n):
            raise ParameterError(
                f"The 'obs_matrix' argument of {own} must have shape ({m}, {n}); got {W.shape}."
            )
        self.b = (
            np.zeros(m)
            if self.obs_offset is None
            else finite_array(self.obs_offset, "obs_offset", own)
        )
        if self.b.shape != (m,):
            raise ParameterError(f"The 'obs_offset' argument of {own} must have shape ({m},).")
        self.A = (
            np.eye(n)
            if self.transition is None
            else finite_array(self.transition, "transition", own)
        )
        if self.A.shape != (n, n):
            raise ParameterError(f"The 'transition' argument of {own} must have shape ({n}, {n}).")
        self.B = (
            np.zeros((n, 1))
            if self.control is None
            else np.atleast_2d(finite_array(self.control, "control", own))
        )
        if self.B.shape[0] != n:
            raise ParameterError(f"The 'control' argument of {own} must have {n} rows.")
        self.action_dim = self.B.shape[1]
        self.Sigma_o = _as_cov(self.obs_variance, m, "obs_variance", own)
        self.Pi_o = np.linalg.inv(self.Sigma_o)
        self.Q = _as_cov(self.process_variance, n, "process_variance", own)
        if self.hardware is not None and self.map_factory is not None:
            raise ParameterError(
                f"{own} takes either 'hardware' or 'map_factory', not both; got both."
            )
        if self.hardware is not None and not isinstance(self.hardware, Hardware):
            raise ParameterError(
                f"The 'hardware' parameter of {own} must be a Hardware; got {self.hardware!r}."
            )
        if self.hardware is not None:
            rng = self.rng if self.rng is not None else np.random.default_rng(0)
            factory = crossbar_map_factory(self.hardware, rng)
        else:
            factory = DigitalMap if self.map_factory is None else self.map_factory
        self._factory = factory
        self.W_map: LinearMap = factory(W)
        self.T_map: LinearMap = factory(np.hstack([self.A, self.B]))
        self.goal_mean: Array | None = None
        self.goal_cov: Array | None = None
        self.K_map: LinearMap | None = None
        self.k0 = np.zeros(self.action_dim)
        self.reset()

    # -- state ---------------------------------------------------------------------------
    @property
    def maps(self) -> dict[str, LinearMap]:
        """The agent's linear maps: generative ``W``, transition ``[A | B]``, action gain."""
        out: dict[str, LinearMap] = {"generative_W": self.W_map, "transition_AB": self.T_map}
        if self.K_map is not None:
            out["action_gain"] = self.K_map
        return out

    @property
    def W(self) -> Array:
        """The generative matrix as realised by its map."""
        return self.W_map.weights

    def reset(self, mean: ArrayLike | None = None, variance: ArrayLike = 1.0) -> None:
        """Set the prior over the initial state and forget the last action."""
        n = self.state_dim
        self.mu_p = (
            np.zeros(n) if mean is None else finite_array(mean, "mean", "FreeEnergyAgent.reset")
        )
        self.Sigma_p = _as_cov(variance, n, "variance", "FreeEnergyAgent.reset")
        self.mu = self.mu_p.copy()
        self.Sigma_q = self.Sigma_p.copy()
        self.last_action: Array | None = None
        self._z: Array | None = None
        self.free_energy_trace: list[float] = []
        self.prediction_error = float("nan")

    def set_goal(self, mean: ArrayLike, variance: ArrayLike) -> None:
        """Set the goal prior ``p_goal(s) = N(mean, variance)`` over states.

        Parameters
        ----------
        mean : array_like
            Preferred state (state units).
        variance : float or array_like
            Its (co)variance; small variance = strong preference.
        """
        own = "FreeEnergyAgent.set_goal"
        g = finite_array(mean, "mean", own)
        if g.shape != (self.state_dim,):
            raise ParameterError(
                f"The 'mean' argument of {own} must have shape ({self.state_dim},); got {g.shape}."
            )
        self.goal_mean = g
        self.goal_cov = _as_cov(variance, self.state_dim, "variance", own)
        self._build_action_gain()

    def _build_action_gain(self) -> None:
        """Precompute the affine minimiser ``a = K mu + k0`` of the expected free energy."""
        assert self.goal_mean is not None and self.goal_cov is not None
        n, d = self.state_dim, self.action_dim
        Pg = np.linalg.inv(self.goal_cov)
        Ak = np.eye(n)
        Mk = np.zeros((n, d))
        H = np.eye(d) / self.action_variance
        G_mu = np.zeros((d, n))
        g0 = np.zeros(d)
        for _ in range(self.horizon):
            Mk = self.A @ Mk + self.B
            Ak = self.A @ Ak
            H += Mk.T @ Pg @ Mk
            G_mu += Mk.T @ Pg @ Ak
            g0 -= Mk.T @ Pg @ self.goal_mean
        Hinv = np.linalg.inv(H)
        K = -Hinv @ G_mu
        self.k0 = -Hinv @ g0
        if self.K_map is None:
            self.K_map = self._factory(K)
        else:
            self.K_map.set_weights(K)

    # -- free energy ---------------------------------------------------------------------
    def hessian(self) -> Array:
        """Hessian of F in ``mu``: ``Pi_p + W' Pi_o W``."""
        W = self.W
        return np.linalg.inv(self.Sigma_p) + W.T @ self.Pi_o @ W

    def free_energy(
        self, obs: ArrayLike, mu: ArrayLike | None = None, Sigma_q: ArrayLike | None = None
    ) -> float:
        """Closed-form ``F_T`` (nats) for ``q = N(mu, Sigma_q)`` (current belief by default)."""
        o = np.asarray(obs, float)
        mu = self.mu if mu is None else np.asarray(mu, float)
        Sq = self.Sigma_q if Sigma_q is None else np.asarray(Sigma_q, float)
        W = self.W
        Pp = np.linalg.inv(self.Sigma_p)
        eo = o - W @ mu - self.b
        ep = mu - self.mu_p
        _, ldo = np.linalg.slogdet(self.Sigma_o)
        _, ldp = np.linalg.slogdet(self.Sigma_p)
        _, ldq = np.linalg.slogdet(Sq)
        n, m = self.state_dim, self.obs_dim
        acc = 0.5 * (eo @ self.Pi_o @ eo + np.trace(self.Pi_o @ W @ Sq @ W.T) + ldo + m * LOG_2PI)
        cpl = 0.5 * (ep @ Pp @ ep + np.trace(Pp @ Sq) + ldp + n * LOG_2PI)
        ent = 0.5 * (ldq + n * (LOG_2PI + 1.0))
        return float(acc + cpl - self.temperature * ent)

    def log_evidence(self, obs: ArrayLike) -> float:
        """Closed-form ``ln p(o)`` under the current prior (nats)."""
        return gaussian_log_evidence(obs, self.W, self.b, self.mu_p, self.Sigma_p, self.Sigma_o)

    # -- perception ----------------------------------------------------------------------
    def perceive(self, obs: ArrayLike) -> Array:
        """Update ``q(s)`` for observation ``obs`` by gradient descent on F.

        The prior is the prediction from the previous belief and action (or the reset prior
        at the first step). Records ``F`` after every step in ``free_energy_trace`` and the
        prior prediction error ``|o - (W mu_p + b)|`` in ``prediction_error``.
        """
        o = finite_array(obs, "obs", "FreeEnergyAgent.perceive")
        if o.shape != (self.obs_dim,):
            raise ParameterError(
                f"The 'obs' argument of FreeEnergyAgent.perceive must have shape "
                f"({self.obs_dim},); "
                f"got {o.shape}."
            )
        if self.last_action is not None:
            self._z = np.concatenate([self.mu, self.last_action])
            self.mu_p = self.T_map.matvec(self._z)
            self.Sigma_p = self.A @ self.Sigma_q @ self.A.T + self.Q
            self.last_action = None
        else:
            self._z = None
        W = self.W
        Pp = np.linalg.inv(self.Sigma_p)
        H = Pp + W.T @ self.Pi_o @ W
        self.Sigma_q = np.asarray(self.temperature * np.linalg.inv(H), dtype=np.float64)
        kappa = (
            self.step_size if self.step_size is not None else 1.0 / float(np.linalg.eigvalsh(H)[-1])
        )
        mu = self.mu_p.copy()
        pred = self.W_map.matvec(mu) + self.b
        self.prediction_error = float(np.linalg.norm(o - pred))
        trace = [self.free_energy(o, mu)]
        for _ in range(self.perception_steps):
            eps_o = self.Pi_o @ (o - pred)
            eps_p = Pp @ (mu - self.mu_p)
            mu = np.asarray(mu + kappa * (self.W_map.rmatvec(eps_o) - eps_p), dtype=np.float64)
            pred = self.W_map.matvec(mu) + self.b
            trace.append(self.free_energy(o, mu))
        self.mu = mu
        self.free_energy_trace = trace
        self._last_obs = o
        return mu

    # -- action --------------------------------------------------------------------------
    def expected_free_energy(self, action: ArrayLike) -> float:
        """Return the expected free energy (nats) of holding ``action`` for ``horizon`` steps.

        Risk ``sum_k KL[q(s_k|a) || p_goal]`` plus ``-ln p(a)`` (up to a constant) plus the
        ambiguity ``horizon * 1/2 ln|2 pi e Sigma_o|`` (independent of the action).
        """
        if self.goal_mean is None or self.goal_cov is None:
            raise ParameterError(
                "FreeEnergyAgent.expected_free_energy needs a goal: call set_goal()."
            )
        a = np.atleast_1d(np.asarray(action, float))
        m, S = self.mu.copy(), self.Sigma_q.copy()
        g = 0.0
        _, ldo = np.linalg.slogdet(self.Sigma_o)
        amb = 0.5 * (ldo + self.obs_dim * (LOG_2PI + 1.0))
        for _ in range(self.horizon):
            m = self.A @ m + self.B @ a
            S = self.A @ S @ self.A.T + self.Q
            g += gaussian_kl(m, S, self.goal_mean, self.goal_cov) + amb
        return g + 0.5 * float(a @ a) / self.action_variance

    def act(self, obs: ArrayLike) -> Array:
        """Perceive ``obs`` and return the action that minimises the expected free energy."""
        if self.K_map is None:
            raise ParameterError("FreeEnergyAgent.act needs a goal: call set_goal() first.")
        self.perceive(obs)
        a = self.K_map.matvec(self.mu) + self.k0
        a = np.clip(a, -self.action_limit, self.action_limit)
        self.last_action = a
        return a

    # -- learning ------------------------------------------------------------------------
    def learn(self, obs: ArrayLike | None = None) -> float:
        """One gradient step of F on the generative parameters; returns the prediction error.

        With ``"transition"``: ``[A | B] += eta (mu - mu_p) z' / (1 + z'z)``, where
        ``z = (mu_prev, a_prev)`` produced the prior mean ``mu_p`` (the gradient of the prior
        term of F, preconditioned by ``Sigma_p`` and normalised by the input power). With
        ``"observation"``: ``W += eta (e_o mu' - W Sigma_q)`` (``-Sigma_o dF/dW``). Call after
        :meth:`perceive` or :meth:`act` so that ``mu`` is the posterior for ``obs`` (default:
        the last perceived observation). The action gain is rebuilt by :meth:`refresh_policy`.

        Returns
        -------
        float
            The prior prediction error ``|o - (W mu_p + b)|`` of this observation.
        """
        o = self._last_obs if obs is None else finite_array(obs, "obs", "FreeEnergyAgent.learn")
        eta = self.learning_rate
        if "transition" in self.learn_parameters and self._z is not None:
            z = self._z
            T = np.hstack([self.A, self.B]) + eta * np.outer(self.mu - self.mu_p, z) / (1.0 + z @ z)
            n = self.state_dim
            self.A, self.B = T[:, :n], T[:, n:]
            self.T_map.set_weights(T)
        if "observation" in self.learn_parameters:
            W = self.W
            e = o - W @ self.mu - self.b
            self.W_map.set_weights(W + eta * (np.outer(e, self.mu) - W @ self.Sigma_q))
            if self.learn_offset:
                self.b = self.b + eta * e
        return self.prediction_error

    def refresh_policy(self) -> None:
        """Rebuild the expected-free-energy action gain after the dynamics model changed."""
        if self.goal_mean is not None:
            self._build_action_gain()


# --------------------------------------------------------------------------------------------
# environment
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class PointMassParams:
    """A damped 2-D point mass driven by a bounded force, observed through noisy sensors.

    Parameters
    ----------
    mass : float
        Mass (kg).
    damping : float
        Viscous friction coefficient (kg/s).
    dt : float
        Time step (s).
    force_limit : float
        Largest force per axis (N).
    process_noise : float
        Standard deviation of the random velocity kick per step (m/s).
    obs_noise : float
        Standard deviation of each sensor reading (m for positions, m/s for velocities).
    sensor_gain : tuple of float
        True gains of the four sensors (x, y, vx, vy); the agent may believe otherwise.
    start_radius : float
        Starting positions are drawn uniformly in the square ``[-start_radius, start_radius]²`` (m).
    goal_radius : float
        Radius of the goal region (m).
    max_steps : int
        Steps per episode.
    """

    mass: float = 1.0
    damping: float = 2.0
    dt: float = 0.1
    force_limit: float = 2.0
    process_noise: float = 0.02
    obs_noise: float = 0.03
    sensor_gain: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    start_radius: float = 1.0
    goal_radius: float = 0.1
    max_steps: int = 80

    def __post_init__(self) -> None:
        own = "PointMassParams"
        check_positive(self.mass, "mass", own, "kg")
        check_nonnegative(self.damping, "damping", own, "kg/s")
        check_positive(self.dt, "dt", own, "s")
        check_positive(self.force_limit, "force_limit", own, "N")
        check_nonnegative(self.process_noise, "process_noise", own, "m/s")
        check_positive(self.obs_noise, "obs_noise", own)
        if len(self.sensor_gain) != 4:
            raise ParameterError(
                f"The 'sensor_gain' parameter of {own} needs 4 gains; got {self.sensor_gain!r}."
            )
        check_positive(self.start_radius, "start_radius", own, "m")
        check_positive(self.goal_radius, "goal_radius", own, "m")
        check_int(self.max_steps, "max_steps", own, minimum=1)

    def dynamics(self) -> tuple[Array, Array]:
        """Semi-implicit Euler matrices ``(A, B)`` of ``s = (x, y, vx, vy)``: ``s' = A s + B F``."""
        dt, m, c = self.dt, self.mass, self.damping
        decay = 1.0 - dt * c / m
        A = np.zeros((4, 4))
        B = np.zeros((4, 2))
        for i in range(2):
            A[2 + i, 2 + i] = decay
            A[i, i] = 1.0
            A[i, 2 + i] = dt * decay
            B[2 + i, i] = dt / m
            B[i, i] = dt * dt / m
        return A, B


@dataclass
class PointMassEnv:
    """The noisy point-mass world.

    Parameters
    ----------
    params : PointMassParams
        Physical parameters.
    rng : numpy.random.Generator
        Source of start positions, process and sensor noise.
    goal : array_like
        Centre of the goal region (m).
    """

    params: PointMassParams = field(default_factory=PointMassParams)
    rng: np.random.Generator = field(default_factory=np.random.default_rng)
    goal: Any = (0.5, 0.5)

    def __post_init__(self) -> None:
        self.goal = finite_array(self.goal, "goal", "PointMassEnv")
        self.A, self.B = self.params.dynamics()
        self.H = np.diag(self.params.sensor_gain)
        self.state = np.zeros(4)

    def reset(self, start: ArrayLike | None = None) -> Array:
        """Place the mass (at rest) at ``start`` or at a random position; returns an observation."""
        r = self.params.start_radius
        pos = (
            self.rng.uniform(-r, r, 2)
            if start is None
            else finite_array(start, "start", "PointMassEnv.reset")
        )
        self.state = np.array([pos[0], pos[1], 0.0, 0.0])
        return self.observe()

    def observe(self) -> Array:
        """Noisy sensor readings ``H s + noise``."""
        return self.H @ self.state + self.params.obs_noise * self.rng.standard_normal(4)

    def step(self, force: ArrayLike) -> Array:
        """Apply ``force`` (clipped to the limit) for one step; returns the next observation."""
        f = np.clip(np.asarray(force, float), -self.params.force_limit, self.params.force_limit)
        self.state = self.A @ self.state + self.B @ f
        self.state[2:] += self.params.process_noise * self.rng.standard_normal(2)
        return self.observe()

    @property
    def distance(self) -> float:
        """Distance of the mass from the goal centre (m)."""
        return float(np.linalg.norm(self.state[:2] - self.goal))

    @property
    def in_goal(self) -> bool:
        """Whether the mass is inside the goal region."""
        return self.distance < self.params.goal_radius


def make_point_mass_agent(
    params: PointMassParams,
    goal: ArrayLike,
    *,
    obs_matrix: ArrayLike | None = None,
    believed_mass: float | None = None,
    believed_damping: float | None = None,
    temperature: float = 1.0,
    hardware: Hardware | None = None,
    rng: np.random.Generator | None = None,
    map_factory: Any = None,
    learning_rate: float = 0.05,
    perception_steps: int = 30,
) -> FreeEnergyAgent:
    """Build a :class:`FreeEnergyAgent` that knows the point mass and wants to rest at ``goal``.

    The goal prior is ``N((gx, gy, 0, 0), diag(0.05², 0.05², 0.2², 0.2²))`` (m², m²/s²).
    ``obs_matrix`` is the agent's (possibly wrong) belief about the sensor gains (identity by
    default); ``believed_mass`` and ``believed_damping`` its beliefs about the mass (kg) and
    friction (kg/s), which set its dynamics model (the true values by default). ``hardware``
    (with ``rng``) runs its linear maps on crossbars (see :class:`FreeEnergyAgent`).
    """
    from dataclasses import replace

    believed = replace(
        params,
        mass=params.mass if believed_mass is None else believed_mass,
        damping=params.damping if believed_damping is None else believed_damping,
    )
    A, B = believed.dynamics()
    proc = params.process_noise**2
    agent = FreeEnergyAgent(
        4,
        4,
        temperature=temperature,
        obs_matrix=np.eye(4) if obs_matrix is None else obs_matrix,
        obs_variance=params.obs_noise**2,
        transition=A,
        control=B,
        process_variance=[1e-6 + proc * params.dt**2, 1e-6 + proc * params.dt**2, proc, proc],
        action_variance=1.0,
        action_limit=params.force_limit,
        horizon=10,
        perception_steps=perception_steps,
        learning_rate=learning_rate,
        hardware=hardware,
        rng=rng,
        map_factory=map_factory,
    )
    g = finite_array(goal, "goal", "make_point_mass_agent")
    agent.set_goal([g[0], g[1], 0.0, 0.0], [0.05**2, 0.05**2, 0.2**2, 0.2**2])
    return agent


@dataclass(frozen=True, slots=True)
class Episode:
    """One point-mass episode: trajectory, success, free energy and prediction error per step."""

    positions: Array
    success: bool
    steps_to_goal: int | None
    free_energy: Array
    prediction_error: Array


def run_point_mass_episode(
    agent: FreeEnergyAgent,
    env: PointMassEnv,
    *,
    learn: bool = False,
    start: ArrayLike | None = None,
    start_variance: float = 0.05,
) -> Episode:
    """Run one episode: the agent acts until ``max_steps``; success = it entered the goal region.

    The agent's initial prior is centred on its first observation (corrected by its belief
    about the sensor gains) with variance ``start_variance`` (m², m²/s²).
    """
    if learn:
        agent.refresh_policy()
    obs = env.reset(start)
    W = agent.W
    guess = np.linalg.lstsq(W, obs - agent.b, rcond=None)[0]
    guess[2:] = 0.0
    agent.reset(mean=guess, variance=start_variance)
    pos = [env.state[:2].copy()]
    fs, pes = [], []
    reached: int | None = None
    for t in range(env.params.max_steps):
        a = agent.act(obs)
        fs.append(agent.free_energy_trace[-1])
        pes.append(agent.prediction_error)
        if learn:
            agent.learn()
        obs = env.step(a)
        pos.append(env.state[:2].copy())
        if reached is None and env.in_goal:
            reached = t + 1
    return Episode(np.array(pos), reached is not None, reached, np.array(fs), np.array(pes))


__all__ = [
    "CROSSBAR_HEADROOM",
    "DigitalMap",
    "crossbar_map_factory",
    "Episode",
    "FreeEnergyAgent",
    "LinearMap",
    "PointMassEnv",
    "PointMassParams",
    "gaussian_kl",
    "gaussian_log_evidence",
    "gaussian_posterior",
    "make_point_mass_agent",
    "run_point_mass_episode",
]

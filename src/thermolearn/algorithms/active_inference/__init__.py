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

from thermolearn.algorithms.active_inference.agent import DiscreteAgent, DiscreteAgentParams
from thermolearn.algorithms.active_inference.environments import (
    CENTRE,
    CUE,
    GRID_ACTIONS,
    LEFT,
    LOSS,
    NO_REWARD,
    REWARD,
    RIGHT,
    GridWorldEnv,
    TMazeEnv,
    grid_preferences,
    grid_world_model,
    tmaze_model,
    tmaze_preferences,
    tmaze_reward_prior,
)
from thermolearn.algorithms.active_inference.generative_model import (
    CrossbarGenerativeModel,
    DigitalGenerativeModel,
)
from thermolearn.algorithms.active_inference.kernels import (
    LOG_FLOOR,
    SALIENCE_FLOOR,
    construct_policies,
    dirichlet_expected_log_surprise,
    expected_obs,
    infer_states,
    infer_states_from_log_likelihood,
    joint_likelihood_matrix,
    log_likelihood,
    log_stable,
    outer,
    softmax,
    state_info_gain,
    variational_free_energy,
)
from thermolearn.algorithms.active_inference.runners import (
    TMazeTrial,
    make_tmaze_learner,
    run_tmaze_trial,
)

__all__ = [
    "CENTRE",
    "CUE",
    "GRID_ACTIONS",
    "LEFT",
    "LOG_FLOOR",
    "LOSS",
    "NO_REWARD",
    "REWARD",
    "RIGHT",
    "SALIENCE_FLOOR",
    "CrossbarGenerativeModel",
    "DigitalGenerativeModel",
    "DiscreteAgent",
    "DiscreteAgentParams",
    "GridWorldEnv",
    "TMazeEnv",
    "TMazeTrial",
    "construct_policies",
    "dirichlet_expected_log_surprise",
    "expected_obs",
    "grid_preferences",
    "grid_world_model",
    "infer_states",
    "infer_states_from_log_likelihood",
    "joint_likelihood_matrix",
    "log_likelihood",
    "log_stable",
    "make_tmaze_learner",
    "outer",
    "run_tmaze_trial",
    "softmax",
    "state_info_gain",
    "tmaze_model",
    "tmaze_preferences",
    "tmaze_reward_prior",
    "variational_free_energy",
]

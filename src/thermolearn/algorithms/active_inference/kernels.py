"""Array kernels of discrete active inference (pure functions on NumPy arrays).

Numerical conventions follow inferactively-pymdp 0.0.7.1 (see
:mod:`thermolearn.algorithms.active_inference`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import reduce

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.numerics import softmax

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
    return infer_states_from_log_likelihood(
        log_likelihood(A, obs), prior, num_iter=num_iter, dF_tol=dF_tol
    )


def infer_states_from_log_likelihood(
    ll: Array,
    prior: Sequence[Array],
    *,
    num_iter: int = 10,
    dF_tol: float = 1e-3,
) -> tuple[list[Array], float]:
    """:func:`infer_states` from ``ll = ln p(o|s)`` over the joint state space (nats)."""
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


def joint_likelihood_matrix(A: Sequence[Array]) -> Array:
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


__all__ = [
    "LOG_FLOOR",
    "SALIENCE_FLOOR",
    "construct_policies",
    "dirichlet_expected_log_surprise",
    "expected_obs",
    "infer_states",
    "infer_states_from_log_likelihood",
    "joint_likelihood_matrix",
    "log_likelihood",
    "log_stable",
    "outer",
    "softmax",
    "state_info_gain",
    "variational_free_energy",
]

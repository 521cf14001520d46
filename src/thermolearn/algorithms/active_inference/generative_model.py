"""Where the discrete agent's likelihood A and transitions B live: NumPy arrays or crossbars.

Every product of the agent with A or B goes through one of these two objects:

* ``log_likelihood(obs)`` — ``ln p(o|s)`` over the joint state space: the rows ``A_m[o_m]``;
* ``expected_obs(m, qs)`` — predicted outcomes ``A_m q(s)``;
* ``transition(f, u, q)`` — ``B_f[:, :, u] q_f`` (empirical priors and planning);
* ``state_info_gain(qs)`` — ``H[q(o)] − E_q(s) H[p(o|s)]`` from the joint likelihood.

:class:`DigitalGenerativeModel` computes them with the kernels of
:mod:`~thermolearn.algorithms.active_inference.kernels`. :class:`CrossbarGenerativeModel`
stores each ``A_m`` (as an ``n_obs × Π n_states`` matrix), the joint likelihood of all
modalities and each ``B_f[:, :, u]`` as conductances of differential crossbar pairs
(:class:`~thermolearn.crossbar.linear_map.CrossbarLinearMap`, weight range 1 = a probability
of 1 on the full conductance swing): a likelihood row is a transposed read driven by the
one-hot outcome, the other products are forward reads driven by the beliefs. Reads and
programming pulses are booked in one :class:`~thermolearn.energy.EnergyLedger`. Reads are
clipped at 0 (a probability cannot be negative; device noise can make a read so) before the
digital logarithms, softmaxes and entropies, and the reads that are probability distributions
(predicted states ``B q``, predicted outcomes ``A q``) are divided by their sum (digitally, after
the ADC): the columns of A and B sum to 1, so on exact hardware this changes nothing, while with
device-to-device spread it removes the common gain error that would otherwise rescale every
expected-free-energy term of a policy. The ambiguity ``E_q(s) H[p(o|s)]`` uses the
per-state entropy of the *programmed* joint likelihood (read back once after programming).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from thermolearn.algorithms.active_inference.kernels import (
    SALIENCE_FLOOR,
    expected_obs,
    joint_likelihood_matrix,
    log_likelihood,
    log_stable,
    outer,
    state_info_gain,
)
from thermolearn.crossbar.linear_map import CrossbarLinearMap
from thermolearn.energy import EnergyLedger
from thermolearn.hardware import Hardware

Array = NDArray[np.float64]


def _as_distribution(read: Array, mass: float) -> Array:
    """Clip a read at 0 and scale it to the probability ``mass`` of its input (1 for a belief)."""
    r = np.maximum(np.asarray(read, dtype=np.float64), 0.0)
    total = float(r.sum())
    return r * (mass / total) if total > 0 else r


class DigitalGenerativeModel:
    """A and B as float64 arrays (the reference)."""

    def __init__(self, A: list[Array], B: list[Array]) -> None:
        self.A = A
        self.B = B
        self._joint_A = joint_likelihood_matrix(A)

    def log_likelihood(self, obs: Sequence[int]) -> Array:
        """``ln p(o|s)`` over the joint state space, floored at 1e-16."""
        return log_likelihood(self.A, obs)

    def expected_obs(self, m: int, qs: Sequence[Array]) -> Array:
        """Predicted outcomes of modality ``m`` under the mean-field beliefs ``qs``."""
        return expected_obs(self.A[m], qs)

    def transition(self, f: int, u: int, q: Array) -> Array:
        """``B_f[:, :, u] q``."""
        return np.asarray(self.B[f][:, :, u] @ q, dtype=np.float64)

    def state_info_gain(self, qs: Sequence[Array]) -> float:
        """Return the expected information gain about states (nats)."""
        return state_info_gain(self._joint_A, qs)

    def reprogram_A(self, A: list[Array], modalities: Sequence[int]) -> None:
        """Take the updated likelihood arrays."""
        self.A = A
        self._joint_A = joint_likelihood_matrix(A)

    def reprogram_B(self, B: list[Array], f: int, u: int) -> None:
        """Take the updated transition arrays."""
        self.B = B


class CrossbarGenerativeModel:
    """A and B stored as conductances and read through the shared crossbar adapter.

    Parameters
    ----------
    A, B : list of ndarray
        Likelihood (per modality) and transition (per factor) arrays of the agent.
    hardware : Hardware
        Hardware of every array.
    rng : numpy.random.Generator
        Device draws and read noise.
    ledger : EnergyLedger
        Where reads and programming are booked.
    """

    def __init__(
        self,
        A: list[Array],
        B: list[Array],
        hardware: Hardware,
        *,
        rng: np.random.Generator,
        ledger: EnergyLedger,
    ) -> None:
        self.hardware = hardware
        self.ledger = ledger
        self.n_states = tuple(int(b.shape[0]) for b in B)
        self._size = int(np.prod(self.n_states))

        def build(W: Array) -> CrossbarLinearMap:
            return CrossbarLinearMap(W, hardware, rng=rng, ledger=ledger, w_max=1.0)

        self.a_maps = [build(self._matrix(a)) for a in A]
        self.joint_map = build(joint_likelihood_matrix(A))
        self.b_maps = [[build(b[:, :, u]) for u in range(b.shape[2])] for b in B]
        self._neg_entropy = self._programmed_neg_entropy()

    def _matrix(self, a: Array) -> Array:
        return np.asarray(a.reshape(a.shape[0], self._size), dtype=np.float64)

    def maps(self) -> list[CrossbarLinearMap]:
        """Every crossbar-executed map (A per modality, joint A, B per factor and action)."""
        return [*self.a_maps, self.joint_map, *(m for row in self.b_maps for m in row)]

    def _programmed_neg_entropy(self) -> Array:
        """Σ_o p log p per joint state of the programmed joint likelihood (read back)."""
        po = np.maximum(self.joint_map.weights, 0.0)
        return np.asarray(np.sum(po * np.log(po + SALIENCE_FLOOR), axis=0), dtype=np.float64)

    # -- reads -------------------------------------------------------------------------------
    def log_likelihood(self, obs: Sequence[int]) -> Array:
        """``ln p(o|s)``: one transposed read per modality, driven by the one-hot outcome."""
        lik = np.ones(self._size)
        for a_map, o in zip(self.a_maps, obs, strict=True):
            onehot = np.zeros(a_map.shape[0])
            onehot[int(o)] = 1.0
            lik = lik * np.maximum(a_map.rmatvec(onehot), 0.0)
        return log_stable(lik).reshape(self.n_states)

    def expected_obs(self, m: int, qs: Sequence[Array]) -> Array:
        """Predicted outcomes ``A_m q(s)``: a forward read driven by the joint belief."""
        qx = outer(qs).ravel()
        return _as_distribution(self.a_maps[m].matvec(qx), float(qx.sum()))

    def transition(self, f: int, u: int, q: Array) -> Array:
        """``B_f[:, :, u] q``: a forward read of that action's transition array."""
        return _as_distribution(self.b_maps[f][u].matvec(q), float(np.sum(q)))

    def state_info_gain(self, qs: Sequence[Array]) -> float:
        """``H[q(o)] − E_q(s) H[p(o|s)]`` with ``q(o)`` read from the joint-likelihood array."""
        qx = outer(qs).ravel()
        mask = qx > SALIENCE_FLOOR
        neg_h = float(qx[mask] @ self._neg_entropy[mask])
        qm = np.where(mask, qx, 0.0)
        qo = _as_distribution(self.joint_map.matvec(qm), float(qm.sum()))
        return neg_h - float(qo @ log_stable(qo))

    # -- learning ----------------------------------------------------------------------------
    def reprogram_A(self, A: list[Array], modalities: Sequence[int]) -> None:
        """Program the updated ``A_m`` of ``modalities`` and the joint likelihood."""
        for m in modalities:
            self.a_maps[m].program(self._matrix(A[m]))
        self.joint_map.program(joint_likelihood_matrix(A))
        self._neg_entropy = self._programmed_neg_entropy()

    def reprogram_B(self, B: list[Array], f: int, u: int) -> None:
        """Program the updated ``B_f[:, :, u]``."""
        self.b_maps[f][u].program(B[f][:, :, u])


__all__ = ["CrossbarGenerativeModel", "DigitalGenerativeModel"]

"""Reversible (invertible) layers executed on simulated memristor crossbars.

Every linear map of these layers is a crossbar read through the shared adapter
:class:`thermolearn.crossbar.linear_map.CrossbarLinearMap` (a
:class:`~thermolearn.crossbar.SignedCrossbarLayer` on the network's
:class:`~thermolearn.hardware.Hardware`: differential conductance pairs, rows driven, column
currents sensed by TIAs); the elementwise steps (activations, the affine
scale ``exp(s)``, additions) are digital, with an energy per operation from a stated model
(:class:`DigitalOpEnergy`).

Layers
------
* :class:`AdditiveCoupling` / :class:`AffineCoupling` (NICE [1]_ / RealNVP [2]_): the kept half
  ``x_a`` passes unchanged; the other half is ``y_b = x_b * exp(s(x_a)) + t(x_a)``. ``s`` and
  ``t`` come from one crossbar MLP ``[x_a, 1] -> tanh -> [h, 1] -> [s_raw, t]`` (bias = an extra
  crossbar row driven at the constant input 1). The inverse re-reads the *same* MLP on
  ``y_a = x_a``, so any *static* crossbar error (programming error, finite levels, IR drop)
  cancels exactly: only fresh read noise breaks inverse∘forward = id.
* :class:`OrthogonalLayer`: ``y = Q x`` on one signed crossbar; the inverse ``x = Q^T y`` is the
  **transposed read of the same arrays** (columns driven, rows read; ``rmatvec``).
* :class:`LULinear` (Glow's LU-parameterised 1×1 convolution [3]_): ``W = P L (U + diag(s))``
  programmed as a product into one crossbar for the forward read; the inverse is executed
  **digitally** by a permutation, a forward substitution (unit lower L) and a back substitution
  (U + diag(s)) on the stored float64 factors, d² multiply-adds, booked with the digital model.
* :class:`LeakyReLU` and :class:`Tanh` (inverse ``atanh``): digital elementwise steps.

Accounting
----------
Each pass books the crossbar dissipation it caused (the crossbar's own ledger: read GV²t, wire,
DAC/ADC, programming) and the digital operations it executed into :attr:`ReversibleNetwork.ledger`
under ``"forward/<category>"`` or ``"inverse/<category>"``. Logical information loss is booked
separately, with 0 J and ``source="bound"`` under ``"landauer"``: a bijection erases nothing in
principle, but on a finite grid of word values a *contracting* step merges grid cells, so a
step whose Jacobian has diagonal ``J_ii`` (all our layers are triangular) erases at least
``Σ_i max(0, −log2 |J_ii|)`` bits (grid-contraction estimate); the final readout to
``readout_bits`` from ``internal_bits`` erases the dropped low bits. A crossbar read dissipates
``G V² t`` whether or not the map it computes is logically reversible; logical reversibility
only lowers the *Landauer bound*, which is ~10⁹ times smaller than the simulated dissipation.

References
----------
.. [1] L. Dinh, D. Krueger, Y. Bengio, "NICE: Non-linear Independent Components Estimation",
   arXiv:1410.8516 (2014).
.. [2] L. Dinh, J. Sohl-Dickstein, S. Bengio, "Density estimation using Real NVP", ICLR 2017.
.. [3] D. P. Kingma, P. Dhariwal, "Glow: Generative Flow with Invertible 1x1 Convolutions",
   NeurIPS 2018.
.. [4] A. N. Gomez, M. Ren, R. Urtasun, R. B. Grosse, "The Reversible Residual Network:
   Backpropagation Without Storing Activations", NeurIPS 2017.
.. [5] M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014,
   pp. 10-14 (45 nm energies: 32-bit float add 0.9 pJ, multiply 3.7 pJ).
.. [6] R. Landauer, IBM J. Res. Dev. 5, 183 (1961); C. H. Bennett, IBM J. Res. Dev. 17, 525
   (1973) (logically reversible computation).
"""

from thermolearn.algorithms.reversible.adapters import (
    SOFTWARE,
    CrossbarLinearMap,
    DigitalOpEnergy,
    MapErrors,
    make_map,
)
from thermolearn.algorithms.reversible.layers import (
    AdditiveCoupling,
    AffineCoupling,
    CouplingLayer,
    LeakyReLU,
    LULinear,
    OrthogonalLayer,
    ReversibleLayer,
    Tanh,
    random_orthogonal,
)
from thermolearn.algorithms.reversible.network import ReversibleNetwork, numerical_log_det

__all__ = [
    "AdditiveCoupling",
    "AffineCoupling",
    "CouplingLayer",
    "CrossbarLinearMap",
    "DigitalOpEnergy",
    "LULinear",
    "LeakyReLU",
    "MapErrors",
    "OrthogonalLayer",
    "ReversibleLayer",
    "ReversibleNetwork",
    "SOFTWARE",
    "Tanh",
    "make_map",
    "numerical_log_det",
    "random_orthogonal",
]

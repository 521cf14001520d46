"""Per-device learning rules of the digital update controller (opt-in), and what they cost.

Physical EP measures, per device and mini-batch, the gradient estimate
ĝ = [ΔV(+β)² − ΔV(−β)²] / (4β) (:func:`~thermolearn.algorithms.ep_physics.physical_gradients`).
The controller that turns ĝ into programming requests is digital, so it may keep per-device
state between updates. Each rule maps ĝ to a direction d; the requested change of the
normalised conductance is Δw = −η d (η the crossbar's learning rate):

* ``"sgd"``: d = ĝ (no memory; the toolkit's default).
* ``"momentum"`` (heavy ball, Polyak 1964 [1]): m ← μ m + ĝ, d = m.
* ``"adam"`` (Kingma & Ba 2015 [2]): m ← β₁ m + (1 − β₁) ĝ, v ← β₂ v + (1 − β₂) ĝ²,
  d = m̂ / (√v̂ + ε) with m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ) at update t = 1, 2, ...
  Every device's step is then ~η whatever the scale of its gradient (one rate per crossbar
  otherwise has to suit devices whose gradients differ by orders of magnitude: bias rows,
  rarely driven inputs, hidden vs output crossbar).

What the controller pays per device and update (booked by :func:`book_optimizer_step`, beside
the ``update_arithmetic`` / ``update_memory`` lines of the ΔV² accumulation):

* ``update_optimizer_memory`` — *model, cited*: the moment words (32-bit) read and written
  back per update, plus for Adam the two seed-table reads of its Newton–Raphson steps, at
  ``sram_energy`` per 32-bit word (Horowitz 2014 [3]: 64-bit read of an 8 kB SRAM 10 pJ). The
  moments of a 40-128-10 net (~13,000 devices, 2 words each) need ~100 kB: the figure holds
  for banked 8 kB macros (each access touches one bank), the assumption of the accumulator
  line too; one monolithic 1 MB SRAM would cost ~10× more per access (Horowitz: 100 pJ).
* ``update_optimizer_arithmetic`` — *model, cited*: fixed-point operations per device, each
  counted as one 32-bit integer multiply-accumulate at ``mac_energy`` (Horowitz 2014: 3.1 pJ
  multiply + 0.1 pJ add). Momentum: 1 (μ m + ĝ; the ×η of the request is shared with SGD's and
  not counted). Adam: m update 2 (β₁ m, (1 − β₁) ĝ), v update 3 (ĝ², β₂ v, (1 − β₂) ĝ²),
  √v = v · v^{−1/2} with v^{−1/2} from 2 Newton–Raphson steps of 3 multiplies (7), + ε (1),
  1/(√v + ε) by 2 Newton–Raphson steps of 2 multiplies (4), × m (1): 18. The bias
  corrections and η are per-update scalars (η_t = η √(1 − β₂ᵗ)/(1 − β₁ᵗ), ε_t = ε √(1 − β₂ᵗ)),
  not per-device work.

References
----------
.. [1] B. T. Polyak, "Some methods of speeding up the convergence of iteration methods",
   USSR Comput. Math. Math. Phys. 4(5), 1–17 (1964).
.. [2] D. P. Kingma, J. Ba, "Adam: A method for stochastic optimization", ICLR 2015
   (arXiv:1412.6980).
.. [3] M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014,
   pp. 10–14.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.energy import EnergyLedger
from thermolearn.errors import ParameterError
from thermolearn.validation import check_choice, check_positive, check_range

Array = NDArray[np.float64]

#: The controller's learning rules.
OPTIMIZERS = ("sgd", "momentum", "adam")
#: 32-bit words of SRAM traffic per device and update (moments read + written; Adam's two
#: Newton–Raphson seed-table reads).
WORDS_PER_DEVICE = {"sgd": 0, "momentum": 2, "adam": 6}
#: Fixed-point operations per device and update, each booked as one 32-bit MAC (see the
#: module docstring for the count).
MACS_PER_DEVICE = {"sgd": 0, "momentum": 1, "adam": 18}


@dataclass(frozen=True, slots=True, kw_only=True)
class OptimizerParams:
    """A per-device learning rule of the update controller.

    Attributes
    ----------
    kind : {"sgd", "momentum", "adam"}
        The rule (see the module docstring).
    beta1 : float
        Momentum μ (``"momentum"``) or Adam's first-moment decay β₁, in [0, 1).
    beta2 : float
        Adam's second-moment decay β₂, in [0, 1).
    eps : float
        Adam's ε, in the units of the gradient estimate (V² per unit of normalised
        conductance), > 0. The default 1e-12 sits below the estimates of the VTEAM operating
        point (MNIST-1D, 40-128-10, initial conductances: median |ĝ| 4e-9 in the first
        crossbar, 1e-8 in the output one); Kingma & Ba's 1e-8 would be larger than most of them
        and turn Adam into SGD at rate η/ε.
    """

    kind: str = "sgd"
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-12

    def __post_init__(self) -> None:
        o = "OptimizerParams"
        check_choice(self.kind, "kind", o, OPTIMIZERS)
        check_range(self.beta1, "beta1", o, 0.0, 1.0, inclusive=(True, False))
        check_range(self.beta2, "beta2", o, 0.0, 1.0, inclusive=(True, False))
        check_positive(self.eps, "eps", o)


class DeviceOptimizer:
    """Per-device moment state of the controller; maps gradient estimates to directions.

    Parameters
    ----------
    params : OptimizerParams
    shapes : list of tuple
        One shape per crossbar.

    Examples
    --------
    >>> opt = DeviceOptimizer(OptimizerParams(kind="adam"), [(2,)])
    >>> np.round(opt.directions([np.array([1e-3, -4.0])])[0], 6)  # first step: ±1
    array([ 1., -1.])
    """

    def __init__(self, params: OptimizerParams, shapes: list[tuple[int, ...]]) -> None:
        if not isinstance(params, OptimizerParams):
            raise ParameterError(
                f"The 'params' argument of DeviceOptimizer must be OptimizerParams; got "
                f"{type(params).__name__}."
            )
        self.params = params
        self.shapes = [tuple(s) for s in shapes]
        self.t = 0
        self.m = [np.zeros(s) for s in self.shapes] if params.kind != "sgd" else []
        self.v = [np.zeros(s) for s in self.shapes] if params.kind == "adam" else []

    @property
    def n_devices(self) -> int:
        """Devices whose moments the controller keeps."""
        return sum(math.prod(s) for s in self.shapes)

    def directions(self, grads: list[Array]) -> list[Array]:
        """Advance the moments by one update with ``grads``; return the directions d."""
        p = self.params
        if len(grads) != len(self.shapes) or any(
            g.shape != s for g, s in zip(grads, self.shapes, strict=True)
        ):
            raise ParameterError(
                f"DeviceOptimizer.directions needs arrays of shapes {self.shapes}; got "
                f"{[g.shape for g in grads]}."
            )
        self.t += 1
        if p.kind == "sgd":
            return [np.asarray(g, dtype=np.float64) for g in grads]
        if p.kind == "momentum":
            for k, g in enumerate(grads):
                self.m[k] = p.beta1 * self.m[k] + g
            return [m.copy() for m in self.m]
        c1 = 1.0 - p.beta1**self.t
        c2 = 1.0 - p.beta2**self.t
        out = []
        for k, g in enumerate(grads):
            self.m[k] = p.beta1 * self.m[k] + (1.0 - p.beta1) * g
            self.v[k] = p.beta2 * self.v[k] + (1.0 - p.beta2) * g * g
            out.append((self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + p.eps))
        return out

    # -- checkpoints ---------------------------------------------------------------------------
    def arrays(self) -> dict[str, Array]:
        """Moment arrays for a checkpoint (``opt_m{k}``, ``opt_v{k}``)."""
        out = {f"opt_m{k}": m for k, m in enumerate(self.m)}
        out.update({f"opt_v{k}": v for k, v in enumerate(self.v)})
        return out

    def restore(self, arrays: Any, t: int) -> None:
        """Restore the moments from a checkpoint's arrays and the update count ``t``."""
        self.m = [np.array(arrays[f"opt_m{k}"], dtype=np.float64) for k in range(len(self.m))]
        self.v = [np.array(arrays[f"opt_v{k}"], dtype=np.float64) for k in range(len(self.v))]
        self.t = int(t)


def book_optimizer_step(ledger: EnergyLedger, opt: DeviceOptimizer, phys: Any) -> None:
    """Book one update's moment memory and arithmetic (nothing for plain SGD).

    ``update_optimizer_memory`` = n_dev × :data:`WORDS_PER_DEVICE` × ``phys.sram_energy``;
    ``update_optimizer_arithmetic`` = n_dev × :data:`MACS_PER_DEVICE` × ``phys.mac_energy``;
    both source ``"model"`` (Horowitz 2014 figures, see the module docstring).
    """
    kind = opt.params.kind
    n_dev = opt.n_devices
    words = WORDS_PER_DEVICE[kind] * n_dev
    macs = MACS_PER_DEVICE[kind] * n_dev
    if words:
        ledger.book("update_optimizer_memory", phys.sram_energy * words, source="model",
                    count=words)
    if macs:
        ledger.book("update_optimizer_arithmetic", phys.mac_energy * macs, source="model",
                    count=macs)


__all__ = [
    "OPTIMIZERS",
    "WORDS_PER_DEVICE",
    "MACS_PER_DEVICE",
    "OptimizerParams",
    "DeviceOptimizer",
    "book_optimizer_step",
]

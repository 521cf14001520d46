"""Jarzynski equality and equilibrium checks in a harmonic trap (natural units).

<exp(-W)> = exp(-Delta F) for any protocol started in equilibrium [1]_. Two protocols with
known Delta F:

* a trap of stiffness kappa dragged at constant speed over a distance L: Delta F = 0, and the
  mean work has the closed form <W> = v^2 [tau - (1 - e^{-kappa tau}) / kappa] (v = L/tau) [2]_;
* a stiffness ramp kappa_0 -> kappa_1: Delta F = ½ ln(kappa_1 / kappa_0).

The erasure cycle's Jarzynski check lives in :mod:`thermolearn.stochastic.erasure`.

References
----------
.. [1] C. Jarzynski, "Nonequilibrium equality for free energy differences",
   Phys. Rev. Lett. 78, 2690 (1997).
.. [2] O. Mazonka, C. Jarzynski, "Exactly solvable model illustrating far-from-equilibrium
   predictions", arXiv:cond-mat/9912121 (1999); R. van Zon, E. G. D. Cohen, PRL 91, 110601
   (2003).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.stochastic.langevin import simulate
from thermolearn.stochastic.potentials import Schedule, harmonic_trap
from thermolearn.validation import check_int, check_positive


@dataclass(frozen=True, slots=True)
class JarzynskiResult:
    """<exp(-W)> against exp(-Delta F) (kT units)."""

    protocol: str
    n: int
    mean_work: float
    mean_work_se: float
    expected_mean_work: float
    average: float
    average_se: float
    expected: float
    delta_f: float
    estimate_delta_f: float

    @property
    def z_score(self) -> float:
        """(<exp(-W)> - exp(-Delta F)) / SE."""
        return (self.average - self.expected) / self.average_se

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["z_score"] = self.z_score
        return d


def _summarise(
    name: str, work: NDArray[np.float64], delta_f: float, mean_expected: float
) -> JarzynskiResult:
    ew = np.exp(-work)
    sq = math.sqrt(work.size)
    return JarzynskiResult(
        protocol=name, n=int(work.size), mean_work=float(work.mean()),
        mean_work_se=float(work.std(ddof=1) / sq), expected_mean_work=mean_expected,
        average=float(ew.mean()), average_se=float(ew.std(ddof=1) / sq),
        expected=math.exp(-delta_f), delta_f=delta_f, estimate_delta_f=-math.log(ew.mean()),
    )


def dragged_trap(
    n: int,
    rng: np.random.Generator,
    *,
    stiffness: float = 1.0,
    distance: float = 2.0,
    tau: float = 2.0,
    dt: float = 1.0e-3,
    threads: int = 1,
) -> JarzynskiResult:
    """Drag a harmonic trap by ``distance`` (x_m) in ``tau`` (tau_0); Delta F = 0."""
    check_int(n, "n", "dragged_trap", minimum=2)
    k = check_positive(stiffness, "stiffness", "dragged_trap", "kT/x_m^2")
    t = check_positive(tau, "tau", "dragged_trap", "tau_0")
    pot = harmonic_trap(k, Schedule.ramp(0.0, distance, 0.0, t))
    x0 = rng.standard_normal(n) / math.sqrt(k)
    res = simulate(pot, x0, dt=dt, rng=rng, threads=threads)
    v = distance / t
    mean_w = v * v * (t - (-math.expm1(-k * t)) / k)
    return _summarise("dragged harmonic trap", res.work, 0.0, mean_w)


def stiffness_change(
    n: int,
    rng: np.random.Generator,
    *,
    kappa0: float = 1.0,
    kappa1: float = 4.0,
    tau: float = 1.0,
    dt: float = 2.5e-4,
    threads: int = 1,
) -> JarzynskiResult:
    """Ramp the trap stiffness kappa0 -> kappa1 in ``tau``; Delta F = ½ ln(kappa1/kappa0).

    The default step is small (kappa1 dt = 1e-3) because Euler–Maruyama breaks detailed
    balance at O(kappa dt), which biases <exp(-W)> at that order.
    """
    check_int(n, "n", "stiffness_change", minimum=2)
    k0 = check_positive(kappa0, "kappa0", "stiffness_change", "kT/x_m^2")
    k1 = check_positive(kappa1, "kappa1", "stiffness_change", "kT/x_m^2")
    t = check_positive(tau, "tau", "stiffness_change", "tau_0")
    pot = harmonic_trap(Schedule.ramp(k0, k1, 0.0, t))
    x0 = rng.standard_normal(n) / math.sqrt(k0)
    res = simulate(pot, x0, dt=dt, rng=rng, threads=threads)
    return _summarise("stiffness change", res.work, 0.5 * math.log(k1 / k0), float("nan"))


def harmonic_equilibrium(
    n: int,
    rng: np.random.Generator,
    *,
    stiffness: float = 2.0,
    t_relax: float = 5.0,
    dt: float = 1.0e-3,
    threads: int = 1,
) -> dict[str, float]:
    """Relax ``n`` particles from x = 0 in a trap for ``t_relax`` and measure <x^2>.

    Expected kT/kappa (natural units: 1/kappa); Euler–Maruyama's stationary variance is
    1/[kappa (1 - kappa dt / 2)], reported as ``em_expected``. Relaxation from x = 0 leaves
    a relative deficit exp(-2 kappa t_relax).
    """
    k = check_positive(stiffness, "stiffness", "harmonic_equilibrium", "kT/x_m^2")
    pot = harmonic_trap(k, duration=t_relax)
    res = simulate(pot, np.zeros(n), dt=dt, rng=rng, threads=threads)
    x2 = res.x**2
    m = float(x2.mean())
    return {"mean_x2": m, "se_x2": float(x2.std(ddof=1) / math.sqrt(n)),
            "expected": 1.0 / k, "em_expected": 1.0 / (k * (1.0 - k * res.dt / 2.0)),
            "relative_error": m * k - 1.0, "n": float(n)}

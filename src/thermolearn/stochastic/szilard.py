"""Szilard engine with a noisy demon, simulated in the Langevin double well.

One bit of position information: a Brownian particle equilibrated in the symmetric double
well U_0(x) = E_b (x^4 - 2 x^2) (natural units). At t = 0 a demon measures which well it is
in and records the wrong side with probability epsilon. Feedback, in the frame where the
measured side is x > 0 (the protocol for the other outcome is the mirror image):

1. barrier up, tilt towards the measured side, F: 0 -> F_1 (the particle cannot cross);
2. lower the barrier (g: 1 -> 0) with the tilt held;
3. untilt (F: F_1 -> 0) with no barrier;
4. raise the barrier (g: 0 -> 1).

The potential returns to U_0 (Delta F = 0). The extracted work -<W> is bounded by the
Sagawa–Ueda bound kT [ln 2 - H_b(epsilon)] and the equality <exp(-W - I)> = 1 holds with the
stochastic mutual information I = ln[p(m|x)/p(m)] = ln 2(1 - epsilon) for a correct and
ln 2 epsilon for a wrong measurement [1]_. F_1 is chosen to maximise the quasi-static
extracted work computed by quadrature (:func:`quasistatic_work`), which approaches the
bound for a high barrier (it reaches it in the two-state limit, where the optimal tilt
makes the well weights equal the posterior (1 - epsilon) : epsilon [2]_).

References
----------
.. [1] T. Sagawa, M. Ueda, "Generalized Jarzynski equality under nonequilibrium feedback
   control", Phys. Rev. Lett. 104, 090602 (2010).
.. [2] T. Sagawa, M. Ueda, "Second law of thermodynamics with discrete quantum feedback
   control", Phys. Rev. Lett. 100, 080403 (2008); L. Szilard, Z. Phys. 53, 840 (1929).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from thermolearn.physics import LN2, binary_entropy_nats
from thermolearn.stochastic.langevin import equilibrium_sample, free_energy, simulate
from thermolearn.stochastic.potentials import PolynomialPotential, Schedule, double_well
from thermolearn.validation import check_int, check_positive, check_range

#: Default Euler–Maruyama step (tau_0), as for erasure (bias < 0.01 kT at E_b = 10 kT).
DEFAULT_DT = 5.0e-4


def sagawa_ueda_bound(epsilon: float) -> float:
    """Maximum mean extracted work kT [ln 2 - H_b(epsilon)] in kT for measurement error eps."""
    return float(LN2 - binary_entropy_nats(epsilon))


def feedback_potential(barrier: float, tilt: float, tau: float) -> PolynomialPotential:
    """Return the four-stage feedback protocol (duration ``tau``, measured side at x > 0)."""
    check_positive(tau, "tau", "feedback_potential", "tau_0")
    q = tau / 4.0
    times = np.array([0.0, q, 2 * q, 3 * q, 4 * q])
    g = Schedule(times=times, values=np.array([1.0, 1.0, 0.0, 0.0, 1.0]))
    f = Schedule(times=times, values=np.array([0.0, tilt, tilt, 0.0, 0.0]))
    return double_well(barrier, g, f, duration=tau)


def quasistatic_work(barrier: float, tilt: float, epsilon: float) -> float:
    """Mean work (kT) of the feedback cycle in the quasi-static limit, by quadrature.

    Stage 1 is quasi-static within each well (no crossing): work F_w(F_1) - F_w(0) for the
    well w the particle is in (right with probability 1 - epsilon); stages 2–4 are
    reversible with crossing allowed: F(U_0) - F(U_0 - F_1 x).
    """
    u0 = double_well(barrier)
    u1 = double_well(barrier, tilt=tilt)
    right = (0.0, 4.0)
    left = (-4.0, 0.0)
    w_r = free_energy(u1, 0.0, region=right) - free_energy(u0, 0.0, region=right)
    w_l = free_energy(u1, 0.0, region=left) - free_energy(u0, 0.0, region=left)
    w1 = (1.0 - epsilon) * w_r + epsilon * w_l
    return w1 + free_energy(u0, 0.0) - free_energy(u1, 0.0)


def optimal_tilt(barrier: float, epsilon: float) -> float:
    """Tilt F_1 (kT/x_m) that minimises :func:`quasistatic_work` (maximises extraction)."""
    from scipy.optimize import minimize_scalar

    if epsilon >= 0.5:
        return 0.0
    guess = 0.5 * math.log((1.0 - epsilon) / max(epsilon, 1e-12))
    res = minimize_scalar(lambda f: quasistatic_work(barrier, f, epsilon),
                          bounds=(0.0, max(3.0 * guess, 1.0)), method="bounded",
                          options={"xatol": 1e-4})
    return float(res.x)


@dataclass(frozen=True, slots=True)
class DemonRun:
    """Statistics of the noisy-demon Szilard engine at one measurement error (kT)."""

    epsilon: float
    tau: float
    n: int
    dt: float
    tilt: float
    extracted_work: float
    extracted_work_se: float
    bound: float
    quasistatic_extracted: float
    su_average: float
    su_average_se: float
    mutual_information: float
    measured_error_rate: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict."""
        return {k: (float(getattr(self, k)) if k != "n" else int(self.n))
                for k in self.__dataclass_fields__}


def run_demon(
    epsilon: float,
    n: int,
    rng: np.random.Generator,
    *,
    barrier: float = 10.0,
    tau: float = 40.0,
    dt: float = DEFAULT_DT,
    tilt: float | None = None,
    threads: int = 1,
) -> DemonRun:
    """Simulate ``n`` Szilard cycles with a demon whose measurement is wrong with prob. eps.

    Returns
    -------
    DemonRun
        Mean extracted work -<W> with its standard error, the Sagawa–Ueda bound, the
        quasi-static prediction, and <exp(-W - I)> (should be 1) with its standard error.
    """
    eps = check_range(epsilon, "epsilon", "run_demon", 0.0, 0.5, inclusive=(False, True))
    check_int(n, "n", "run_demon", minimum=2)
    f1 = optimal_tilt(barrier, eps) if tilt is None else float(tilt)
    u0 = double_well(barrier)
    x0 = equilibrium_sample(u0, n, rng)
    side = np.where(x0 > 0, 1.0, -1.0)
    wrong = rng.random(n) < eps
    m = np.where(wrong, -side, side)
    y0 = m * x0  # frame in which the measured side is x > 0
    res = simulate(feedback_potential(barrier, f1, tau), y0, dt=dt, rng=rng, threads=threads)
    info = np.where(wrong, math.log(2.0 * eps), math.log(2.0 * (1.0 - eps)))
    su = np.exp(-res.work - info)
    ext = -res.work
    sq = math.sqrt(n)
    return DemonRun(
        epsilon=eps, tau=float(tau), n=int(n), dt=res.dt, tilt=f1,
        extracted_work=float(ext.mean()), extracted_work_se=float(ext.std(ddof=1) / sq),
        bound=sagawa_ueda_bound(eps),
        quasistatic_extracted=-quasistatic_work(barrier, f1, eps),
        su_average=float(su.mean()), su_average_se=float(su.std(ddof=1) / sq),
        mutual_information=float(info.mean()), measured_error_rate=float(wrong.mean()),
    )


def demon_sweep(
    epsilons: Sequence[float],
    n: int,
    rng: np.random.Generator,
    *,
    barrier: float = 10.0,
    tau: float = 40.0,
    dt: float = DEFAULT_DT,
    threads: int = 1,
    progress: Any = None,
) -> list[DemonRun]:
    """Run :func:`run_demon` for each measurement error in ``epsilons``."""
    out = []
    for e in epsilons:
        r = run_demon(e, n, rng, barrier=barrier, tau=tau, dt=dt, threads=threads)
        out.append(r)
        if progress is not None:
            progress(f"eps={e:g}: -<W>={r.extracted_work:.4f}±{r.extracted_work_se:.4f} kT, "
                     f"bound={r.bound:.4f}, <e^(-W-I)>={r.su_average:.4f}±{r.su_average_se:.4f}")
    return out



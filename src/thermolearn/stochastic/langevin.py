"""Overdamped Langevin engine, vectorised over trajectories, with Sekimoto work and heat.

The dynamics gamma dx = -dU/dx dt + sqrt(2 gamma kT) dW become, in natural units
(x in x_m, U in kT, t in tau_0 = gamma x_m^2 / kT),

    dx = -U'(x, t) dt + sqrt(2) dW ,

integrated by Euler–Maruyama. Along each discrete trajectory the engine books the work
done on the particle the way Sekimoto defines it [1]_, from the explicit time dependence
of the potential only,

    W = sum_n [U(x_n, t_{n+1}) - U(x_n, t_n)] ,

and the heat released into the bath as Q = W - [U(x_N, t_N) - U(x_0, t_0)] (first law).
Both are exact functionals of the simulated path; the only approximation is the
Euler–Maruyama path itself, whose bias is O(dt) and is measured in the tests and in
:func:`thermolearn.stochastic.erasure.discretisation_bias`.

Trajectories are processed in chunks that stay in cache, each chunk with its own child
generator spawned from the injected :class:`numpy.random.Generator` (so results depend only
on the seed and the chunk size, not on the thread count); chunks may run in up to
``threads`` Python threads (numpy releases the GIL inside ufunc loops and in the normal
sampler).

References
----------
.. [1] K. Sekimoto, *Stochastic Energetics*, Lecture Notes in Physics 799 (Springer, 2010);
   K. Sekimoto, Prog. Theor. Phys. Suppl. 130, 17 (1998).
.. [2] P. E. Kloeden, E. Platen, *Numerical Solution of Stochastic Differential Equations*
   (Springer, 1992) (Euler–Maruyama, weak order 1).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.errors import ConvergenceError, ParameterError
from thermolearn.physics import K_B, T_ROOM
from thermolearn.stochastic.potentials import PolynomialPotential
from thermolearn.validation import check_int, check_positive, finite_array


@dataclass(frozen=True, slots=True, kw_only=True)
class NaturalUnits:
    """Scales that turn natural units (x_m, kT, tau_0) into SI.

    Parameters
    ----------
    length : float
        x_m, the length unit (m); for the double well, half the distance between the wells.
    temperature : float
        Bath temperature T (K).
    friction : float
        Stokes friction coefficient gamma (kg/s), e.g. 6 pi eta r for a bead of radius r.
    """

    length: float
    temperature: float = T_ROOM
    friction: float

    def __post_init__(self) -> None:
        check_positive(self.length, "length", "NaturalUnits", "m")
        check_positive(self.temperature, "temperature", "NaturalUnits", "K")
        check_positive(self.friction, "friction", "NaturalUnits", "kg/s")

    @property
    def kt(self) -> float:
        """Energy unit kT (J)."""
        return K_B * self.temperature

    @property
    def tau0(self) -> float:
        """Time unit tau_0 = gamma x_m^2 / kT (s)."""
        return self.friction * self.length**2 / self.kt

    @property
    def force(self) -> float:
        """Force unit kT / x_m (N)."""
        return self.kt / self.length

    def energy_si(self, e_kt: ArrayLike) -> NDArray[np.float64]:
        """Energy in J from kT."""
        return np.asarray(e_kt, float) * self.kt

    def time_si(self, t_tau0: ArrayLike) -> NDArray[np.float64]:
        """Time in s from tau_0."""
        return np.asarray(t_tau0, float) * self.tau0

    def length_si(self, x: ArrayLike) -> NDArray[np.float64]:
        """Length in m from x_m."""
        return np.asarray(x, float) * self.length


def berut_units(temperature: float = T_ROOM) -> NaturalUnits:
    """Scales of the Bérut et al. (2012) experiment, approximately.

    A silica bead of 2 µm diameter in water (eta = 1.0e-3 Pa s, gamma = 6 pi eta r
    = 1.88e-8 kg/s) in a double trap whose wells sit about ±0.5 µm apart from the centre
    (x_m = 0.5 µm); tau_0 = gamma x_m^2 / kT is then about 1.1 s at 300 K.

    References
    ----------
    A. Bérut et al., Nature 483, 187 (2012) (bead size, well separation ~1 µm).
    """
    r = 1.0e-6
    gamma = 6.0 * math.pi * 1.0e-3 * r
    return NaturalUnits(length=0.5e-6, temperature=temperature, friction=gamma)


@dataclass(frozen=True, slots=True)
class LangevinResult:
    """Outcome of :func:`simulate` (all in natural units).

    Attributes
    ----------
    x0, x : ndarray (n,)
        Initial and final positions (x_m).
    work : ndarray (n,)
        Sekimoto work done on each particle (kT).
    delta_u : ndarray (n,)
        U(x_N, t_N) - U(x_0, t_0) per trajectory (kT).
    heat : ndarray (n,)
        Heat released into the bath, Q = W - Delta U (kT).
    dt : float
        Time step (tau_0).
    n_steps : int
        Number of steps.
    record_times : ndarray (m,)
        Times of the recorded snapshots (tau_0), empty when nothing was recorded.
    paths : ndarray (n_record, m)
        Positions of the first ``n_record`` trajectories at ``record_times``.
    """

    x0: NDArray[np.float64]
    x: NDArray[np.float64]
    work: NDArray[np.float64]
    delta_u: NDArray[np.float64]
    heat: NDArray[np.float64]
    dt: float
    n_steps: int
    record_times: NDArray[np.float64]
    paths: NDArray[np.float64]

    @property
    def n(self) -> int:
        """Number of trajectories."""
        return int(self.x.size)


def _horner(
    x: NDArray[np.float64],
    c: NDArray[np.float64],
    nz: tuple[bool, ...],
    hi: int,
    out: NDArray[np.float64],
) -> None:
    """Set out = sum_k c_k x^k by Horner's rule in place, skipping coefficients with nz[k] False."""
    if hi == 0:
        out.fill(c[0])
        return
    np.multiply(x, c[hi], out=out)
    for k in range(hi - 1, -1, -1):
        if nz[k]:
            out += c[k]
        if k > 0:
            out *= x


def _run_chunk(
    y: NDArray[np.float64],
    fcoef: NDArray[np.float64],
    fnz: tuple[bool, ...],
    dcoef: NDArray[np.float64],
    dnz: tuple[bool, ...],
    dactive: NDArray[np.bool_],
    rng: np.random.Generator,
    record_steps: NDArray[np.int64],
    n_record: int,
    sub: int = 1,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Advance scaled positions ``y`` in place through all steps; return (work, paths).

    ``y = x / sqrt(2 dt)``, so the noise increment is a unit normal and the drift and
    work polynomials carry rescaled coefficients (one array pass fewer per step). With
    ``sub > 1`` each step's unit normal is the normalised sum of ``sub`` consecutive draws,
    i.e. the Brownian path of a run with ``sub`` times finer steps and the same generator.
    """
    m = y.size
    n_steps = fcoef.shape[0]
    f = np.empty(m)
    tmp = np.empty(m)
    w = np.zeros(m)
    block = max(1, min(64, (1 << 18) // max(m, 1)))  # noise for several steps per RNG call
    noise = np.empty((block, m))
    raw = np.empty((block * sub, m)) if sub > 1 else noise
    inv_sqrt_sub = 1.0 / math.sqrt(sub)
    paths = np.empty((n_record, record_steps.size))
    rec_i = 0
    fhi = max((k for k in range(len(fnz)) if fnz[k]), default=0)
    dhi = max((k for k in range(len(dnz)) if dnz[k]), default=0)
    for n in range(n_steps):
        j = n % block
        if j == 0:
            rng.standard_normal(out=raw)
            if sub > 1:
                np.sum(raw.reshape(block, sub, m), axis=1, out=noise)
                noise *= inv_sqrt_sub
        if rec_i < record_steps.size and record_steps[rec_i] == n:
            paths[:, rec_i] = y[:n_record]
            rec_i += 1
        if dactive[n]:
            # Sekimoto work increment U(x_n, t_{n+1}) - U(x_n, t_n)
            _horner(y, dcoef[n], dnz, dhi, tmp)
            w += tmp
        # drift -U'(x_n, t_n) dt
        _horner(y, fcoef[n], fnz, fhi, f)
        y += f
        y += noise[j]
    return w, paths


def simulate(
    potential: PolynomialPotential,
    x0: ArrayLike,
    *,
    dt: float,
    rng: np.random.Generator,
    t_stop: float | None = None,
    chunk: int = 16384,
    threads: int = 1,
    n_record: int = 0,
    record_every: int = 0,
    noise_substeps: int = 1,
) -> LangevinResult:
    """Integrate overdamped Langevin trajectories through a time-dependent potential.

    Parameters
    ----------
    potential : PolynomialPotential
        U(x, t) in kT (x in x_m, t in tau_0).
    x0 : array_like (n,)
        Initial positions (x_m); one trajectory per entry.
    dt : float
        Largest Euler–Maruyama time step (tau_0); the steps used are uniform,
        t_stop / ceil(t_stop / dt), and reported in the result.
    rng : numpy.random.Generator
        Source of all randomness; one child generator is spawned per chunk.
    t_stop : float, optional
        End time (tau_0); defaults to ``potential.duration``.
    chunk : int
        Trajectories per chunk (chosen to stay in cache; 16384 float64 = 128 kB).
    threads : int
        Number of Python threads working on chunks (results do not depend on it).
    n_record, record_every : int
        Record the first ``n_record`` trajectories every ``record_every`` steps.
    noise_substeps : int
        Build each step's Wiener increment from this many finer increments drawn in order, so
        that a run with step ``dt`` and one with ``dt / noise_substeps`` (and
        ``noise_substeps=1``) from equal generators follow the same Brownian paths. Used to
        measure the discretisation bias with coupled paths (small variance).

    Returns
    -------
    LangevinResult

    Raises
    ------
    ParameterError
        On a non-positive step, negative duration or bad sizes.
    ConvergenceError
        If the integration diverges (step too large for the potential's stiffness).
    """
    owner = "simulate"
    h = check_positive(dt, "dt", owner, "tau_0")
    ts = potential.duration if t_stop is None else float(t_stop)
    if not ts >= 0 or not math.isfinite(ts):
        raise ParameterError(f"The 't_stop' parameter of simulate must be >= 0 tau_0; got {ts!r}.")
    check_int(chunk, "chunk", owner, minimum=1)
    check_int(threads, "threads", owner, minimum=1)
    check_int(n_record, "n_record", owner, minimum=0)
    check_int(record_every, "record_every", owner, minimum=0)
    sub = check_int(noise_substeps, "noise_substeps", owner, minimum=1)
    x_init = finite_array(x0, "x0", owner).ravel().copy()
    n = x_init.size
    n_rec = min(n_record, n) if record_every > 0 else 0

    n_steps = int(math.ceil(ts / h - 1e-9)) if ts > 0 else 0
    if n_steps > 0:
        h = ts / n_steps  # uniform steps that end exactly at t_stop
    t = np.arange(n_steps + 1) * h
    a = potential.coefficient_table(t)  # (n_steps+1, d+1)
    zero = potential.zero_mask()
    d = potential.degree
    s = math.sqrt(2.0 * h)  # engine works with y = x / s so that the noise is N(0, 1)
    # drift: (-U'(x) dt) / s = sum_k fcoef_k y^k with fcoef_k = -(k+1) a_{k+1} dt s^k / s
    fcoef = np.zeros((n_steps, d))
    for k in range(d):
        fcoef[:, k] = -(k + 1) * a[:-1, k + 1] * h * s ** (k - 1)
    fnz = tuple(not zero[k + 1] for k in range(d))
    dcoef = np.diff(a, axis=0) * (s ** np.arange(d + 1))[None, :]
    dnz = tuple(not zero[k] and bool(np.any(dcoef[:, k] != 0.0)) for k in range(d + 1))
    dcoef[:, [k for k in range(d + 1) if not dnz[k]]] = 0.0
    dactive = np.any(dcoef != 0.0, axis=1)
    if n_rec and n_steps > 0:
        record_steps = np.arange(0, n_steps, record_every, dtype=np.int64)
        record_times = np.concatenate([t[record_steps], [ts]])
    else:
        record_steps = np.zeros(0, dtype=np.int64)
        record_times = np.zeros(0)

    y = x_init / s
    work = np.zeros(n)
    paths = np.empty((n_rec, record_times.size))
    bounds = [(i, min(i + chunk, n)) for i in range(0, n, chunk)]
    children = rng.spawn(len(bounds)) if bounds else []

    def job(ci: int) -> None:
        lo, hi = bounds[ci]
        ys = y[lo:hi]
        nr = max(0, min(n_rec - lo, hi - lo))
        if n_steps == 0:
            return
        w, p = _run_chunk(ys, fcoef, fnz, dcoef, dnz, dactive, children[ci], record_steps, nr,
                          sub)
        work[lo:hi] = w
        if nr:
            paths[lo:lo + nr, :-1] = p * s
            paths[lo:lo + nr, -1] = ys[:nr] * s

    if threads > 1 and len(bounds) > 1:
        with ThreadPoolExecutor(max_workers=threads) as ex:
            list(ex.map(job, range(len(bounds))))
    else:
        for ci in range(len(bounds)):
            job(ci)

    x = y * s
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(work))):
        raise ConvergenceError(
            f"Euler–Maruyama diverged (non-finite positions) with dt = {h:g} tau_0; the step "
            "is too large for the stiffest part of the potential (need dt * U'' << 1)."
        )
    u0 = potential.energy(x_init, float(t[0]))
    u1 = potential.energy(x, float(t[-1]))
    du = u1 - u0
    return LangevinResult(
        x0=x_init, x=x, work=work, delta_u=du, heat=work - du, dt=h, n_steps=n_steps,
        record_times=record_times if n_rec else np.zeros(0), paths=paths,
    )


def equilibrium_sample(
    potential: PolynomialPotential,
    n: int,
    rng: np.random.Generator,
    *,
    t: float = 0.0,
    lo: float = -4.0,
    hi: float = 4.0,
    grid: int = 200001,
) -> NDArray[np.float64]:
    """Draw ``n`` positions from the Boltzmann density exp(-U(x, t)) by inverse-CDF sampling.

    The density is tabulated on ``grid`` points in [lo, hi] (x_m) and sampled with linear
    interpolation of the CDF; the support must contain all but a negligible part of the
    mass (checked: the density at both ends must be < 1e-12 of its peak).
    """
    check_int(n, "n", "equilibrium_sample", minimum=1)
    xg = np.linspace(lo, hi, grid)
    u = potential.energy(xg, t)
    p = np.exp(-(u - u.min()))
    if p[0] > 1e-12 or p[-1] > 1e-12:
        raise ParameterError(
            f"The interval [{lo}, {hi}] x_m of equilibrium_sample does not contain the "
            "Boltzmann mass (density at the ends > 1e-12 of the peak)."
        )
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (p[1:] + p[:-1]) * np.diff(xg))])
    cdf /= cdf[-1]
    return np.interp(rng.random(n), cdf, xg)


def free_energy(
    potential: PolynomialPotential,
    t: float,
    *,
    lo: float = -4.0,
    hi: float = 4.0,
    grid: int = 200001,
    region: tuple[float, float] | None = None,
) -> float:
    """Free energy F = -ln int exp(-U(x, t)) dx in kT (optionally restricted to ``region``)."""
    xg = np.linspace(lo, hi, grid)
    u = potential.energy(xg, t)
    umin = float(u.min())
    p = np.exp(-(u - umin))
    if region is not None:
        p = np.where((xg >= region[0]) & (xg <= region[1]), p, 0.0)
    z = float(np.sum(0.5 * (p[1:] + p[:-1]) * np.diff(xg)))
    return umin - math.log(z)

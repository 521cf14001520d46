"""The SPICE level-1 junction diode, with ngspice's equations and defaults.

This is the diode that imported netlists get from a ``.model NAME D(...)`` card. The junction
(between the internal anode node and the cathode) is evaluated here; the series resistance
``RS`` is a separate resistor to an internal node, as in SPICE, so that breakdown, high
injection and recombination current need no closed form.

DC current (ngspice 39 ``dioload.c``; ``vte = N kT/q``)

* forward, ``v >= -3 vte``: ``IS (exp(v/vte) - 1)`` plus, with ``ISR``, the recombination
  current ``ISR (exp(v/(NR kT/q)) - 1) ((1 - v/VJ)^2 + 0.005)^(M/2)``; with ``IKF`` the sum
  is divided by ``1 + sqrt(I/IKF)`` (high injection);
* reverse, ``-BV < v < -3 vte``: ``-IS (1 + (3 vte/(v e))^3)``;
* breakdown, ``v <= -BV``: ``-IS exp(-(BV_eff + v)/(NBV kT/q))``, where ``BV_eff`` is solved
  so that the current at ``-BV`` is ``IBV`` (the SPICE2 knee match);
* plus ``GMIN v`` (ngspice's 1e-12 S across every junction).

Charge (for transient and AC): depletion charge of ``CJO``, ``VJ``, ``M`` with the ``FC``
linearisation above ``FC VJ``, plus diffusion charge ``TT I``.

Temperature (ngspice ``diotemp.c``): ``IS`` and ``ISR`` scale as
``exp((T/TNOM - 1) EG/(N kT/q)) (T/TNOM)^(XTI/N)``; ``VJ`` and ``CJO`` follow the silicon gap
``Eg(T) = 1.16 - 7.02e-4 T^2/(T + 1108)`` eV. ``AREA`` scales IS, ISR, IKF, CJO and 1/RS;
the multiplier ``M`` of the instance scales like ``AREA`` and also ``IBV``.

References
----------
.. [1] H. Vogt et al., *Ngspice User's Manual*, version 39, section 7.1 (Junction diodes).
.. [2] P. Antognetti, G. Massobrio, *Semiconductor Device Modeling with SPICE*, 2nd ed.,
   McGraw-Hill (1993), chapter 1.
.. [3] L. W. Nagel, "SPICE2: A computer program to simulate semiconductor circuits,"
   UCB/ERL M520 (1975).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.errors import ParameterError
from thermolearn.validation import check_nonnegative, check_positive

Array = NDArray[np.float64]

#: ngspice 39's constants (``const.h``); imported netlists use them so that thermal voltages
#: agree with ngspice to the last digit.
NGSPICE_BOLTZMANN = 1.38064852e-23
NGSPICE_CHARGE = 1.6021766208e-19
CELSIUS_TO_KELVIN = 273.15
#: SPICE's default circuit temperature and TNOM, 27 degC.
SPICE_TNOM = 27.0 + CELSIUS_TO_KELVIN
_KOQ = NGSPICE_BOLTZMANN / NGSPICE_CHARGE


def _eg_silicon(t: float) -> float:
    """Silicon band gap (eV) at ``t`` (K), the SPICE fit used for VJ(T)."""
    return 1.16 - 7.02e-4 * t * t / (t + 1108.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class SpiceDiodeParams:
    """Model card and instance values of a SPICE level-1 diode (ngspice defaults).

    Attributes
    ----------
    i_s : float
        ``IS``, saturation current at TNOM, A.
    n : float
        ``N``, emission coefficient.
    r_s : float
        ``RS``, series resistance, ohm (applied by the caller as a resistor).
    bv : float or None
        ``BV``, reverse breakdown voltage, V (None: no breakdown).
    ibv : float
        ``IBV``, current at ``-BV``, A.
    nbv : float or None
        ``NBV``, breakdown emission coefficient (None: ``N``).
    cjo : float
        ``CJO``, zero-bias junction capacitance, F.
    vj : float
        ``VJ``, junction potential, V.
    m : float
        ``M``, grading coefficient.
    fc : float
        ``FC``, forward-bias depletion capacitance coefficient.
    tt : float
        ``TT``, transit time, s.
    eg : float
        ``EG``, activation energy, eV.
    xti : float
        ``XTI``, saturation-current temperature exponent.
    ikf : float or None
        ``IKF``, forward knee current, A (None: no high injection).
    isr : float
        ``ISR``, recombination saturation current, A (0: none).
    nr : float
        ``NR``, recombination emission coefficient.
    tnom : float
        ``TNOM``, temperature the parameters were measured at, K.
    area : float
        Instance ``AREA`` factor.
    mult : float
        Instance multiplier ``M`` (parallel devices).
    temperature : float
        Device temperature, K.
    gmin : float
        Conductance across the junction, S (ngspice's GMIN).
    """

    i_s: float = 1e-14
    n: float = 1.0
    r_s: float = 0.0
    bv: float | None = None
    ibv: float = 1e-3
    nbv: float | None = None
    cjo: float = 0.0
    vj: float = 1.0
    m: float = 0.5
    fc: float = 0.5
    tt: float = 0.0
    eg: float = 1.11
    xti: float = 3.0
    ikf: float | None = None
    isr: float = 0.0
    nr: float = 2.0
    tnom: float = SPICE_TNOM
    area: float = 1.0
    mult: float = 1.0
    temperature: float = SPICE_TNOM
    gmin: float = 1e-12

    def __post_init__(self) -> None:
        owner = "SpiceDiode"
        check_positive(self.i_s, "i_s", owner, "A")
        check_positive(self.n, "n", owner)
        check_nonnegative(self.r_s, "r_s", owner, "ohm")
        if self.bv is not None:
            check_positive(self.bv, "bv", owner, "V")
        check_positive(self.ibv, "ibv", owner, "A")
        if self.nbv is not None:
            check_positive(self.nbv, "nbv", owner)
        check_nonnegative(self.cjo, "cjo", owner, "F")
        check_positive(self.vj, "vj", owner, "V")
        check_nonnegative(self.m, "m", owner)
        if not 0.0 <= self.fc < 1.0:
            raise ParameterError(
                f"The 'fc' parameter of SpiceDiode must be in [0, 1); got {self.fc!r}."
            )
        check_nonnegative(self.tt, "tt", owner, "s")
        check_positive(self.eg, "eg", owner, "eV")
        if self.ikf is not None:
            check_positive(self.ikf, "ikf", owner, "A")
        check_nonnegative(self.isr, "isr", owner, "A")
        check_positive(self.nr, "nr", owner)
        check_positive(self.tnom, "tnom", owner, "K")
        check_positive(self.area, "area", owner)
        check_positive(self.mult, "mult", owner)
        check_positive(self.temperature, "temperature", owner, "K")
        check_nonnegative(self.gmin, "gmin", owner, "S")


class SpiceDiode:
    """Vectorised junction of a SPICE level-1 diode at its temperature.

    ``current(v)``, ``didv(v)``, ``charge(v)`` and ``capacitance(v)`` take the junction
    voltage (internal anode minus cathode), V.
    """

    name = "spice_diode"

    def __init__(self, params: SpiceDiodeParams) -> None:
        p = params
        self.params = p
        t, tn = p.temperature, p.tnom
        self.vt = _KOQ * t
        self.vte = p.n * self.vt
        self.vtr = p.nr * self.vt
        self.vtbrk = (p.nbv if p.nbv is not None else p.n) * self.vt
        area = p.area * p.mult
        ratio = t / tn

        def sat(i0: float, n: float) -> float:
            arg1 = (ratio - 1.0) * p.eg / (n * self.vt)
            arg2 = p.xti / n * math.log(ratio)
            return i0 * area * math.exp(arg1 + arg2)

        self.t_is = sat(p.i_s, p.n)
        self.t_isr = sat(p.isr, p.nr) if p.isr > 0 else 0.0
        self.t_ikf = p.ikf * area if p.ikf is not None else None
        # junction potential and capacitance (ngspice TLEVC = 0)
        vtnom = _KOQ * tn
        fact2 = t / SPICE_TNOM
        kb = NGSPICE_BOLTZMANN
        arg = -_eg_silicon(t) / (2 * kb * t) + 1.1150877 / (kb * (2 * SPICE_TNOM))
        pbfact = -2 * self.vt * (1.5 * math.log(fact2) + NGSPICE_CHARGE * arg)
        fact1 = tn / SPICE_TNOM
        arg1 = -_eg_silicon(tn) / (kb * 2 * tn) + 1.1150877 / (2 * kb * SPICE_TNOM)
        pbfact1 = -2 * vtnom * (1.5 * math.log(fact1) + NGSPICE_CHARGE * arg1)
        pbo = (p.vj - pbfact1) / fact1
        gmaold = (p.vj - pbo) / pbo
        cj = p.cjo * area / (1 + p.m * (400e-6 * (tn - SPICE_TNOM) - gmaold))
        self.t_vj = pbfact + fact2 * pbo
        gmanew = (self.t_vj - pbo) / pbo
        self.t_cj = cj * (1 + p.m * (400e-6 * (t - SPICE_TNOM) - gmanew))
        self.t_dep = p.fc * self.t_vj
        if self.t_dep > 1.0:  # ngspice limits VJ to 1/FC
            self.t_vj = 1.0 / p.fc
            self.t_dep = p.fc * self.t_vj
        xfc = math.log(1 - p.fc)
        self.f1 = self.t_vj * (1 - math.exp((1 - p.m) * xfc)) / (1 - p.m) if p.m != 1 else 0.0
        self.f2 = math.exp((1 + p.m) * xfc)
        self.f3 = 1 - p.fc * (1 + p.m)
        self.vcrit = self.vte * math.log(self.vte / (math.sqrt(2.0) * self.t_is))
        self.t_bv = self._breakdown_knee() if p.bv is not None else None

    def _breakdown_knee(self) -> float:
        """Effective breakdown voltage so that I(-BV) = IBV (ngspice's iteration)."""
        p = self.params
        bv = float(p.bv)  # type: ignore[arg-type]
        cbv = p.mult * p.ibv
        vt, isat, nbv_vt = self.vt, self.t_is, self.vtbrk
        if cbv < isat * bv / vt:
            return bv
        tol = 1e-3 * cbv
        xbv = bv - nbv_vt * math.log(1 + cbv / isat)
        for _ in range(25):
            xbv = bv - nbv_vt * math.log(cbv / isat + 1 - xbv / vt)
            xcbv = isat * (math.exp((bv - xbv) / nbv_vt) - 1 + xbv / vt)
            if abs(xcbv - cbv) <= tol:
                break
        return xbv

    # -- DC ------------------------------------------------------------------------------
    def current_and_conductance(self, v: ArrayLike) -> tuple[Array, Array]:
        """Junction current (A) and its derivative (S) at voltage ``v`` (V)."""
        p = self.params
        vd = np.asarray(v, dtype=float)
        vte, isat = self.vte, self.t_is
        fwd = vd >= -3 * vte
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            evd = np.exp(np.where(fwd, vd, 0.0) / vte)
            i = np.where(fwd, isat * (evd - 1), 0.0)
            g = np.where(fwd, isat * evd / vte, 0.0)
            if self.t_isr > 0:
                evr = np.exp(np.where(fwd, vd, 0.0) / self.vtr)
                ir = self.t_isr * (evr - 1)
                gr = self.t_isr * evr / self.vtr
                x = 1 - vd / self.t_vj
                t1 = x * x + 0.005
                gen = t1 ** (p.m / 2)
                gen_v = -p.m * x * t1 ** (p.m / 2 - 1) / self.t_vj
                i = i + np.where(fwd, ir * gen, 0.0)
                g = g + np.where(fwd, gr * gen + ir * gen_v, 0.0)
            rev = ~fwd
            if self.t_bv is not None:
                brk = vd < -self.t_bv
                rev = rev & ~brk
                evrev = np.exp(-(self.t_bv + np.where(brk, vd, -self.t_bv)) / self.vtbrk)
                i = np.where(brk, -isat * evrev, i)
                g = np.where(brk, isat * evrev / self.vtbrk, g)
            vr = np.where(rev, vd, -1.0)
            a = 3 * vte / (vr * math.e)
            a3 = a * a * a
            i = np.where(rev, -isat * (1 + a3), i)
            g = np.where(rev, isat * 3 * a3 / vr, g)
            if self.t_ikf is not None:
                knee = fwd & (i > 1e-18)
                ik = self.t_ikf
                s = np.sqrt(np.where(knee, i, 0.0) / ik)
                gk = ((1 + s) * g - i * g / (2 * np.where(knee, s, 1.0) * ik)) / (
                    1 + 2 * s + i / ik
                )
                g = np.where(knee, gk, g)
                i = np.where(knee, i / (1 + s), i)
        return i + p.gmin * vd, g + p.gmin

    def current(self, v: ArrayLike) -> Array:
        """Junction current (A) at ``v`` (V)."""
        return self.current_and_conductance(v)[0]

    def didv(self, v: ArrayLike) -> Array:
        """Junction small-signal conductance (S) at ``v`` (V)."""
        return self.current_and_conductance(v)[1]

    # -- charge ---------------------------------------------------------------------------
    def charge_and_capacitance(self, v: ArrayLike) -> tuple[Array, Array]:
        """Junction charge (C) and capacitance (F): depletion + diffusion ``TT I``."""
        p = self.params
        vd = np.asarray(v, dtype=float)
        cz = self.t_cj
        low = vd < self.t_dep
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            arg = 1 - np.where(low, vd, 0.0) / self.t_vj
            sarg = np.exp(-p.m * np.log(arg))
            if p.m == 1.0:
                q_low = -self.t_vj * cz * np.log(arg)
            else:
                q_low = self.t_vj * cz * (1 - arg * sarg) / (1 - p.m)
            c_low = cz * sarg
            czof2 = cz / self.f2
            q_hi = cz * self.f1 + czof2 * (
                self.f3 * (vd - self.t_dep)
                + p.m / (2 * self.t_vj) * (vd * vd - self.t_dep * self.t_dep)
            )
            c_hi = czof2 * (self.f3 + p.m * vd / self.t_vj)
        q = np.where(low, q_low, q_hi)
        c = np.where(low, c_low, c_hi)
        if p.tt > 0:
            i, g = self.current_and_conductance(vd)
            q = q + p.tt * i
            c = c + p.tt * g
        return q, c

    @property
    def has_charge(self) -> bool:
        """True if the junction stores charge (CJO or TT given)."""
        return self.t_cj > 0 or self.params.tt > 0


__all__ = [
    "CELSIUS_TO_KELVIN",
    "NGSPICE_BOLTZMANN",
    "NGSPICE_CHARGE",
    "SPICE_TNOM",
    "SpiceDiode",
    "SpiceDiodeParams",
]

"""Named parameter sets, each citing the paper it comes from, and the demo catalogue.

Every factory returns a ready model. ``CATALOGUE`` lists every memristor variant with a sine
drive (amplitude, two frequencies, initial state) under which its pinched loop is clearly
visible and stays inside the state bounds; the CLI, the device demo and the tests use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from thermolearn.devices.base import MemristorModel
from thermolearn.devices.memristors import (
    VTEAM,
    DataDrivenTiOx,
    LinearConductance,
    LinearIonDrift,
    StanfordPKU,
    VTEAMParams,
    Yakopcic,
)
from thermolearn.validation import check_choice


def strukov2008(window: str = "joglekar", p: float = 1.0) -> LinearIonDrift:
    """HP TiO2 device: D = 10 nm, mu_v = 1e-14 m^2/(V s), R_on = 100 ohm, R_off = 16 kohm.

    References
    ----------
    D. B. Strukov et al., Nature 453, 80 (2008) (values as in its Fig. 2).
    """
    return LinearIonDrift(r_on=100.0, r_off=16e3, d=10e-9, mu_v=1e-14, window=window, p=p)


def kvatinsky2015(resistance: str = "linear") -> VTEAM:
    """Build a VTEAM device with symmetric 0.3 V thresholds and cubic threshold nonlinearity.

    R_on = 50 ohm, R_off = 1 kohm, alpha = 3 and the Kvatinsky window follow the
    structure of Kvatinsky et al. (2015); the rates k_on/k_off (normalised, 1/s) and the
    thresholds are representative values in the ranges that paper discusses (check against
    its fitted sets before quoting device-level figures).

    References
    ----------
    S. Kvatinsky et al., IEEE TCAS-II 62, 786 (2015).
    """
    return VTEAM(
        VTEAMParams(
            r_on=50.0, r_off=1000.0, k_off=1e4, k_on=-1e4, v_off=0.3, v_on=-0.3,
            alpha_off=3.0, alpha_on=3.0, resistance=resistance, window="kvatinsky",
            a_on=0.0, a_off=1.0, w_c=0.1,
        )
    )  # fmt: skip


#: Top of the conductance window of the Wan et al. (2022) NeuRRAM RRAM data, S: the g_max
#: reference (40 uS) of IBM aihwkit's fit of that paper's programmed-conductance data
#: (``aihwkit.inference.noise.reram.ReRamWan2022NoiseModel``: "standard g_max are defined in
#: respect to 40.0 uS").
WAN2022_G_MAX = 40e-6


def vteam_wan2022(resistance: str = "linear") -> VTEAM:
    """Build a high-resistance VTEAM device: R_on = 25 kohm, R_off = 500 kohm (2-40 uS).

    A modelling choice, not a fit: the VTEAM state equation of :func:`kvatinsky2015`
    unchanged (thresholds ±0.3 V, k_off/k_on, alpha = 3, Kvatinsky window), with the
    conductance window of an analog in-memory-computing RRAM: G_max = 40 uS, the top of the
    programmed-conductance range of the NeuRRAM chip (Wan et al. 2022, as referenced by IBM
    aihwkit's fit of that paper's data, :data:`WAN2022_G_MAX`), and G_min = G_max / 20, the
    on/off ratio of :func:`kvatinsky2015` (a choice: it keeps the EP initial draw, 0.1-0.6 of
    G_max, inside the window). The window is the default preset's divided by 500 exactly.

    VTEAM's state velocity depends on the voltage only (not the current), so the thresholds,
    the disturb-free read voltage and the pulse response in state are those of
    :func:`kvatinsky2015`; every current, conductance step and pulse energy is 500x smaller.
    The point of the device: line currents (and so the crossbar wires' IR drop) scale with
    the device conductance.

    References
    ----------
    S. Kvatinsky et al., IEEE TCAS-II 62, 786 (2015) (state equation);
    W. Wan et al., "A compute-in-memory chip based on resistive random-access memory",
    Nature 608, 504 (2022) (conductance window; 40 uS as in aihwkit's ReRamWan2022NoiseModel).
    """
    return VTEAM(
        VTEAMParams(
            r_on=25e3, r_off=500e3, k_off=1e4, k_on=-1e4,
            v_off=0.3, v_on=-0.3, alpha_off=3.0, alpha_on=3.0, resistance=resistance,
            window="kvatinsky", a_on=0.0, a_off=1.0, w_c=0.1,
        )
    )  # fmt: skip


def yakopcic2013() -> Yakopcic:
    """Build the often-used Yakopcic set: a1 = a2 = 0.17, b = 0.05, V_p = 0.16, V_n = 0.15, ...

    References
    ----------
    C. Yakopcic et al., IEEE TCAD 32, 1201 (2013) (x0 = 0.11 is the usual start).
    """
    return Yakopcic(
        a1=0.17, a2=0.17, b=0.05, v_p=0.16, v_n=0.15, a_p=4000.0, a_n=4000.0,
        x_p=0.3, x_n=0.5, alpha_p=1.0, alpha_n=5.0, eta=1.0,
    )  # fmt: skip


def stanford_pku2014() -> StanfordPKU:
    """Default set of the Stanford RRAM Verilog-A model v1.0.0 (HfOx).

    I0 = 1 mA, g0 = 0.25 nm, V0 = 0.25 V, vel0 = 10 m/s, Ea = 0.6 eV, a0 = 0.25 nm,
    tox (L) = 5 nm, gamma0 = 16, beta = 0.8, gap 0.1-1.7 nm, T0 = 298 K; R_th = 2.1 kK/W
    (check).

    References
    ----------
    Z. Jiang, H.-S. P. Wong, Stanford University RRAM model, nanoHUB (2014),
    doi:10.4231/D37H1DN48; X. Guan, S. Yu, H.-S. P. Wong, IEEE EDL 33, 1405 (2012).
    """
    return StanfordPKU()


def messaris2018() -> DataDrivenTiOx:
    """Build the TiOx device fitted by Messaris et al. (eq. (9) r(v), eq. (10) s(v)).

    a0_p = 17.16 kohm, a1_p = 0.15 kohm/V, a0_n = 24.81 kohm, a1_n = 17.91 kohm/V,
    |A_p| = 4.86e-5 /(ohm s), t_p = 0.12 V, A_n = 1.09e-3 /(ohm s), t_n = 0.18 V.

    References
    ----------
    I. Messaris et al., IEEE TCAD 37, 3151 (2018).
    """
    return DataDrivenTiOx()


def ideal(g_min: float = 1e-6, g_max: float = 1e-4) -> LinearConductance:
    """Build an ideal programmable conductance in [g_min, g_max] (S) (crossbars, EP)."""
    return LinearConductance(g_min=g_min, g_max=g_max)


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """A named memristor variant with a sine drive that shows its pinched loop.

    ``frequencies`` are two drive frequencies (Hz), the second 4x the first.
    """

    name: str
    factory: Callable[[], MemristorModel]
    x0: float
    amplitude: float
    frequencies: tuple[float, float]
    reference: str


CATALOGUE: dict[str, CatalogueEntry] = {
    e.name: e
    for e in (
        CatalogueEntry("hp_none", lambda: strukov2008("none"), 0.1, 1.0, (1.0, 4.0),
                       "Strukov et al., Nature 453, 80 (2008)"),
        CatalogueEntry("hp_joglekar", lambda: strukov2008("joglekar"), 0.1, 1.0, (1.0, 4.0),
                       "Strukov 2008 + Joglekar & Wolf, Eur. J. Phys. 30, 661 (2009)"),
        CatalogueEntry("hp_biolek", lambda: strukov2008("biolek"), 0.1, 1.0, (1.0, 4.0),
                       "Strukov 2008 + Biolek et al., Radioengineering 18, 210 (2009)"),
        CatalogueEntry("hp_prodromakis", lambda: strukov2008("prodromakis", p=2.0), 0.1, 1.0,
                       (0.5, 2.0), "Strukov 2008 + Prodromakis et al., IEEE TED 58, 3099 (2011)"),
        CatalogueEntry("vteam_linear", lambda: kvatinsky2015("linear"), 0.5, 0.5, (1e3, 4e3),
                       "Kvatinsky et al., IEEE TCAS-II 62, 786 (2015)"),
        CatalogueEntry("vteam_exponential", lambda: kvatinsky2015("exponential"), 0.5, 0.5,
                       (1e3, 4e3), "Kvatinsky et al., IEEE TCAS-II 62, 786 (2015)"),
        CatalogueEntry("vteam_highr", lambda: vteam_wan2022("linear"), 0.5, 0.5, (1e3, 4e3),
                       "Kvatinsky et al. (2015) dynamics, Wan et al., Nature 608, 504 (2022) "
                       "window"),
        CatalogueEntry("yakopcic", yakopcic2013, 0.11, 0.25, (100.0, 400.0),
                       "Yakopcic et al., IEEE TCAD 32, 1201 (2013)"),
        CatalogueEntry("stanford_pku", stanford_pku2014, 1.0e-9, 0.4, (4e4, 1.6e5),
                       "Guan, Yu, Wong, IEEE EDL 33, 1405 (2012); Jiang et al. (2014 model)"),
        CatalogueEntry("tiox_data_driven", messaris2018, 14e3, 0.8, (50.0, 200.0),
                       "Messaris et al., IEEE TCAD 37, 3151 (2018)"),
    )
}  # fmt: skip


def get(name: str) -> CatalogueEntry:
    """Return the catalogue entry ``name`` (raises ParameterError listing the names)."""
    check_choice(name, "model", "thermolearn.devices.presets", tuple(CATALOGUE))
    return CATALOGUE[name]


__all__ = [
    "strukov2008",
    "kvatinsky2015",
    "vteam_wan2022",
    "WAN2022_G_MAX",
    "yakopcic2013",
    "stanford_pku2014",
    "messaris2018",
    "ideal",
    "CatalogueEntry",
    "CATALOGUE",
    "get",
]

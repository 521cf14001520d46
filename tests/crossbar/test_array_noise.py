"""Read-current noise of a crossbar against its closed forms (Johnson and 1/f).

References: Johnson-Nyquist current noise of the cells on a sensed line, sigma^2 = 4 k T G B,
with G the line's summed conductance and B = 1/(2 t_read) the noise bandwidth of an
integration over t_read (J. B. Johnson, Phys. Rev. 32, 97 (1928)); Hooge 1/f noise
S_I = K_f I^2 / f integrated from f_min to B, K_f I^2 ln(B/f_min) per cell (F. N. Hooge,
Phys. Lett. A 29, 139 (1969)). Tolerance: N = 20000 reads give a standard deviation to
1/sqrt(2N) = 0.5 % (1 sigma); rtol 3 % is six of those.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from thermolearn.crossbar import CrossbarArray
from thermolearn.devices import VariabilityParams
from thermolearn.hardware import Hardware

K_B = 1.380649e-23  # J/K, exact (SI 2019); written out so the test does not share the code's
N_READS = 20000
RTOL = 0.03


def _array(hardware: Hardware, seed: int = 5) -> tuple[CrossbarArray, np.ndarray]:
    xb = CrossbarArray(8, 3, hardware, rng=np.random.default_rng(seed))
    g = np.random.default_rng(6).uniform(1e-6, 1e-4, (8, 3))
    xb.program_conductances(g, verify=False)
    return xb, g


def _johnson_sigma(temperature: float, g: np.ndarray, t_read: float) -> np.ndarray:
    return np.sqrt(4.0 * K_B * temperature * g.sum(axis=0) / (2.0 * t_read))


@pytest.mark.parametrize("temperature", [4.0, 300.0])
def test_read_noise_is_johnson_at_the_hardware_temperature(temperature: float) -> None:
    hw = Hardware(variability=VariabilityParams(read_noise=True), temperature=temperature)
    xb, g = _array(hw)
    out = xb.read(np.zeros((N_READS, 8)))
    np.testing.assert_allclose(
        out.std(axis=0), _johnson_sigma(temperature, g, hw.read.t_read), rtol=RTOL
    )


def test_read_noise_scales_as_sqrt_temperature() -> None:
    """sigma(300 K) / sigma(4 K) = sqrt(75) = 8.66 (the bug: both were 9.07e-10 A)."""
    sig = {}
    for t in (4.0, 300.0):
        xb, _ = _array(Hardware(variability=VariabilityParams(read_noise=True), temperature=t))
        sig[t] = xb.read(np.zeros((N_READS, 8))).std(axis=0)
    np.testing.assert_allclose(sig[300.0] / sig[4.0], math.sqrt(75.0), rtol=2 * RTOL)


def test_variability_temperature_reaches_the_read_without_a_hardware_object() -> None:
    """The reported case: VariabilityParams(temperature=4) given to CrossbarArray directly."""
    xb = CrossbarArray(
        8,
        3,
        variability=VariabilityParams(read_noise=True, temperature=4.0),
        rng=np.random.default_rng(5),
    )
    g = np.random.default_rng(6).uniform(1e-6, 1e-4, (8, 3))
    xb.program_conductances(g, verify=False)
    assert xb.hardware.temperature == 4.0
    out = xb.read(np.zeros((N_READS, 8)))
    np.testing.assert_allclose(out.std(axis=0), _johnson_sigma(4.0, g, xb.t_read), rtol=RTOL)


def test_read_noise_includes_flicker_at_the_read_current() -> None:
    """K_f chosen so that 1/f and Johnson variances are comparable (both must be present)."""
    k_f, f_min, temperature = 1e-8, 1.0, 300.0
    hw = Hardware(
        variability=VariabilityParams(
            read_noise=True, flicker_coefficient=k_f, flicker_f_min=f_min
        ),
        temperature=temperature,
    )
    xb, g = _array(hw)
    v = np.full((N_READS, 8), 0.2)
    out = xb.read(v)
    bw = 1.0 / (2.0 * hw.read.t_read)
    johnson = 4.0 * K_B * temperature * g.sum(axis=0) * bw
    flicker = k_f * math.log(bw / f_min) * ((0.2 * g) ** 2).sum(axis=0)
    assert np.all(flicker > 0.3 * johnson) and np.all(flicker < 3.0 * johnson)
    # zero-mean noise: the sample mean is the noiseless read to 5 standard errors
    sigma = np.sqrt(johnson + flicker)
    assert np.all(np.abs(out.mean(axis=0) - 0.2 * g.sum(axis=0)) < 5 * sigma / np.sqrt(N_READS))
    np.testing.assert_allclose((out - 0.2 * g.sum(axis=0)).std(axis=0), sigma, rtol=RTOL)
    # transposed read: rows sensed, each row's cells on it
    vt = np.full((N_READS, 3), 0.2)
    out_t = xb.read_transposed(vt)
    johnson_t = 4.0 * K_B * temperature * g.sum(axis=1) * bw
    flicker_t = k_f * math.log(bw / f_min) * ((0.2 * g) ** 2).sum(axis=1)
    np.testing.assert_allclose(
        (out_t - 0.2 * g.sum(axis=1)).std(axis=0), np.sqrt(johnson_t + flicker_t), rtol=RTOL
    )

"""Thermal noise in the EP circuit: Langevin dynamics of the node voltages.

Every solved node has a capacitance C to ground. Each crossbar conductance G carries a Johnson
current noise of two-sided spectral density 2kTG (one-sided 4kTG) that enters its
post-synaptic node and, through the bidirectional amplifier's CCCS, its pre-synaptic hidden
node with weight ∓a; each diode contributes 2kT·g_d with its small-signal conductance g_d
(the equilibrium, fluctuation–dissipation value). The node voltages then obey

    C dV = −∂E/∂V dt + √(2kT) Σ_e √G_e b_e dW_e,

whose noise covariance is 2kT times the circuit's conductance matrix (the Hessian of the
co-content), so near the operating point each node fluctuates with variance kT/C
(equipartition), independently of the conductances. Integrated by Euler–Maruyama with a step
``dt`` much shorter than the fastest node time constant (the discrete-time variance is
kT/C / (1 − λ dt / 2) for a node of rate λ = G/C, a bias < 1 % at the default step).

References
----------
.. [1] J. B. Johnson, Phys. Rev. 32, 97 (1928); H. Nyquist, Phys. Rev. 32, 110 (1928).
.. [2] C. W. Gardiner, *Stochastic Methods*, 4th ed., Springer (2009), §4.5 (Ornstein–Uhlenbeck
   stationary covariance) and §10 (Euler–Maruyama).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.algorithms.ep_circuit import EPCircuit
from thermolearn.errors import ParameterError
from thermolearn.numerics import central_difference
from thermolearn.physics import K_B, T_ROOM
from thermolearn.validation import check_int, check_positive, finite_array

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class ThermalNoiseParams:
    """Langevin settings.

    Attributes
    ----------
    capacitance : float
        Node capacitance to ground, F.
    temperature : float
        K.
    dt_fraction : float
        Time step as a fraction of the fastest node time constant C / G_max (dimensionless).
    """

    capacitance: float = 1e-13
    temperature: float = T_ROOM
    dt_fraction: float = 0.01

    def __post_init__(self) -> None:
        owner = "ThermalNoiseParams"
        check_positive(self.capacitance, "capacitance", owner, "F")
        check_positive(self.temperature, "temperature", owner, "K")
        check_positive(self.dt_fraction, "dt_fraction", owner)
        if self.dt_fraction > 0.2:
            raise ParameterError(
                f"The 'dt_fraction' parameter of {owner} must be <= 0.2 for a stable and "
                f"accurate Euler–Maruyama step; got {self.dt_fraction!r}."
            )


@dataclass(slots=True)
class LangevinResult:
    """Trajectory statistics: time step (s), samples ``layers[l]`` (steps, B, n_l), mean (V)."""

    dt: float
    layers: list[Array]
    operating_point: list[Array]


def _diode_conductance(net: EPCircuit, v: Array, layer: int = 1) -> Array:
    """Small-signal conductance (S) the diode pair adds to a hidden node: a² g_d(a V)."""
    h = 1e-7

    def i(vv: Array) -> Array:
        i_up, i_dn = net.diode_currents(layer, vv)
        return net.params.diode_gain * (i_up - i_dn)

    return central_difference(i, v, h)


def simulate_langevin(
    net: EPCircuit,
    x: ArrayLike,
    *,
    params: ThermalNoiseParams,
    n_steps: int,
    rng: np.random.Generator,
    record_every: int = 1,
    burn_in: int = 0,
) -> LangevinResult:
    """Integrate the noisy node dynamics from the operating point for ``n_steps`` steps.

    Parameters
    ----------
    net : EPCircuit
    x : array (B, n_in)
        One input per independent replica.
    params : ThermalNoiseParams
    n_steps, record_every, burn_in : int
        Steps to integrate, recording interval, and steps discarded at the start.
    rng : numpy.random.Generator
    """
    if not isinstance(net, EPCircuit):
        raise ParameterError(f"simulate_langevin needs an EPCircuit; got {type(net).__name__}.")
    xa, _ = net.check_inputs(finite_array(x, "x", "simulate_langevin"))
    n_steps = check_int(n_steps, "n_steps", "simulate_langevin", minimum=1)
    record_every = check_int(record_every, "record_every", "simulate_langevin", minimum=1)
    burn_in = check_int(burn_in, "burn_in", "simulate_langevin", minimum=0)
    p = net.params
    c = params.capacitance
    kt = K_B * params.temperature
    op = net.relax(xa, tol=1e-10).layers
    # fastest time constant: largest node conductance (crossbars + diodes at the op point)
    g_node = [s * p.g_max for s in net._s]
    g_max_node = max(float(np.max(g)) for g in g_node)
    g_d = max(
        (float(np.max(_diode_conductance(net, v, k))) for k, v in enumerate(op[:-1], 1)),
        default=0.0,
    )
    dt = params.dt_fraction * c / (g_max_node + g_d)
    v = [a.copy() for a in op]
    bsz = xa.shape[0]
    rec: list[list[Array]] = [[] for _ in v]
    amp = np.sqrt(2.0 * kt * dt) / c
    sqrt_g = [np.sqrt(w * p.g_max) for w in net.weights]
    for step in range(n_steps):
        currents = net.node_currents(xa, v)
        noise = [np.zeros_like(a) for a in v]
        for k, sg in enumerate(sqrt_g):
            xi = rng.standard_normal((bsz, *sg.shape)) * sg  # A·sqrt(s) per device
            noise[k] += xi.sum(axis=1)  # into the post-synaptic node
            if k >= 1:
                n = p.layer_sizes[k]
                a = net._gain(k)
                # mirrored into the pre-synaptic hidden node by the CCCS (gain +a / −a)
                noise[k - 1] += -a * xi[:, :n, :].sum(axis=2) + a * xi[:, n : 2 * n, :].sum(axis=2)
        for layer in range(len(v) - 1):
            gd = np.clip(_diode_conductance(net, v[layer], layer + 1), 0.0, None)
            noise[layer] += np.sqrt(gd) * rng.standard_normal(v[layer].shape)
        for layer in range(len(v)):
            v[layer] = v[layer] - dt / c * currents[layer] + amp * noise[layer]
        if step >= burn_in and (step - burn_in) % record_every == 0:
            for layer in range(len(v)):
                rec[layer].append(v[layer].copy())
    return LangevinResult(dt=dt, layers=[np.asarray(r) for r in rec], operating_point=op)


def ktc_variance(capacitance: float, temperature: float = T_ROOM) -> float:
    """Equipartition variance kT/C of a node voltage, V²."""
    return (
        K_B
        * check_positive(temperature, "temperature", "ktc_variance", "K")
        / check_positive(capacitance, "capacitance", "ktc_variance", "F")
    )


__all__ = ["ThermalNoiseParams", "LangevinResult", "simulate_langevin", "ktc_variance"]

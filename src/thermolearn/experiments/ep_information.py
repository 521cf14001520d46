"""Information, erasure and the Landauer guard of a physical EP training run.

:func:`~thermolearn.experiments.ep_train.run_training` calls this module at three points
(one hook each, so the EP code stays the EP engineer's):

* :func:`audit_for_run` when the circuit is built: the hardware is checked for physical
  plausibility (:func:`thermolearn.physical_limits.check_hardware_plausible`: device
  resistances, settling against RC, Johnson noise left out of the simulation) before any
  work, and the initial conductances are kept as the data-independent prior;
* :meth:`EPInformationAudit.after_update` after every update: the bits erased in the
  weight memory, H(old | new) of the device levels (:func:`thermolearn.information.
  overwrite_erased_bits`), booked in the ledger as ``landauer`` (source ``"bound"``);
* :meth:`EPInformationAudit.metrics` at the end: the estimators (default: the information
  written into the conductances, an upper bound on I(D; θ)), learning vs computing energy,
  joules per bit, and the Landauer guard, which raises
  :class:`~thermolearn.errors.LandauerViolationError` for a run below kT ln 2 per bit.

Read-noise model of the devices (the posterior width of the weight bound): one read at
:data:`READ_VOLTAGE` for :data:`READ_TIME` (the model figures of the state-aware
programmer's reads), Johnson noise only (:func:`thermolearn.information.
conductance_read_noise_std`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.energy import EnergyLedger, energy_by_role
from thermolearn.information import (
    calibrated_cross_entropy_gain_bits,
    calibrated_prequential_bits,
    conductance_capacity_bits,
    conductance_read_noise_std,
    distinct_count,
    joules_per_bit_report,
    level_code_bound_bits,
    overwrite_erased_bits,
    quantise_levels,
    weight_information_bound_bits,
)
from thermolearn.physical_limits import (
    Violation,
    check_hardware_plausible,
    hardware_violations,
    landauer_guard,
)
from thermolearn.physics import landauer_limit

#: Read voltage (V) and integration time (s) of one device read (model figures).
READ_VOLTAGE = 0.2
READ_TIME = 1.0e-8
#: Levels of the device state when the configuration names none (the pulse model's default).
DEFAULT_LEVELS = 64
#: The default estimator of every EP run's metrics.json.
DEFAULT_ESTIMATOR = "weight_information"

ESTIMATOR_MEANING = {
    "weight_information": "information written into the conductances: upper bound on "
                          "I(D; theta), the smallest of weight_kl_bound, weight_level_code, "
                          "array_capacity and data_entropy_ceiling (default)",
    "weight_kl_bound": "sum KL(read-noise posterior || prior centred on the initial "
                       "conductances) + log2 K prior-grid cost: upper bound on I(D; theta)",
    "weight_level_code": "code length of the level displacements from the initial levels "
                         "(data-independent Gaussian code, width on a grid): upper bound on "
                         "I(D; theta) at the devices' level resolution",
    "array_capacity": "capacity of the noisy array (range, read noise, levels): ceiling",
    "data_entropy_ceiling": "H(D) <= distinct examples x (features x log2 alphabet + log2 K): "
                            "ceiling, given when the features take <= 256 values",
    "label_prequential": "predictive information about labels: prequential code, readout "
                         "temperature fitted online on labels already coded; repeated (x, y) "
                         "examples skipped and trained on only after every distinct one is "
                         "coded",
    "label_cross_entropy_gain": "predictive information about labels: held-out cross-entropy "
                                "gain x distinct training examples, readout temperature "
                                "fitted on held-out folds",
}


def _limits(params: Any, *, noise_simulated: bool = False) -> dict[str, Any]:
    sizes = params.layer_sizes
    fan_in = min(2 * sizes[k] + 2 for k in range(len(sizes) - 1))
    return {"g_min": params.g_min, "g_max": params.g_max, "temperature": params.temperature,
            "settling_time": params.settling_time, "node_conductance": fan_in * params.g_min,
            # the smallest voltage the computation must resolve: the target separation, the
            # input amplitude or the bias, whichever is smallest
            "signal_voltage": min(abs(params.target_high - params.target_low),
                                  abs(params.input_amplitude), abs(params.bias_voltage),
                                  abs(params.bias_of(len(sizes) - 2))),
            "noise_simulated": noise_simulated}


def ep_hardware_violations(params: Any) -> list[Violation]:
    """Plausibility violations of an :class:`~thermolearn.algorithms.ep_circuit.EPCircuitParams`.

    The slowest node is the one with the smallest fan-in, all of its devices at g_min; the
    signal is the smallest of the target separation |target_high − target_low|, the input
    amplitude and the bias voltage; the layer-wise solver draws
    no noise.
    """
    return hardware_violations(**_limits(params))


class EPInformationAudit:
    """Per-run record of the EP circuit's weight memory (see the module docstring).

    Parameters
    ----------
    params : EPCircuitParams
    initial_weights : list of ndarray
        Normalised conductances w = G / g_max at initialisation.
    levels : int
        Distinguishable levels of a device.
    """

    def __init__(self, params: Any, initial_weights: Sequence[NDArray[np.float64]],
                 levels: int) -> None:
        self.params = params
        self.levels = int(levels)
        self.w_init = [np.array(w, dtype=np.float64, copy=True) for w in initial_weights]
        self.w_min = params.g_min / params.g_max

    def after_update(self, before: Sequence[NDArray[np.float64]],
                     after: Sequence[NDArray[np.float64]], ledger: EnergyLedger) -> float:
        """Book the bits erased by one update (H(old | new) of the device levels)."""
        bits = 0.0
        for a, b in zip(before, after, strict=True):
            bits += overwrite_erased_bits(quantise_levels(a, self.w_min, 1.0, self.levels),
                                          quantise_levels(b, self.w_min, 1.0, self.levels),
                                          self.levels)
        ledger.book("landauer", 0.0, bits_erased=bits, source="bound")
        return bits

    def noise_std(self, w: NDArray[np.float64]) -> NDArray[np.float64]:
        """Read-noise std (S) of devices at normalised conductances ``w``."""
        p = self.params
        return conductance_read_noise_std(w * p.g_max, temperature=p.temperature,
                                          read_voltage=READ_VOLTAGE, read_time=READ_TIME)

    def weight_bits(self, weights: Sequence[NDArray[np.float64]]) -> dict[str, Any]:
        """Return the weight-side estimators for trained normalised conductances ``weights``."""
        p = self.params
        g = [w * p.g_max for w in weights]
        g0 = [w * p.g_max for w in self.w_init]
        bound = weight_information_bound_bits(
            g, g0, [self.noise_std(w) for w in weights],
            prior_noise_std=[self.noise_std(w) for w in self.w_init])
        # the ceiling takes the smallest read noise of the range (Johnson noise at g_min), so
        # it bounds every device whatever its conductance
        sd_min = float(self.noise_std(np.array([self.w_min]))[0])
        sd_max = float(self.noise_std(np.array([1.0]))[0])
        n_dev = sum(w.size for w in weights)
        cap = n_dev * conductance_capacity_bits(p.g_min, p.g_max, sd_min, self.levels)
        lv = [quantise_levels(w, self.w_min, 1.0, self.levels) for w in weights]
        lv0 = [quantise_levels(w, self.w_min, 1.0, self.levels) for w in self.w_init]
        code = level_code_bound_bits(lv, lv0)
        return {"weight_kl_bound": bound["bits"], "weight_level_code": code["bits"],
                "array_capacity": cap,
                "detail": {**bound, "read_noise_std_S": {"at_g_min": sd_min, "at_g_max": sd_max},
                           "levels": self.levels, "read_voltage_V": READ_VOLTAGE,
                           "read_time_s": READ_TIME}}

    def metrics(
        self,
        *,
        weights: Sequence[NDArray[np.float64]],
        ledger: EnergyLedger,
        x_train: NDArray[np.float64],
        n_classes: int,
        preq_scores: Sequence[NDArray[np.float64]],
        preq_labels: Sequence[NDArray[np.int64]],
        preq_ids: Sequence[NDArray[np.int64]] | None,
        test_scores: NDArray[np.float64] | None,
        y_test: NDArray[np.int64],
        updates: int,
    ) -> dict[str, Any]:
        """Every information figure of the run, joules per bit, and the Landauer guard.

        Raises
        ------
        LandauerViolationError
            The run dissipated less than kT ln 2 per erased or per learned bit.
        """
        wb = self.weight_bits(weights)
        bits: dict[str, float] = {
            "weight_kl_bound": wb["weight_kl_bound"],
            "weight_level_code": wb["weight_level_code"],
            "array_capacity": wb["array_capacity"],
        }
        h_data = data_entropy_ceiling_bits(x_train, n_classes)
        if h_data is not None:
            bits["data_entropy_ceiling"] = h_data
        binding = min(bits, key=lambda k: bits[k])
        bits = {"weight_information": bits[binding], **bits}
        bits.update(label_information(x_train, n_classes, preq_scores, preq_labels, preq_ids,
                                      test_scores, y_test))
        rep = joules_per_bit_report(ledger, bits, default=DEFAULT_ESTIMATOR)
        roles = energy_by_role(ledger)
        kt = landauer_limit(ledger.temperature)
        erased = ledger.bits_erased()
        wi = bits[DEFAULT_ESTIMATOR]
        learn_e = roles["learning_joules"]
        guard = landauer_guard(
            energy_joules=rep["energy_joules"], temperature=ledger.temperature,
            bits_erased=erased, bits_learned=wi, learned_estimator=DEFAULT_ESTIMATOR,
            parameters={"g_max [S]": self.params.g_max, "g_min [S]": self.params.g_min,
                        "settling_time [s]": self.params.settling_time,
                        "diode_i_s [A]": self.params.diode_i_s},
            violations=ep_hardware_violations(self.params))
        return {
            **rep,
            "estimators": ESTIMATOR_MEANING,
            "weight_information_detail": {**wb["detail"], "binding_bound": binding},
            "bits_erased": {
                "per_run": erased,
                "per_update_mean": erased / updates if updates else 0.0,
                "updates": int(updates),
                "landauer_bound_joules": erased * kt,
                "estimator": "H(old | new) of the device levels per update (upper estimate "
                             "H(delta | bound class of new)), summed over updates",
            },
            "energy_by_role": roles,
            "learning_joules_per_bit": learn_e / wi if wi > 0 else None,
            "learning_landauer_ratio": learn_e / wi / kt if wi > 0 else None,
            "landauer_guard": guard,
        }


def label_information(
    x_train: NDArray[np.float64],
    n_classes: int,
    preq_scores: Sequence[NDArray[np.float64]],
    preq_labels: Sequence[NDArray[np.int64]],
    preq_ids: Sequence[NDArray[np.int64]] | None,
    test_scores: NDArray[np.float64] | None,
    y_test: NDArray[np.int64],
) -> dict[str, float]:
    """Predictive information about labels (calibrated readout), see ESTIMATOR_MEANING."""
    out: dict[str, float] = {}
    if preq_scores:
        out["label_prequential"] = float(calibrated_prequential_bits(
            preq_scores, preq_labels, n_classes, ids=preq_ids)["bits"])
    if test_scores is not None and len(y_test) >= 2:
        out["label_cross_entropy_gain"] = float(calibrated_cross_entropy_gain_bits(
            test_scores, y_test, distinct_count(x_train))["bits"])
    return out


def data_entropy_ceiling_bits(x: NDArray[np.float64], n_classes: int,
                              max_alphabet: int = 256) -> float | None:
    """H(D) ceiling: distinct examples × (features × log2 alphabet + log2 K) bits.

    I(D; θ) <= H(D). The alphabet is the set of values the features take (e.g. 17 for
    scikit-learn's digits, 256 for MNIST); for features with more than ``max_alphabet``
    values (continuous data) no ceiling is returned.
    """
    values = np.unique(x)
    if values.size > max_alphabet:
        return None
    n = distinct_count(x)
    return float(n * (x.shape[1] * np.log2(max(values.size, 1)) + np.log2(n_classes)))


def audit_for_run(params: Any, initial_weights: Sequence[NDArray[np.float64]],
                  levels: int | None) -> EPInformationAudit:
    """Check the hardware's plausibility (raises before any training) and start the audit.

    Raises
    ------
    UnphysicalHardwareError
        Device resistances, settling time or ignored noise outside physical limits.
    """
    check_hardware_plausible("EPCircuitParams", **_limits(params))
    return EPInformationAudit(params, initial_weights,
                              DEFAULT_LEVELS if levels is None else int(levels))


def row_ids(x: NDArray[np.float64], y: NDArray[np.int64] | None = None) -> NDArray[np.int64]:
    """Integer id of each training example; equal (x, y) pairs share an id.

    With ``y`` an example is a duplicate only if its inputs *and* its label repeat: the same
    inputs with another label (a noisy label) are new information and keep their own id.
    """
    rows = np.ascontiguousarray(x, dtype=np.float64).reshape(len(x), -1)
    if y is not None:
        rows = np.hstack([rows, np.asarray(y, dtype=np.float64).reshape(-1, 1)])
    _, inv = np.unique(rows, axis=0, return_inverse=True)
    return np.asarray(inv, dtype=np.int64).ravel()


__all__ = [
    "DEFAULT_ESTIMATOR",
    "ESTIMATOR_MEANING",
    "EPInformationAudit",
    "audit_for_run",
    "data_entropy_ceiling_bits",
    "ep_hardware_violations",
    "label_information",
    "row_ids",
]

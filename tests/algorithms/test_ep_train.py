"""Training runs: files, bit-for-bit resume, bad input before work, the train CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from thermolearn.errors import ParameterError
from thermolearn.experiments.ep_train import TrainConfig, default_config, run_training

from .conftest import SMALL_NET_SETTLING, TINY_NET_PHYSICS


def _small(**kw: object) -> TrainConfig:
    base = dict(n_train=120, hidden=(12,), epochs=3, batch_size=20, device="memristor",
                variability={"d2d_sigma": 0.1, "c2c_sigma": 0.1, "read_noise": True},
                physics={"settling_time": SMALL_NET_SETTLING})
    base.update(kw)
    return default_config("digits", **base)


def test_resume_is_bit_for_bit(tmp_path: Path) -> None:
    cfg = _small()
    full = run_training(cfg, tmp_path / "full", progress=False)
    part = tmp_path / "part"
    run_training(cfg, part, progress=False, stop_after=1)  # "killed" after epoch 1
    assert json.loads((part / "checkpoint.json").read_text())["epoch"] == 1
    resumed = run_training(cfg, part, progress=False, resume=True)
    for a, b in zip(full.model.weights, resumed.model.weights, strict=True):
        assert np.array_equal(a, b)
    assert resumed.ledger.rows() == full.ledger.rows()
    assert resumed.metrics["test_accuracy"] == full.metrics["test_accuracy"]
    assert resumed.metrics["bits_learned"] == full.metrics["bits_learned"]


def test_resume_survives_a_kill_between_checkpoint_files(tmp_path: Path) -> None:
    # A kill after checkpoint.npz was replaced but before checkpoint.json was rewritten leaves
    # a stale (here: missing) json; the self-contained npz must still resume bit for bit.
    cfg = _small(epochs=2)
    full = run_training(cfg, tmp_path / "full", progress=False)
    part = tmp_path / "part"
    run_training(cfg, part, progress=False, stop_after=1)
    (part / "checkpoint.json").unlink()
    resumed = run_training(cfg, part, progress=False, resume=True)
    for a, b in zip(full.model.weights, resumed.model.weights, strict=True):
        assert np.array_equal(a, b)
    assert resumed.ledger.rows() == full.ledger.rows()


# The information figures of a run (default estimator, label-side figures, erased bits,
# joules per bit, the Landauer guard) are tested in tests/information/test_ep_information.py.


def test_run_directory_contents_and_energy(tmp_path: Path) -> None:
    res = run_training(
        _small(epochs=3, device="ideal", n_train=300, hidden=(32,)), tmp_path, progress=False
    )
    for name in (
        "metrics.json",
        "ledger.csv",
        "history.csv",
        "checkpoint.npz",
        "checkpoint.json",
        "accuracy.png",
        "energy.png",
    ):
        assert (tmp_path / name).is_file(), name
    m = json.loads((tmp_path / "metrics.json").read_text())
    for key in (
        "test_accuracy",
        "train_accuracy",
        "energy_joules",
        "energy_breakdown",
        "epochs",
        "seconds",
        "audit",
        "baselines",
    ):
        assert key in m
    # the audit's energy per bit uses the run's default estimator and sits above kT ln 2
    epb = m["audit"]["energy_per_bit"]
    assert epb["estimator"] == m["default_estimator"] and epb["above_landauer"]
    assert epb["joules_per_bit"] == pytest.approx(
        m["energy_joules"] / m["bits_learned"][m["default_estimator"]], rel=1e-12)
    bd = m["energy_breakdown"]
    for cat in (
        "phase_free",
        "phase_nudge_plus",
        "phase_nudge_minus",
        "program",
        "dac",
        "adc",
        "amplifier",
    ):
        assert bd[cat] > 0, cat
    assert m["energy_joules"] == pytest.approx(sum(bd.values()), rel=1e-12)
    assert m["epochs"] == 3 and len(m["history"]) == 3
    # learning happens: 10 classes, chance is 0.1
    assert max(h["train_accuracy"] for h in res.history) > 0.3


def test_bad_config_raises_before_work(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="task"):
        TrainConfig(task="cifar")
    with pytest.raises(ParameterError, match="solver"):
        TrainConfig(solver="hspice")
    with pytest.raises(ParameterError, match="beta"):
        TrainConfig(beta=0.0)
    with pytest.raises(ParameterError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ParameterError, match="circuit"):
        TrainConfig(circuit={"bogus": 1})
    with pytest.raises(ParameterError, match="checkpoint"):
        run_training(_small(), tmp_path / "empty", progress=False, resume=True)


def test_train_cli_xor_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from thermolearn.cli import main

    rc = main(
        [
            "train",
            "--task",
            "xor",
            "--epochs",
            "150",
            "--seed",
            "1",
            "--out",
            str(tmp_path),
            "--no-progress",
        ]
    )
    assert rc == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["test_accuracy"] == 1.0
    assert main(["train", "--task", "nope", "--out", str(tmp_path / "x")]) == 2
    assert "task" in capsys.readouterr().err
    assert main(["train", "--task", "xor", "--solver", "hspice", "--out", str(tmp_path / "y")]) == 2


def test_backprop_baseline_runs() -> None:
    res = run_training(
        default_config("digits", algorithm="backprop", n_train=300, hidden=(16,), epochs=5),
        None,
        progress=False,
    )
    assert res.metrics["test_accuracy"] > 0.7


@pytest.mark.ngspice
def test_ngspice_solver_training_matches_layerwise_solver() -> None:
    """Three XOR epochs with all three phases solved by ngspice give the layer-wise weights.

    At the XOR default's rates (the former lr=40.0 predates their rescaling in b1ccad1 and
    hardly moved a weight); the tolerances and the full comparison are those of
    test_xor_trains_on_ngspice_engine.
    """
    kw = dict(seed=2, epochs=3)  # centred: the -beta phase is an active VCCS
    spice = run_training(default_config("xor", solver="ngspice", **kw), None, progress=False)
    fast = run_training(default_config("xor", solver="layerwise", **kw), None, progress=False)
    for a, b in zip(spice.model.weights, fast.model.weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-4)
    assert spice.ledger.total() == pytest.approx(fast.ledger.total(), rel=1e-3)


def test_mna_solver_training_follows_layerwise_solver() -> None:
    """Issue 13: on a small net, MNA-solved training follows the layer-wise solver.

    Reference: the layer-wise run with the same seed; weights within 1e-6 relative after
    3 epochs (the layer-wise tolerance is set to 1e-11 V, below the MNA engine's residual),
    at the XOR default's rates (weights move ~0.1 between epochs 1 and 3; the former lr=40.0,
    older than b1ccad1's rescaling, moved them 0.007-0.02). Measured: relative difference 0.0.
    """
    kw = dict(seed=2, epochs=3, circuit={"tol": 1e-11})
    mna = run_training(default_config("xor", solver="mna", **kw), None, progress=False)
    fast = run_training(default_config("xor", solver="layerwise", **kw), None, progress=False)
    for a, b in zip(mna.model.weights, fast.model.weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=0)


def _record_phases(monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    """Spy on every EP phase solve and every ngspice operating point (behaviour unchanged)."""
    import thermolearn.algorithms.ep_circuit as epc

    phases: list = []  # (solver, sign of beta, batch size, node voltages of every layer)
    spice_ops: list = []
    solve, op = epc.EPCircuit.solve, epc.operating_point

    def spy_solve(self, x, *, beta=0.0, solver="layerwise", **kw):
        res = solve(self, x, beta=beta, solver=solver, **kw)
        phases.append((solver, float(np.sign(beta)), np.shape(x)[0],
                       np.concatenate([np.asarray(v) for v in res.layers], axis=1)))
        return res

    def spy_op(circuit, *a, **kw):
        spice_ops.append(kw.get("engine"))
        return op(circuit, *a, **kw)

    monkeypatch.setattr(epc.EPCircuit, "solve", spy_solve)
    monkeypatch.setattr(epc, "operating_point", spy_op)
    return phases, spice_ops


@pytest.mark.slow
@pytest.mark.ngspice
def test_xor_trains_on_ngspice_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """XOR on ngspice: every phase of every sample is a ngspice operating point, ngspice's
    training agrees with the layer-wise solver's, and the XOR default learns on ngspice.

    Agreement (reference: the layer-wise run of the same config, seed 2, 20 epochs at the XOR
    default's rates): every phase solved in training (free, +beta, -beta, the audit's probes)
    in the same order with the same nudge sign, node voltages within 1e-6 V (issue 12's engine
    agreement: ngspice's reltol/vntol and its gmin = 1e-12 S, 5e-7 of the 2 uS vteam_highr
    devices; the swing is ~24 mV), the weights identical to 1e-9 (the controller sees ADC
    codes and writes pulses: sub-uV differences change no code; one flipped code moves a
    weight by a pulse step, >> 1e-9) and the ledger within 1e-4 relative (1e-6 V of that swing:
    2 dV/V ~ 8e-5 on the V^2 terms). Measured (7e3cf43, 2026-12-02): max |dV| < 1e-6 V for the
    first 496 phase solves of the 150-epoch run, weights equal to 0.0; after ~epoch 60
    the trajectories part (a read on a code boundary, presumably) and are not compared there.
    Learning: the XOR default as it is (seed 2, 150 epochs, rates (60000, 30000)) on ngspice
    reaches test accuracy 1.0 (measured: 1.0 in 62 s; layer-wise 1.0 in 18 s). The former
    lr=40.0 here dated from the rates before b1ccad1 (XOR lr 30); at today's scale it gives
    0.5 on both engines, so it tested nothing about ngspice.
    """
    phases, spice_ops = _record_phases(monkeypatch)
    runs = {}
    for solver in ("layerwise", "ngspice"):
        phases.clear()
        res = run_training(default_config("xor", seed=2, solver=solver, epochs=20), None,
                           progress=False)
        runs[solver] = (res, list(phases))
    (spice, ph_s), (fast, ph_f) = runs["ngspice"], runs["layerwise"]
    assert len(ph_s) == len(ph_f) > 20 * 3
    assert {p[0] for p in ph_s} == {"ngspice"} and {p[0] for p in ph_f} == {"layerwise"}
    # every sample of every ngspice phase is one ngspice operating point, none elsewhere
    assert spice_ops.count("ngspice") == sum(p[2] for p in ph_s) and set(spice_ops) == {"ngspice"}
    assert {p[1] for p in ph_s} == {-1.0, 0.0, 1.0}  # centred: free, +beta and -beta phases
    for (_, sign_s, _, v_s), (_, sign_f, _, v_f) in zip(ph_s, ph_f, strict=True):
        assert sign_s == sign_f
        np.testing.assert_allclose(v_s, v_f, rtol=0, atol=1e-6)
    assert max(float(np.max(np.abs(p[3]))) for p in ph_f) > 1e-2  # a non-trivial swing
    for a, b in zip(spice.model.weights, fast.model.weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
    assert spice.ledger.total() == pytest.approx(fast.ledger.total(), rel=1e-4, abs=0)

    res = run_training(default_config("xor", seed=2, solver="ngspice"), None, progress=False)
    assert res.metrics["test_accuracy"] == 1.0


@pytest.mark.slow
@pytest.mark.parametrize(("device", "threshold"), [("ideal", 0.90), ("memristor", 0.89)])
def test_digits_full_run_reaches_target_accuracy(device: str, threshold: float) -> None:
    """Digits (1,437 / 360) at the admissible operating point, noise + ADC in the loop.

    The thresholds are the measured levels of this operating point (seed 0, 20 epochs:
    91.9 % with ideal writes, 91.4 % with pulses and the demo's unknown variability) minus a
    margin; issue 13's 95 % target is not reached, and is not asserted.
    """
    from thermolearn.commands.demo import DEMO_VARIABILITY

    extra = {"variability": DEMO_VARIABILITY} if device == "memristor" else {}
    res = run_training(default_config("digits", device=device, **extra), None, progress=False)
    assert res.metrics["test_accuracy"] >= threshold


def test_demo_command_one_epoch(tmp_path: Path) -> None:
    """The main job's plumbing (three runs + summary); the full demo runs the task default."""
    from thermolearn.cli import main

    assert main(["demo", "--out", str(tmp_path), "--epochs", "1", "--no-progress"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {"ep_ideal", "ep_memristor", "backprop"} <= set(summary)
    assert summary["ep_ideal"]["test_accuracy"] > 0.5
    for name in summary:
        assert (tmp_path / name / "metrics.json").is_file()


def test_one_batch_energy_booking_matches_mna_dissipation() -> None:
    """One mini-batch, one epoch: the booked phase energies against an independent MNA run.

    Reference: for every sample and phase the general MNA engine solves the network's Circuit
    (inputs after the DACs); Σ over resistors and diodes of I·V (its own element currents) ×
    (settling + integration time) is the phase's dissipation; the −β phase's active VCCS
    supplies energy and adds nothing. Converters, amplifiers and the digital update are closed
    forms of the counts: ADC one conversion per output (free phase) and per hidden + output
    node (each nudged phase) at FOM·2^bits; per hidden node two drive amplifiers, a diode
    amplifier and an ADC preamp, per output an ADC preamp, per driven row an input driver, each
    at its part's quiescent power for the whole phase; the output stages' V_rail |I| − V I
    against every active element of the same MNA solutions; two MACs per device and sample.
    Tolerances: rel 1e-6 (phases and output stages: layer-wise tol vs MNA), 1e-12 (counts);
    abs=0, since pytest.approx's default abs 1e-12 would swallow these figures.
    """
    from thermolearn.algorithms.ep_physics import quantize_inputs
    from thermolearn.circuit import operating_point
    from thermolearn.datasets import load
    from thermolearn.experiments.ep_train import build_ep_network

    cfg = default_config("digits", epochs=1, n_train=6, batch_size=6, hidden=(3,),
                         device="ideal", circuit={"tol": 1e-11}, physics=dict(TINY_NET_PHYSICS))
    res = run_training(cfg, progress=False)
    bd = res.ledger.breakdown()
    from thermolearn.algorithms.ep_inputs import encode_dataset

    data, _ = encode_dataset(load("digits", seed=cfg.seed).subset(n_train=6), cfg.input_encoding)
    sizes = (data.n_features, 3, data.n_classes)
    ss = np.random.SeedSequence(cfg.seed)
    rng_init, rng, _ = (np.random.default_rng(s) for s in ss.spawn(3))
    net, _, phys = build_ep_network(cfg, sizes, rng_init)
    perm = rng.permutation(6)
    xb = quantize_inputs(data.x_train[perm], phys.dac_bits, phys.dac_bipolar)
    tgt = net.targets(data.y_train[perm])
    t = phys.settling_time + phys.integration_time
    b = net.params.beta
    for cat, beta in (("phase_free", 0.0), ("phase_nudge_plus", b), ("phase_nudge_minus", -b)):
        e = 0.0
        for i in range(6):
            c = net.build_circuit(xb[i], beta=beta, target=None if beta == 0 else tgt[i])
            op = operating_point(c, engine="python")
            for el in c.elements:
                if el.kind in "RD":
                    e += op.currents[el.name] * (op.v(el.p) - op.v(el.n)) * t
        assert bd[cat] == pytest.approx(e, rel=1e-6, abs=0), cat
    n_out = data.n_classes
    n_conv = (n_out + 2 * (3 + n_out)) * 6
    assert bd["adc"] == pytest.approx(phys.fom_walden * 2**phys.adc_bits * n_conv, rel=1e-12,
                                      abs=0)
    # powered for the whole phase (settling + integration), 3 phases, 6 samples: per hidden
    # node the +a (gain 3) and -a (noise gain 4) drives on the unity-gain-stable OPA859 and
    # the gain-30 diode amplifier on the OPA855 (stable for gains >= 7 only); the ADC preamps
    # (hidden: gain 1 V / 0.25 V = 4, OPA859; outputs: 1 V / 20 mV = 50, OPA855); the input
    # drivers (64 +x and 2 bias rows unity, 64 -x inverting, the 2 hidden bias rows: OPA859)
    p855, p859 = 17.8e-3 * 5.0, 20.9e-3 * 5.0  # data sheets SBOS622, SBOS852A
    assert phys.amplifier_power == pytest.approx(p855, rel=1e-12)
    assert phys.buffer_power == pytest.approx(p859, rel=1e-12)
    per = t * 3 * 6
    assert bd["amplifier"] == pytest.approx((3 * 2 * p859 + 3 * p855) * per, rel=1e-12, abs=0)
    assert bd["adc_preamp"] == pytest.approx((3 * p859 + n_out * p855) * per, rel=1e-12, abs=0)
    n_rows = 2 * data.n_features + 2 + 2
    assert bd["input_drivers"] == pytest.approx(n_rows * p859 * per, rel=1e-12, abs=0)
    # the output stages' loss V_rail |I| - V I of every active element of the exported
    # circuit (sources, VCVS drives, CCCS mirrors; the 0 V sense sources carry the VCVS
    # current and are not drivers; the -beta VCCS and its target source are one driver), at
    # the MNA operating point: reference for the booked driver_output_stage (rel 1e-6)
    rail = phys.supply_rail
    assert rail == 2.5
    e_drv = 0.0
    for beta in (0.0, b, -b):
        for i in range(6):
            c = net.build_circuit(xb[i], beta=beta, target=None if beta == 0 else tgt[i])
            op = operating_point(c, engine="python")
            for el in c.elements:
                if el.kind not in "VEFG" or el.name.startswith("vs"):
                    continue
                cur = op.currents[el.name]
                absorbed = cur * (op.v(el.p) - op.v(el.n))
                if el.name.startswith("gn"):  # joined with its target source vt
                    e_drv += absorbed * t
                    continue
                e_drv += (rail * abs(cur) + absorbed) * t
    assert bd["driver_output_stage"] == pytest.approx(e_drv, rel=1e-6, abs=0)
    assert res.metrics["energy_sources"]["driver_output_stage"] == "simulated"
    n_dev = (2 * data.n_features + 2) * 3 + 8 * n_out
    assert bd["update_arithmetic"] == pytest.approx(phys.mac_energy * 2 * n_dev * 6, rel=1e-12,
                                                    abs=0)
    assert res.metrics["energy_sources"]["phase_free"] == "simulated"
    assert res.metrics["energy_sources"]["adc"] == "model"

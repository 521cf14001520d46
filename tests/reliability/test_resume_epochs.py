"""``--resume`` with fewer epochs than the checkpoint holds is refused (review defect).

Reference: docs/reliability.md ("a finished one re-reports": resuming a finished run with the
same epochs is a no-op that re-reports it). Before the fix, ``--resume --epochs 3`` on an
epoch-34 checkpoint ran no epoch, rewrote metrics.json with the epoch-34 weights under a
3-epoch configuration and exited 0 without a word.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thermolearn.cli import main
from thermolearn.errors import ParameterError
from thermolearn.experiments.ep_train import default_config, run_training


def _train(out: Path, epochs: int, *extra: str) -> int:
    argv = ["train", "--task", "xor", "--epochs", str(epochs), "--out", str(out),
            "--no-progress", *extra]  # fmt: skip
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's own errors
        return int(exc.code or 0)


def test_resume_with_fewer_epochs_than_the_checkpoint_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert _train(out, 4) == 0
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert _train(out, 2, "--resume") == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1, err
    line = err[0]
    assert line.startswith("thermolearn train: error: --resume:")
    assert "at epoch 4" in line and "--epochs 2" in line and "--force" in line
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before  # nothing rewritten


def test_resume_with_the_same_epochs_re_reports_and_more_epochs_continue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert _train(out, 3) == 0
    m3 = json.loads((out / "metrics.json").read_text())
    assert _train(out, 3, "--resume") == 0  # the documented no-op
    again = json.loads((out / "metrics.json").read_text())
    assert again["epochs"] == m3["epochs"] == 3
    assert again["test_accuracy"] == m3["test_accuracy"]
    assert _train(out, 4, "--resume") == 0
    assert json.loads((out / "checkpoint.json").read_text())["epoch"] == 4


def test_library_refuses_too(tmp_path: Path) -> None:
    cfg = default_config("xor", epochs=3)
    run_training(cfg, tmp_path, progress=False)
    with pytest.raises(ParameterError, match=r"at epoch 3.*epochs = 1"):
        run_training(default_config("xor", epochs=1), tmp_path, progress=False, resume=True)

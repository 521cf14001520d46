"""Run directories owned by one run: locks, stale locks, no silent overwrite, SIGTERM.

Reference: the contract of ``thermolearn.rundir`` (issue 18 point 2, issue 17 point 6) —
outcomes are exact (exit codes, the owner's PID named, bit-identical runs), no tolerances.
Training configs are tiny (XOR, a few epochs: well under a second of training each).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from thermolearn.cli import main
from thermolearn.errors import RunDirectoryError, RunDirectoryWarning
from thermolearn.experiments.ep_train import default_config, run_training
from thermolearn.rundir import LOCK_NAME, RunLock, claim_run_directory

from .conftest import fingerprint, start_cli, start_python

HOLD_LOCK = """
import sys, time
from thermolearn.rundir import RunLock
RunLock(sys.argv[1]).acquire()
print("locked", flush=True)
time.sleep(120)
"""


def _holder(d: Path):  # type: ignore[no-untyped-def]
    proc = start_python(HOLD_LOCK, str(d))
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked", proc.stderr.read() if proc.stderr else ""
    return proc


def _train(out: Path, *extra: str, epochs: int = 3) -> list[str]:
    return ["train", "--task", "xor", "--epochs", str(epochs), "--out", str(out), "--no-progress",
            *extra]


def test_second_train_on_a_locked_directory_is_refused_naming_the_owner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = _holder(tmp_path)
    try:
        assert main(_train(tmp_path)) == 2
        err = capsys.readouterr().err
        assert f"in use by PID {holder.pid} on host '{socket.gethostname()}'" in err
        assert err.count("\n") == 1  # one line, no traceback
        assert not (tmp_path / "metrics.json").exists()
        # the lock is also exclusive within one process
        with pytest.raises(RunDirectoryError, match=f"PID {holder.pid}"):
            RunLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.communicate()


def test_a_killed_owners_stale_lock_is_taken_over(tmp_path: Path) -> None:
    holder = _holder(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.communicate()
    stale = json.loads((tmp_path / LOCK_NAME).read_text())
    assert stale["pid"] == holder.pid  # SIGKILL left the lock file behind
    with pytest.warns(RunDirectoryWarning, match=f"stale lock .* PID {holder.pid} .*not running"):
        assert main(_train(tmp_path)) == 0
    assert (tmp_path / "metrics.json").is_file()
    assert not (tmp_path / LOCK_NAME).exists()  # released at the end of the run


def test_a_lock_from_another_host_is_not_taken_over(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text(json.dumps(
        {"pid": 4242, "host": "elsewhere.example", "started": "2026-01-01T00:00:00+00:00",
         "command": "thermolearn train"}))
    with pytest.raises(RunDirectoryError, match=r"PID 4242 on host 'elsewhere\.example'.*delete"):
        RunLock(tmp_path).acquire()


def test_existing_run_is_refused_without_resume_and_replaced_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(_train(out, "--seed", "1")) == 0
    before = fingerprint(out)
    capsys.readouterr()
    assert main(_train(out, "--seed", "2")) == 2
    err = capsys.readouterr().err
    assert "already holds a run" in err and "--resume" in err and "--force" in err
    assert fingerprint(out) == before  # nothing was touched
    assert main(_train(out, "--seed", "2", "--resume", "--force")) == 2
    assert "exclude each other" in capsys.readouterr().err
    assert main(_train(out, "--seed", "2", "--force", epochs=1)) == 0
    fresh = tmp_path / "fresh"
    assert main(_train(fresh, "--seed", "2", epochs=1)) == 0
    assert fingerprint(out) == fingerprint(fresh)
    # --force left nothing of the old run (its epoch-3 checkpoint would be kept as "previous")
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in fresh.iterdir())


def test_refused_resume_names_the_differing_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_training(default_config("xor", epochs=3, seed=0), tmp_path, progress=False, stop_after=1)
    capsys.readouterr()
    assert main([*_train(tmp_path, "--resume", "--seed", "5", "--hidden", "6")]) == 2
    err = capsys.readouterr().err
    assert "seed: 0 -> 5" in err and "hidden: [8] -> [6]" in err and "checkpoint" in err


def test_claim_refuses_a_file_as_run_directory(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(Exception, match="existing file"), claim_run_directory(f, outputs=["*"]):
        pass


def test_sigterm_keeps_the_checkpoint_exits_143_and_resumes_bit_identically(
    tmp_path: Path,
) -> None:
    cfg_args = ["--task", "xor", "--epochs", "40", "--seed", "3", "--no-progress"]
    ref = tmp_path / "ref"
    run_training(default_config("xor", epochs=40, seed=3), ref, progress=False)
    out = tmp_path / "run"
    proc = start_cli(["train", *cfg_args, "--out", str(out)])
    deadline = time.monotonic() + 60
    while not (out / "checkpoint.json").exists():  # at least one epoch finished
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "terminated (signal 15)" in err and "Traceback" not in err
    assert not (out / LOCK_NAME).exists()
    assert not (out / "metrics.json").exists()  # stopped mid-training
    epoch = json.loads((out / "checkpoint.json").read_text())["epoch"]
    assert 1 <= epoch < 40
    run_training(default_config("xor", epochs=40, seed=3), out, progress=False, resume=True)
    assert fingerprint(out) == fingerprint(ref)


def test_lock_file_is_removed_only_by_its_owner(tmp_path: Path) -> None:
    lock = RunLock(tmp_path).acquire()
    other = RunLock(tmp_path)
    with pytest.raises(RunDirectoryError):
        other.acquire()
    other.release()  # not held: must not remove the owner's file
    assert (tmp_path / LOCK_NAME).is_file()
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    lock.release()
    assert not (tmp_path / LOCK_NAME).exists()


SWEEP_UNDER_SIGTERM = """
import sys, time
from thermolearn.rundir import terminate_as_interrupt
from thermolearn.errors import Terminated
from thermolearn.sweeps import run_sweep
sys.path.insert(0, sys.argv[2])
from reliability.test_run_directory import sleepy_point
try:
    with terminate_as_interrupt():
        run_sweep(sleepy_point, [{"x": i, "calls": sys.argv[3]} for i in range(8)], sys.argv[1],
                  max_workers=2, progress=False)
except Terminated:
    print("terminated", flush=True)
    sys.exit(143)
"""


def sleepy_point(point: dict[str, object]) -> dict[str, object]:
    """A sweep point that takes 1.5 s and leaves a marker when it finishes (the pool test)."""
    time.sleep(1.5)
    Path(str(point["calls"]), str(point["x"])).touch()
    return {"y": point["x"]}


def test_sigterm_stops_a_process_pool_sweep_without_running_the_queued_points(
    tmp_path: Path,
) -> None:
    """8 points x 1.5 s on 2 workers take >= 6 s; SIGTERM after the first stops the pool."""
    cache, calls = tmp_path / "cache", tmp_path / "calls"
    calls.mkdir()
    proc = start_python(SWEEP_UNDER_SIGTERM, str(cache), str(Path(__file__).parents[1]),
                        str(calls))
    deadline = time.monotonic() + 120
    while not list(cache.glob("*.json")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143 and "terminated" in out, err
    time.sleep(2.0)  # a worker left running would finish its point meanwhile
    finished = len(list(calls.iterdir()))
    assert 1 <= len(list(cache.glob("*.json"))) <= finished < 8  # queued points cancelled


def test_cli_resume_reports_a_damaged_checkpoint_in_one_line_and_continues(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_training(default_config("xor", epochs=3), tmp_path, progress=False, stop_after=2)
    newest = tmp_path / "checkpoint.npz"
    newest.write_bytes(newest.read_bytes()[:200])
    proc = start_cli(_train(tmp_path, "--resume"))  # a real console: the warning as printed
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    lines = [ln for ln in err.splitlines() if "checkpoint.npz" in ln]
    assert len(lines) == 1 and lines[0].startswith("thermolearn: warning: checkpoint '")
    assert "checkpoint.prev.npz" in lines[0] and "CheckpointWarning" not in err
    # both damaged: a named error, exit 2, one line, with the remedy
    for p in (tmp_path / "checkpoint.npz", tmp_path / "checkpoint.prev.npz"):
        p.write_bytes(b"\0" * 64)
    capsys.readouterr()
    assert main(_train(tmp_path, "--resume")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no intact checkpoint" in err and "--force" in err
    assert "Traceback" not in err and "pickle" not in err.lower()


def test_a_second_scaling_study_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    from thermolearn.experiments.scaling import ScalingConfig, run_scaling_study

    holder = _holder(tmp_path)
    try:
        with pytest.raises(RunDirectoryError, match=f"in use by PID {holder.pid}"):
            run_scaling_study(ScalingConfig.quick(), tmp_path, progress=False)
        assert not (tmp_path / "cache").exists()  # refused before any work
    finally:
        holder.kill()
        holder.communicate()

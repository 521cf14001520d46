"""Fault injection: kill a training run and a sweep, damage every file they write.

Every case must end in one of two ways (issue 18): a **bit-identical** result (the resumed
training run's fingerprint -- checkpoint arrays, ledger.csv, metrics and history without
wall-clock times -- equals an uninterrupted reference run; the rerun sweep's results equal the
directly computed ones), or a **named error** (a ThermolearnError subclass whose message names
the file). Anything else -- a raw traceback, or a result that differs -- fails the test.

The matrix (which file, which fault, what happened) is ``docs/reliability.md``; each case here
checks that the observed outcome is the documented one. The default suite runs a reduced,
representative set; ``-m slow`` runs every (file, fault) pair, every kill window and more
random-time kills. Reproduce the docs table with
``cd tests && python -m reliability.test_fault_injection`` (prints it, about 40 s).

Faults: ``truncate-half`` / ``truncate-empty`` (a write cut short), ``bit-flip`` (one bit in
the middle of the file), ``garbage`` (same length of random bytes), ``edit`` (a well-formed file
with one value changed: an npz re-saved with one weight altered, a JSON/CSV with one digit
changed), ``swap`` (another point's cache file copied over this one), ``delete``. Kills are
SIGKILL, either just before the N-th file rename of the run (every window between two durable
states) or at a seeded random time.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import shutil
import signal
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from thermolearn.errors import (
    CheckpointWarning,
    RunDirectoryWarning,
    ThermolearnError,
)
from thermolearn.experiments.ep_train import default_config, run_training
from thermolearn.sweeps import point_key, run_sweep

from .conftest import fingerprint, start_cli, start_python

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
SLOW = pytest.mark.slow

# --------------------------------------------------------------------------------------------
# faults
# --------------------------------------------------------------------------------------------


def _flip(p: Path) -> None:
    b = bytearray(p.read_bytes())
    b[len(b) // 2] ^= 0x04
    p.write_bytes(bytes(b))


def _garbage(p: Path) -> None:
    p.write_bytes(np.random.default_rng(7).bytes(max(p.stat().st_size, 16)))


def _edit(p: Path) -> None:
    if p.suffix == ".npz":  # well-formed archive, one weight changed, old checksum kept
        with np.load(p, allow_pickle=False) as z:
            members = {k: z[k] for k in z.files}
        members["w0"] = members["w0"].copy()
        members["w0"].flat[0] += 1e-3
        buf = io.BytesIO()
        np.savez(buf, **members)
        p.write_bytes(buf.getvalue())
        return
    text = p.read_text()
    m = re.search(r"\d(?=\d*\.\d)", text[len(text) // 3 :])  # a digit of a number
    assert m is not None
    i = len(text) // 3 + m.start()
    p.write_text(text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1 :])


FAULTS: dict[str, Callable[[Path], None]] = {
    "truncate-half": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "truncate-empty": lambda p: p.write_bytes(b""),
    "bit-flip": _flip,
    "garbage": _garbage,
    "edit": _edit,
    "delete": lambda p: p.unlink(),
}

# --------------------------------------------------------------------------------------------
# training: a tiny run (XOR, 4 epochs), damaged after epoch 2, then resumed
# --------------------------------------------------------------------------------------------

TRAIN_EPOCHS = 4


def _cfg(epochs: int = TRAIN_EPOCHS, seed: int = 0) -> Any:
    return default_config("xor", epochs=epochs, seed=seed)


@pytest.fixture(scope="module")
def train_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("train")
    run_training(_cfg(), base / "ref", progress=False)
    run_training(_cfg(), base / "partial", progress=False, stop_after=2)
    return base / "ref", base / "partial"


def _resume_outcome(run: Path, ref: Path) -> str:
    """Resume ``run`` in this process; describe what happened (see module docstring)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            run_training(_cfg(), run, progress=False, resume=True)
        except ThermolearnError as exc:
            return _named_error(exc)
    notes = []
    for w in caught:
        if issubclass(w.category, CheckpointWarning):
            m = re.search(r"'[^']*/([^/']+)' ", str(w.message))
            notes.append(f"damaged {m.group(1) if m else '?'} named")
        elif issubclass(w.category, RunDirectoryWarning):
            notes.append("stale lock taken over")
        else:  # pragma: no cover - any other warning is a finding
            return f"UNEXPECTED WARNING {w.category.__name__}: {w.message}"
    same = fingerprint(run) == fingerprint(ref)
    head = "resumed, bit-identical" if same else "RESUMED WITH DIFFERENT RESULTS"
    return "; ".join([head, *notes])


def _named_error(exc: ThermolearnError) -> str:
    text = str(exc)
    if "no checkpoint in" in text:
        return f"{type(exc).__name__}: no checkpoint"
    if "no intact checkpoint" in text:
        return f"{type(exc).__name__}: no intact checkpoint (both named)"
    return f"{type(exc).__name__}: {text[:80]}"


TRAIN_FILES = [
    "checkpoint.npz",
    "checkpoint.prev.npz",
    "checkpoint.json",
    "metrics.json",
    "ledger.csv",
    "history.csv",
    "accuracy.png",
    "energy.png",
]
_TRAIN_REDUCED = {
    ("checkpoint.npz", "truncate-half"),
    ("checkpoint.npz", "bit-flip"),
    ("checkpoint.npz", "edit"),
    ("checkpoint.npz", "delete"),
    ("checkpoint.prev.npz", "garbage"),
    ("checkpoint.npz+checkpoint.prev.npz", "truncate-half"),
    ("metrics.json", "truncate-half"),
    ("run.lock", "stale (dead PID)"),
}


def _train_cases() -> list[tuple[str, str]]:
    cases = []
    for f in TRAIN_FILES:
        for fault in FAULTS:
            if fault == "edit" and f.endswith(".png"):
                continue  # a PNG has no value to edit; bit-flip covers it
            cases.append((f, fault))
    cases += [("checkpoint.npz+checkpoint.prev.npz", f) for f in ("truncate-half", "delete")]
    cases += [("run.lock", f) for f in ("stale (dead PID)", "garbage", "truncate-empty")]
    return cases


def _apply_train_fault(run: Path, target: str, fault: str) -> None:
    if target == "run.lock":
        lock = run / "run.lock"
        if fault == "stale (dead PID)":
            dead = start_python("pass")
            dead.communicate()
            lock.write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename,
                                        "started": "2026-01-01T00:00:00+00:00",
                                        "command": "thermolearn train"}))
        else:
            lock.write_text("x" * 40)
            FAULTS[fault](lock)
        return
    for name in target.split("+"):
        FAULTS[fault](run / name)


def train_case(target: str, fault: str, ref: Path, partial: Path, tmp: Path) -> str:
    """Copy the partial run, apply the fault, resume; return the outcome text."""
    run = tmp / "run"
    shutil.copytree(partial, run)
    _apply_train_fault(run, target, fault)
    return _resume_outcome(run, ref)


@pytest.mark.parametrize(
    ("target", "fault"),
    [pytest.param(t, f, marks=() if (t, f) in _TRAIN_REDUCED else SLOW) for t, f in
     _train_cases()],
)
def test_damaged_training_file(
    target: str, fault: str, train_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    outcome = train_case(target, fault, *train_dirs, tmp_path)
    assert outcome == documented("training", target, fault)
    assert _acceptable(outcome)


# --- kills ----------------------------------------------------------------------------------

KILL_EPOCHS = 3
#: Renames of a 3-epoch run: epoch 1 (checkpoint.npz, checkpoint.json), epochs 2 and 3
#: (checkpoint.prev.npz, checkpoint.npz, checkpoint.json), then metrics.json, ledger.csv,
#: history.csv, accuracy.png, energy.png.
N_RENAMES = 13
KILL_AT_RENAME = """
import os, signal, sys
from pathlib import Path
out, n = Path(sys.argv[1]).resolve(), int(sys.argv[2])
real, seen = os.replace, [0]
def replace(src, dst, *a, **k):
    if Path(dst).resolve().parent == out:
        seen[0] += 1
        if seen[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst, *a, **k)
os.replace = replace
from thermolearn.cli import main
main(["train", "--task", "xor", "--epochs", sys.argv[3], "--out", str(out), "--no-progress"])
"""


@pytest.fixture(scope="module")
def kill_ref(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ref = tmp_path_factory.mktemp("killref") / "ref"
    run_training(_cfg(KILL_EPOCHS), ref, progress=False)
    return ref


def _after_kill(run: Path, ref: Path, epochs: int) -> str:
    """Continue a killed run the way a user would: --resume, or afresh if it had no checkpoint."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            run_training(_cfg(epochs), run, progress=False, resume=True)
            how = "resumed"
        except ThermolearnError as exc:
            if "no checkpoint in" not in str(exc):
                return _named_error(exc)
            run_training(_cfg(epochs), run, progress=False)  # nothing to resume: start afresh
            how = "no checkpoint yet (named); fresh run"
    others = [w for w in caught
              if not issubclass(w.category, RunDirectoryWarning | CheckpointWarning)]
    if others:  # pragma: no cover
        return f"UNEXPECTED WARNING {others[0].message}"
    leftovers = sorted(p.name for p in run.glob(".*.tmp"))
    if leftovers:
        return f"{how}: TEMPORARY FILES LEFT {leftovers}"
    same = fingerprint(run) == fingerprint(ref)
    return f"{how}, bit-identical" if same else f"{how}: DIFFERENT RESULTS"


@pytest.mark.parametrize(
    "n", [pytest.param(n, marks=() if n in (1, 4) else SLOW) for n in range(1, N_RENAMES + 1)]
)
def test_training_killed_before_each_rename(n: int, kill_ref: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    proc = start_python(KILL_AT_RENAME, str(run), str(n), str(KILL_EPOCHS))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err
    assert (run / "run.lock").is_file()  # the killed owner's lock is left behind
    outcome = _after_kill(run, kill_ref, KILL_EPOCHS)
    assert outcome == documented("training", f"SIGKILL before rename {n}", "kill")
    assert _acceptable(outcome)


RANDOM_EPOCHS = 40


@pytest.fixture(scope="module")
def random_ref(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ref = tmp_path_factory.mktemp("randref") / "ref"
    run_training(_cfg(RANDOM_EPOCHS), ref, progress=False)
    return ref


@pytest.mark.parametrize("seed", [pytest.param(s, marks=() if s == 0 else SLOW)
                                  for s in range(8)])
def test_training_killed_at_a_random_time(seed: int, random_ref: Path, tmp_path: Path) -> None:
    """SIGKILL after a seeded delay (0.05-1.5 s after the first checkpoint appeared)."""
    run = tmp_path / "run"
    delay = float(np.random.default_rng(seed).uniform(0.05, 1.5))
    if seed == 0:
        delay = 0.05  # the default case must land mid-training
    proc = start_cli(["train", "--task", "xor", "--epochs", str(RANDOM_EPOCHS), "--out", str(run),
                      "--no-progress"])
    t0 = time.monotonic()
    while not (run / "checkpoint.npz").exists() and proc.poll() is None:
        assert time.monotonic() - t0 < 60
        time.sleep(0.002)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    finished = proc.returncode == 0
    outcome = _after_kill(run, random_ref, RANDOM_EPOCHS)
    assert outcome in ("resumed, bit-identical", "no checkpoint yet (named); fresh run, "
                       "bit-identical"), (seed, delay, finished, outcome)


# --------------------------------------------------------------------------------------------
# sweeps: 6 points cached one file each
# --------------------------------------------------------------------------------------------


def cheap_point(point: dict[str, Any]) -> dict[str, Any]:
    """A deterministic stand-in for a sweep point (a seeded draw and a closed form)."""
    x = point["x"]
    return {"y": x * x + 0.5, "draw": float(np.random.default_rng(x).normal()),
            "log": math.log1p(x)}


SWEEP_POINTS = [{"x": i, "version": 1} for i in range(6)]


def _sweep_reference() -> list[Any]:
    return [json.loads(json.dumps(cheap_point(p))) for p in SWEEP_POINTS]


@pytest.fixture(scope="module")
def sweep_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("sweep") / "cache"
    run_sweep(cheap_point, SWEEP_POINTS, d, max_workers=1, progress=False)
    return d


def _rerun_sweep(cache: Path) -> str:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = run_sweep(cheap_point, SWEEP_POINTS, cache, max_workers=1, progress=False)
        except ThermolearnError as exc:
            return f"{type(exc).__name__}: {str(exc)[:80]}"
    notes = []
    for w in caught:
        if issubclass(w.category, CheckpointWarning):
            notes.append("damaged file named")
        else:  # pragma: no cover
            return f"UNEXPECTED WARNING {w.message}"
    head = "rerun, identical" if res == _sweep_reference() else "RERUN WITH DIFFERENT RESULTS"
    return "; ".join([head, *notes])


SWEEP_FAULTS = [*FAULTS, "swap"]
_SWEEP_REDUCED = {"truncate-half", "edit", "swap"}


@pytest.mark.parametrize(
    "fault", [pytest.param(f, marks=() if f in _SWEEP_REDUCED else SLOW) for f in SWEEP_FAULTS]
)
def test_damaged_sweep_cache_file(fault: str, sweep_cache: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(sweep_cache, cache)
    target = cache / f"{point_key(SWEEP_POINTS[2])}.json"
    if fault == "swap":
        shutil.copy(cache / f"{point_key(SWEEP_POINTS[3])}.json", target)
    else:
        FAULTS[fault](target)
    outcome = _rerun_sweep(cache)
    assert outcome == documented("sweep", "<point>.json", fault)
    assert _acceptable(outcome)


SWEEP_DRIVER = """
import os, signal, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from reliability.test_fault_injection import SWEEP_POINTS, cheap_point
from thermolearn.sweeps import run_sweep
cache, n = Path(sys.argv[1]).resolve(), int(sys.argv[2])
real, seen = os.replace, [0]
def replace(src, dst, *a, **k):
    seen[0] += 1
    if seen[0] == n:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst, *a, **k)
if n > 0:
    os.replace = replace
def slow_point(p):
    time.sleep(0.05)
    return cheap_point(p)
run_sweep(slow_point, SWEEP_POINTS, cache, max_workers=1, progress=False)
print("done", flush=True)
"""
TESTS_DIR = str(Path(__file__).resolve().parents[1])


@pytest.mark.parametrize(
    "n", [pytest.param(n, marks=() if n == 3 else SLOW) for n in range(1, len(SWEEP_POINTS) + 1)]
)
def test_sweep_killed_before_each_rename(n: int, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    proc = start_python(SWEEP_DRIVER, str(cache), str(n), TESTS_DIR)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err
    assert len(list(cache.glob("*.json"))) == n - 1  # finished points are on disk
    outcome = _rerun_sweep(cache)
    assert outcome == documented("sweep", f"SIGKILL before rename {n}", "kill")


@pytest.mark.parametrize("seed", [pytest.param(s, marks=SLOW) for s in range(4)])
def test_sweep_killed_at_a_random_time(seed: int, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    proc = start_python(SWEEP_DRIVER, str(cache), "0", TESTS_DIR)
    t0 = time.monotonic()
    while not cache.exists() and proc.poll() is None:
        assert time.monotonic() - t0 < 60
        time.sleep(0.002)
    time.sleep(float(np.random.default_rng(seed).uniform(0.0, 0.3)))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert _rerun_sweep(cache) == "rerun, identical"


# --------------------------------------------------------------------------------------------
# the documented matrix
# --------------------------------------------------------------------------------------------


def _acceptable(outcome: str) -> bool:
    ok_heads = ("resumed, bit-identical", "rerun, identical",
                "no checkpoint yet (named); fresh run, bit-identical")
    return outcome.startswith(ok_heads) or bool(re.match(r"(Checkpoint|Parameter)Error: ", outcome))


def _docs_matrix() -> dict[tuple[str, str, str], str]:
    rows: dict[tuple[str, str, str], str] = {}
    for line in DOCS.read_text().splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in ("training", "sweep"):
            rows[(cells[0], cells[1], cells[2])] = cells[3]
    return rows


def documented(run: str, target: str, fault: str) -> str:
    """The outcome docs/reliability.md gives for this case."""
    return _docs_matrix().get((run, target, fault), f"<not in {DOCS.name}>")


def test_docs_matrix_lists_every_case_with_an_acceptable_outcome() -> None:
    rows = _docs_matrix()
    expected = {("training", t, f) for t, f in _train_cases()}
    expected |= {("training", f"SIGKILL before rename {n}", "kill")
                 for n in range(1, N_RENAMES + 1)}
    expected |= {("sweep", "<point>.json", f) for f in SWEEP_FAULTS}
    expected |= {("sweep", f"SIGKILL before rename {n}", "kill")
                 for n in range(1, len(SWEEP_POINTS) + 1)}
    assert set(rows) == expected
    assert all(_acceptable(v) for v in rows.values()), [v for v in rows.values()
                                                        if not _acceptable(v)]


def _print_matrix() -> None:  # pragma: no cover - regenerates the docs table by hand
    import tempfile

    with tempfile.TemporaryDirectory() as t:
        base = Path(t)
        run_training(_cfg(), base / "ref", progress=False)
        run_training(_cfg(), base / "partial", progress=False, stop_after=2)
        kref = base / "kref"
        run_training(_cfg(KILL_EPOCHS), kref, progress=False)
        print("| run | file | fault | outcome |\n|---|---|---|---|")
        for i, (target, fault) in enumerate(_train_cases()):
            (base / f"c{i}").mkdir()
            out = train_case(target, fault, base / "ref", base / "partial", base / f"c{i}")
            print(f"| training | `{target}` | {fault} | {out} |")
        for n in range(1, N_RENAMES + 1):
            run = base / f"k{n}"
            proc = start_python(KILL_AT_RENAME, str(run), str(n), str(KILL_EPOCHS))
            proc.communicate()
            print(f"| training | SIGKILL before rename {n} | kill | "
                  f"{_after_kill(run, kref, KILL_EPOCHS)} |")
        cache0 = base / "cache0"
        run_sweep(cheap_point, SWEEP_POINTS, cache0, max_workers=1, progress=False)
        for fault in SWEEP_FAULTS:
            cache = base / f"s-{fault}"
            shutil.copytree(cache0, cache)
            target = cache / f"{point_key(SWEEP_POINTS[2])}.json"
            if fault == "swap":
                shutil.copy(cache / f"{point_key(SWEEP_POINTS[3])}.json", target)
            else:
                FAULTS[fault](target)
            print(f"| sweep | `<point>.json` | {fault} | {_rerun_sweep(cache)} |")
        for n in range(1, len(SWEEP_POINTS) + 1):
            cache = base / f"sk{n}"
            proc = start_python(SWEEP_DRIVER, str(cache), str(n), TESTS_DIR)
            proc.communicate()
            print(f"| sweep | SIGKILL before rename {n} | kill | {_rerun_sweep(cache)} |")


if __name__ == "__main__":  # pragma: no cover
    sys.path.insert(0, TESTS_DIR)
    _print_matrix()

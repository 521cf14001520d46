"""Helpers of the reliability tests: tiny training configs, run fingerprints, CLI subprocesses.

A run's *fingerprint* is everything it computed, without wall-clock times: the arrays of its
newest checkpoint, ``ledger.csv`` byte for byte, ``metrics.json`` and ``history.csv`` without
their ``*seconds`` fields. Two runs are bit-identical when their fingerprints are equal.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import thermolearn
from thermolearn.checkpoints import load_checkpoint

SRC = str(Path(thermolearn.__file__).resolve().parents[1])


def _drop_seconds(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_seconds(v) for k, v in obj.items() if "seconds" not in k}
    if isinstance(obj, list):
        return [_drop_seconds(v) for v in obj]
    return obj


def fingerprint(run_dir: Path) -> dict[str, Any]:
    """What a training run computed (bit for bit), without its wall-clock times."""
    ck = load_checkpoint(run_dir / "checkpoint.npz")
    with open(run_dir / "history.csv", newline="") as fh:
        history = [{k: v for k, v in row.items() if "seconds" not in k}
                   for row in csv.DictReader(fh)]
    return {
        "arrays": {k: (a.dtype.str, a.shape, a.tobytes()) for k, a in ck.arrays.items()},
        "meta": _drop_seconds(ck.meta),
        "ledger": (run_dir / "ledger.csv").read_text(),
        "metrics": _drop_seconds(json.loads((run_dir / "metrics.json").read_text())),
        "history": history,
    }


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env["OPENBLAS_NUM_THREADS"] = "1"
    return env


def start_cli(args: list[str], **kw: Any) -> subprocess.Popen[str]:
    """Start ``python -m thermolearn.cli ARGS`` from this source tree."""
    return subprocess.Popen(
        [sys.executable, "-m", "thermolearn.cli", *args], env=cli_env(), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw,
    )


def start_python(code: str, *argv: str) -> subprocess.Popen[str]:
    """Start ``python -c CODE ARGV...`` with this source tree on the path."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *argv], env=cli_env(), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


@pytest.fixture
def fp():  # type: ignore[no-untyped-def]
    return fingerprint

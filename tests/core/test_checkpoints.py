"""Checksummed checkpoints (last two kept), atomic writes, settings diffs.

Reference for every test: the contract in the module docstring of ``thermolearn.checkpoints``
(exact equality of arrays and metadata after a round trip; a damaged file is never used and
never unpickled). No tolerances: everything is compared bit for bit.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from thermolearn.checkpoints import (
    atomic_write_bytes,
    atomic_write_json,
    checkpoint_files,
    describe_differences,
    load_checkpoint,
    load_latest_checkpoint,
    save_checkpoint,
)
from thermolearn.errors import CheckpointError, CheckpointWarning, ParameterError


def _save(d: Path, step: int) -> dict[str, np.ndarray]:
    arrays = {"w0": np.arange(12.0).reshape(3, 4) * step, "y": np.array([step, 1, 2])}
    save_checkpoint(d, arrays, {"step": step, "rng": {"state": 2**100 + step}})
    return arrays


def test_round_trip_is_exact_and_last_two_are_kept(tmp_path: Path) -> None:
    for step in (1, 2, 3):
        arrays = _save(tmp_path, step)
    newest, prev = checkpoint_files(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [newest.name, prev.name]
    ck = load_latest_checkpoint(tmp_path)
    assert ck.path == newest and ck.meta["step"] == 3 and ck.meta["rng"]["state"] == 2**100 + 3
    for k, a in arrays.items():
        assert ck.arrays[k].dtype == a.dtype and np.array_equal(ck.arrays[k], a)
    assert load_checkpoint(prev).meta["step"] == 2


@pytest.mark.parametrize("fault", ["truncate", "empty", "flip", "resaved-altered"])
def test_damaged_newest_is_reported_by_name_and_previous_used(tmp_path: Path, fault: str) -> None:
    _save(tmp_path, 1)
    _save(tmp_path, 2)
    newest, _ = checkpoint_files(tmp_path)
    data = newest.read_bytes()
    if fault == "truncate":
        newest.write_bytes(data[: len(data) // 2])
    elif fault == "empty":
        newest.write_bytes(b"")
    elif fault == "flip":
        b = bytearray(data)
        b[len(b) // 3] ^= 0x10
        newest.write_bytes(bytes(b))
    else:  # a well-formed archive whose content no longer matches its checksum
        with np.load(newest, allow_pickle=False) as z:
            members = {k: z[k] for k in z.files}
        members["w0"] = members["w0"] + 1.0
        buf = io.BytesIO()
        np.savez(buf, **members)
        newest.write_bytes(buf.getvalue())
    with pytest.warns(CheckpointWarning, match=r"checkpoint\.npz") as rec:
        ck = load_latest_checkpoint(tmp_path)
    assert ck.meta["step"] == 1 and ck.path.name == "checkpoint.prev.npz"
    assert "damaged" in str(rec[0].message) or "checksum" in str(rec[0].message)
    assert (tmp_path / "checkpoint.npz.damaged").is_file() and not newest.exists()


def test_no_intact_checkpoint_is_a_named_error_with_remedy(tmp_path: Path) -> None:
    _save(tmp_path, 1)
    _save(tmp_path, 2)
    for p in checkpoint_files(tmp_path):
        p.write_bytes(p.read_bytes()[:100])
    with pytest.raises(CheckpointError, match=r"checkpoint\.npz.*checkpoint\.prev\.npz.*--force"):
        load_latest_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_latest_checkpoint(tmp_path / "nothing-here")


def test_pickled_content_is_never_loaded(tmp_path: Path) -> None:
    # An npz holding an object array (a pickle) with a matching-looking layout: refused by name.
    p = tmp_path / "checkpoint.npz"
    buf = io.BytesIO()
    np.savez(buf, w0=np.array([{"evil": 1}], dtype=object))
    p.write_bytes(buf.getvalue())
    with pytest.raises(CheckpointError, match=r"checkpoint\.npz.*(damaged|pickled|object)"):
        load_checkpoint(p)
    with pytest.raises(ParameterError, match="object dtype"):
        save_checkpoint(tmp_path, {"w": np.array([None], dtype=object)}, {"step": 1})


def test_old_unchecksummed_checkpoint_is_refused_with_explanation(tmp_path: Path) -> None:
    p = tmp_path / "checkpoint.npz"
    np.savez(p, w0=np.ones(3), meta_json=np.array('{"epoch": 1}'))
    with pytest.raises(CheckpointError, match="no checksum"):
        load_checkpoint(p)


def test_garbage_file_is_a_named_error(tmp_path: Path) -> None:
    p = tmp_path / "checkpoint.npz"
    p.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(CheckpointError, match=r"checkpoint\.npz"):
        load_checkpoint(p)
    # a zip that is not an npz of arrays
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("w0.npy", b"not an npy header")
    with pytest.raises(CheckpointError, match=r"checkpoint\.npz"):
        load_checkpoint(p)


def test_kill_between_rotation_renames_keeps_the_last_complete_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _save(tmp_path, 1)
    real = os.replace
    calls: list[str] = []

    def replace(src: object, dst: object) -> None:
        calls.append(str(dst))
        if len(calls) == 2:  # newest -> prev done; the new file's rename "never happens"
            raise KeyboardInterrupt
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        _save(tmp_path, 2)
    monkeypatch.setattr(os, "replace", real)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.prev.npz"]  # tmp removed
    assert load_latest_checkpoint(tmp_path).meta["step"] == 1


def test_atomic_write_leaves_old_content_when_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "metrics.json"
    atomic_write_json(target, {"a": 1})

    def boom(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b'{"a": 2}')
    monkeypatch.undo()
    assert target.read_text() == '{"a": 1}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_describe_differences_names_each_setting() -> None:
    saved = {"seed": 0, "hidden": [8], "circuit": {"gain": 2.0, "beta": 0.1}}
    now = {"seed": 1, "hidden": [8], "circuit": {"gain": 3.0}, "lr": 5}
    assert describe_differences(saved, now) == [
        "circuit.beta: 0.1 -> (absent)",
        "circuit.gain: 2.0 -> 3.0",
        "lr: (absent) -> 5",
        "seed: 0 -> 1",
    ]
    assert describe_differences(saved, saved) == []

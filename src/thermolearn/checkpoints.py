"""Files that survive faults: atomic writes and checksummed checkpoints (the last two kept).

Every file a run writes goes through :func:`atomic_write_bytes`: the bytes are written to a
temporary file in the same directory, flushed and ``fsync``-ed, renamed over the target
(``os.replace``, atomic on POSIX) and the directory entry is ``fsync``-ed. A run killed at any
instant (SIGKILL, power loss after the fsync) therefore leaves either the old file or the new
one, never a mixture.

Checkpoints (:func:`save_checkpoint`) are ``.npz`` archives of plain numeric arrays plus two
members: ``__meta__`` (UTF-8 JSON bytes, as a ``uint8`` array) and ``__sha256__`` (the SHA-256
of every member's name, dtype, shape and bytes). Saving rotates ``<name>.npz`` to
``<name>.prev.npz`` before the new file takes its place, so the last two are kept.
:func:`load_latest_checkpoint` verifies both (never unpickling: ``allow_pickle=False``), uses the
newest intact one, reports every damaged one by name (:class:`~thermolearn.errors.
CheckpointWarning`) and sets it aside as ``<file>.damaged``; if none is intact it raises
:class:`~thermolearn.errors.CheckpointError` saying what is wrong with each file and what to do.

A kill between the two renames of a rotation leaves only ``<name>.prev.npz``, which *is* the
last complete checkpoint, so nothing is lost; a leftover temporary file is ignored.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.errors import CheckpointError, CheckpointWarning, ParameterError

__all__ = [
    "FORMAT",
    "Checkpoint",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_json",
    "fsync_directory",
    "save_checkpoint",
    "load_checkpoint",
    "load_latest_checkpoint",
    "checkpoint_files",
    "array_digest",
    "json_digest",
    "describe_differences",
]

#: Format tag stored in every checkpoint's metadata.
FORMAT = "thermolearn-checkpoint/1"
_META = "__meta__"
_SHA = "__sha256__"
_RESERVED = (_META, _SHA)


# ---------------------------------------------------------------------------------------------
# atomic files
# ---------------------------------------------------------------------------------------------


def fsync_directory(directory: str | Path) -> None:
    """``fsync`` a directory so that a rename inside it is durable (no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory descriptors
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that refuse directory fsync
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temporary file, fsync, rename, directory fsync.

    The temporary file is ``.<name>.<pid>.tmp`` in the target's directory (same file system,
    so the rename is atomic); it is removed if the write fails.
    """
    p = Path(path)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_directory(p.parent)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any, **dump_kwargs: Any) -> None:
    """Serialise ``obj`` as JSON (``json.dumps(obj, **dump_kwargs)`` + newline), atomically."""
    atomic_write_text(path, json.dumps(obj, **dump_kwargs) + "\n")


# ---------------------------------------------------------------------------------------------
# digests
# ---------------------------------------------------------------------------------------------


def array_digest(arrays: Mapping[str, NDArray[Any]]) -> str:
    """SHA-256 (hex) over every array's name, dtype, shape and C-order bytes, by sorted name."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(name.encode())
        h.update(b"\0" + a.dtype.str.encode() + b"\0" + repr(a.shape).encode() + b"\0")
        h.update(a.tobytes())
    return h.hexdigest()


def json_digest(obj: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``obj`` (sorted keys, no whitespace)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# checkpoints
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A verified checkpoint: its arrays, its metadata and the file it came from."""

    arrays: dict[str, NDArray[Any]]
    meta: dict[str, Any]
    path: Path


def checkpoint_files(directory: str | Path, name: str = "checkpoint") -> tuple[Path, Path]:
    """Return ``(newest, previous)`` checkpoint paths of ``name`` in ``directory``."""
    d = Path(directory)
    return d / f"{name}.npz", d / f"{name}.prev.npz"


def save_checkpoint(
    directory: str | Path,
    arrays: Mapping[str, NDArray[Any]],
    meta: Mapping[str, Any],
    *,
    name: str = "checkpoint",
) -> Path:
    """Write a checksummed checkpoint atomically, keeping the previous one; return its path.

    Parameters
    ----------
    directory : str or Path
        Existing directory.
    arrays : mapping of str to ndarray
        Numeric arrays (no object dtype: checkpoints are never pickled).
    meta : mapping
        JSON-serialisable metadata (``"step"`` is used to order checkpoints when present).
    name : str
        File stem: the checkpoint is ``<name>.npz``; the one before it ``<name>.prev.npz``.

    Raises
    ------
    ParameterError
        An array has object dtype or a reserved name, or ``meta`` is not JSON-serialisable.
    """
    plain: dict[str, NDArray[Any]] = {}
    for key, value in arrays.items():
        a = np.asarray(value)
        if key in _RESERVED or key.startswith("__"):
            raise ParameterError(f"The checkpoint array name {key!r} is reserved.")
        if a.dtype.hasobject:
            raise ParameterError(
                f"The checkpoint array {key!r} has object dtype; checkpoints hold numeric "
                "arrays only (they are loaded without unpickling)."
            )
        plain[key] = a
    try:
        meta_bytes = json.dumps({"format": FORMAT, **dict(meta)}, allow_nan=True).encode()
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"Checkpoint metadata must be JSON-serialisable: {exc}.") from exc
    plain[_META] = np.frombuffer(meta_bytes, dtype=np.uint8)
    digest = array_digest(plain)
    buf = io.BytesIO()
    np.savez(buf, **plain, **{_SHA: np.frombuffer(digest.encode(), dtype=np.uint8)})
    newest, previous = checkpoint_files(directory, name)
    data = buf.getvalue()
    tmp = newest.with_name(f".{newest.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if newest.exists():
            os.replace(newest, previous)
        os.replace(tmp, newest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_directory(newest.parent)
    return newest


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and verify one checkpoint file (no unpickling).

    Raises
    ------
    CheckpointError
        The file is missing, unreadable, truncated, not a thermolearn checkpoint, or its
        checksum does not match its content; the message says which.
    """
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"checkpoint '{p}' does not exist.", path=str(p))
    arrays: dict[str, NDArray[Any]] = {}
    try:
        with open(p, "rb") as fh:
            if not zipfile.is_zipfile(fh):
                raise CheckpointError(
                    f"checkpoint '{p}' is not a readable archive ({p.stat().st_size:,} bytes): "
                    "it was truncated or overwritten.",
                    path=str(p),
                )
            fh.seek(0)
            z = np.load(fh, allow_pickle=False)
            if not isinstance(z, np.lib.npyio.NpzFile):
                raise CheckpointError(
                    f"checkpoint '{p}' is a single array, not a checkpoint archive.", path=str(p)
                )
            with z:
                for key in z.files:
                    arrays[key] = z[key]
    except CheckpointError:
        raise
    except ValueError as exc:
        # object arrays (numpy suggests allow_pickle: never here), malformed headers, short reads
        why = ("it holds pickled objects, which thermolearn never loads" if "pickle" in str(exc)
               else _short(exc))
        raise CheckpointError(
            f"checkpoint '{p}' is damaged or not a checkpoint ({why}).", path=str(p)
        ) from exc
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, RuntimeError) as exc:
        raise CheckpointError(
            f"checkpoint '{p}' is truncated or damaged ({type(exc).__name__}: {_short(exc)}).",
            path=str(p),
        ) from exc
    except Exception as exc:  # noqa: BLE001 - zlib/struct/unicode errors of a damaged archive
        raise CheckpointError(
            f"checkpoint '{p}' is damaged ({type(exc).__name__}: {_short(exc)}).", path=str(p)
        ) from exc
    if _SHA not in arrays or _META not in arrays:
        raise CheckpointError(
            f"checkpoint '{p}' has no checksum or metadata: it was not written by this version "
            "of thermolearn (or is not a checkpoint) and cannot be verified.",
            path=str(p),
        )
    stored = arrays.pop(_SHA)
    try:
        stored_hex = stored.astype(np.uint8).tobytes().decode("ascii")
    except (UnicodeDecodeError, ValueError, TypeError) as exc:
        raise CheckpointError(f"checkpoint '{p}' has an unreadable checksum.", path=str(p)) from exc
    actual = array_digest(arrays)
    if stored_hex != actual:
        raise CheckpointError(
            f"checkpoint '{p}' fails its checksum (stored sha256 {stored_hex[:12]}…, content "
            f"{actual[:12]}…): its content was altered after it was written.",
            path=str(p),
        )
    try:
        meta = json.loads(arrays.pop(_META).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:  # pragma: no cover - guarded by checksum
        raise CheckpointError(f"checkpoint '{p}' has unreadable metadata.", path=str(p)) from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise CheckpointError(
            f"checkpoint '{p}' has format {found!r}; this thermolearn reads {FORMAT!r}.",
            path=str(p),
        )
    return Checkpoint(arrays=arrays, meta=meta, path=p)


def load_latest_checkpoint(
    directory: str | Path, *, name: str = "checkpoint", set_aside: bool = True
) -> Checkpoint:
    """Return the newest intact checkpoint of ``name`` in ``directory``.

    Both kept files are verified; the one with the larger ``meta["step"]`` wins (the newest
    file on a tie). Each damaged file is reported with a
    :class:`~thermolearn.errors.CheckpointWarning` naming it and, with ``set_aside``, renamed to
    ``<file>.damaged`` so that the next rotation cannot push it over the intact one.

    Raises
    ------
    CheckpointError
        No checkpoint exists, or none is intact (the message lists each file's problem and
        the remedy).
    """
    d = Path(directory)
    good: list[Checkpoint] = []
    problems: list[str] = []
    damaged: list[tuple[Path, CheckpointError]] = []
    for p in checkpoint_files(d, name):
        if not p.exists():
            continue
        try:
            good.append(load_checkpoint(p))
        except CheckpointError as exc:
            damaged.append((p, exc))
            problems.append(str(exc))
    if not good:
        if not problems:
            raise CheckpointError(
                f"no checkpoint in '{d}' (looked for {name}.npz and {name}.prev.npz); start the "
                "run without --resume.",
                path=str(d),
            )
        raise CheckpointError(
            "no intact checkpoint to resume from: " + " ".join(problems) + " Restore the files "
            "from a backup, or start the run afresh with --force (its finished epochs are lost).",
            path=str(damaged[0][0]),
        )
    good.sort(key=lambda c: (int(c.meta.get("step", 0)), c.path.name == f"{name}.npz"))
    best = good[-1]
    for p, exc in damaged:
        where = p
        if set_aside:
            where = p.with_name(p.name + ".damaged")
            os.replace(p, where)
        warnings.warn(
            f"{exc} Resuming from '{best.path.name}' (step {best.meta.get('step', '?')}) "
            f"instead; the damaged file is kept as '{where.name}'.",
            CheckpointWarning,
            stacklevel=2,
        )
    return best


def describe_differences(saved: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """List the settings that differ, as ``"key: saved -> current"`` (nested keys dotted)."""
    out: list[str] = []

    def walk(a: Any, b: Any, prefix: str) -> None:
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            for k in sorted(set(a) | set(b), key=str):
                key = f"{prefix}.{k}" if prefix else str(k)
                if k not in a:
                    out.append(f"{key}: (absent) -> {b[k]!r}")
                elif k not in b:
                    out.append(f"{key}: {a[k]!r} -> (absent)")
                else:
                    walk(a[k], b[k], key)
        elif _norm(a) != _norm(b):
            out.append(f"{prefix}: {a!r} -> {b!r}")

    walk(saved, current, "")
    return out


def _norm(v: Any) -> Any:
    return json.loads(json.dumps(v, sort_keys=True, allow_nan=True, default=str))


def _short(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

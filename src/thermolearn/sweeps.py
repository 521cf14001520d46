"""One sweep runner for embarrassingly parallel parameter sweeps, with a per-point disk cache.

:func:`run_sweep` evaluates ``func(point)`` for every point (a JSON-serialisable mapping of
parameters) on a local process pool by default, or on a Dask distributed cluster when given a
scheduler address. Each finished point's result is written to ``cache_dir`` at once (atomic
rename), keyed by a stable hash of the point's parameters, so a sweep that crashed or was
killed half-way recomputes only the missing points when it is run again.

Used by the E ∝ I scaling study (:mod:`thermolearn.experiments.scaling`) and by array design
sweeps.

Notes
-----
* ``func`` must be picklable by reference (a module-level function) for the process pool and
  for Dask clusters with worker processes; the pool uses the ``spawn`` start method so that it
  is safe in processes that run threads (e.g. a Dask client).
* Results must be JSON-serialisable (dicts of numbers, strings, lists). Non-finite floats are
  stored as JSON ``NaN``/``Infinity``.
* Cache files are written by the driver process only, so workers need no shared disk. Each
  file is written atomically (temporary file, fsync, rename) and carries the SHA-256 of its
  content; a file that is truncated, altered, or holds another point's result is reported by
  name (:class:`~thermolearn.errors.CheckpointWarning`), set aside as ``<file>.damaged`` and its
  point recomputed, so a damaged cache never yields a silently wrong result. Cache files of
  earlier versions (no checksum) are used when their point matches.
* Each pool worker caps its BLAS threads at its share of the cores
  (:func:`limit_blas_threads`, ``cpus // workers``, or a smaller cap the driver was started
  with: :func:`pool_blas_threads`): spinning OpenBLAS threads of several
  processes on too few cores slow dense linear algebra by orders of magnitude. Dask workers
  are the cluster's to configure (``OPENBLAS_NUM_THREADS`` in the worker's environment).
* The key hashes the point's parameters only: use one ``cache_dir`` per sweep function, and
  put a version field in the points when the meaning of a result changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from thermolearn.checkpoints import atomic_write_text, json_digest
from thermolearn.errors import CheckpointWarning, ParameterError, ThermolearnError
from thermolearn.validation import check_int

__all__ = [
    "SweepError", "blas_threads_per_worker", "cached_results", "limit_blas_threads",
    "point_key", "pool_blas_threads",
    "run_sweep",
]


class SweepError(ThermolearnError):
    """One or more sweep points failed; completed points are cached.

    Attributes
    ----------
    failures : dict
        ``{point key: repr(exception)}`` of the failed points.
    """

    def __init__(self, message: str, failures: Mapping[str, str]) -> None:
        super().__init__(message)
        self.failures = dict(failures)


def point_key(point: Mapping[str, Any]) -> str:
    """Stable hash (hex SHA-256, 24 characters) of a point's parameters.

    The parameters are serialised as canonical JSON (sorted keys, no whitespace), so the key
    does not depend on insertion order or on the process or machine computing it.
    """
    try:
        text = json.dumps(dict(point), sort_keys=True, separators=(",", ":"), allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"The sweep point {point!r} must be a JSON-serialisable mapping of parameters."
        ) from exc
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _cache_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"{key}.json"


def _read_cached(path: Path, point: Mapping[str, Any] | None = None) -> tuple[bool, Any]:
    """Return ``(True, result)`` for an intact cache file of ``point``, else ``(False, None)``.

    A missing file is a miss; a damaged one (unreadable, checksum mismatch, another point) is
    reported with a CheckpointWarning naming it, renamed to ``<file>.damaged``, and a miss.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False, None
    except (OSError, UnicodeDecodeError) as exc:
        return _damaged(path, f"unreadable ({type(exc).__name__})")
    try:
        doc = json.loads(text)
        key, stored_point, result = doc["key"], doc["point"], doc["result"]
    except (ValueError, KeyError, TypeError):
        return _damaged(path, "truncated or not a sweep cache file")
    body = {"key": key, "point": stored_point, "result": result}
    if "sha256" in doc and doc["sha256"] != json_digest(body):
        return _damaged(path, "its checksum does not match its content")
    if key != path.stem or point_key(stored_point) != key:
        return _damaged(path, "it holds the result of another point")
    if point is not None and json_digest(dict(point)) != json_digest(stored_point):
        return _damaged(path, "it holds the result of another point")
    return True, result


def _damaged(path: Path, why: str) -> tuple[bool, Any]:
    aside = path.with_name(path.name + ".damaged")
    try:
        os.replace(path, aside)
    except OSError:  # pragma: no cover - read-only cache: report, recompute, do not set aside
        aside = path
    warnings.warn(
        f"sweep cache file '{path}' is damaged ({why}); its point is recomputed (the damaged "
        f"file is kept as '{aside.name}').",
        CheckpointWarning,
        stacklevel=3,
    )
    return False, None


def _write_cached(cache_dir: Path, key: str, point: Mapping[str, Any], result: Any) -> None:
    # the digest is taken over the JSON round trip, i.e. over exactly what a reader sees
    body = json.loads(json.dumps({"key": key, "point": dict(point), "result": result},
                                 allow_nan=True))
    text = json.dumps({**body, "sha256": json_digest(body)}, indent=1, allow_nan=True)
    atomic_write_text(_cache_path(cache_dir, key), text)


def cached_results(points: Sequence[Mapping[str, Any]], cache_dir: str | Path) -> list[Any]:
    """Return the cached result of each point, or None where it is missing."""
    d = Path(cache_dir)
    out = []
    for p in points:
        ok, res = _read_cached(_cache_path(d, point_key(p)), p)
        out.append(res if ok else None)
    return out


def _call(func: Callable[[dict[str, Any]], Any], point: dict[str, Any]) -> Any:
    return func(point)


#: Environment variables that set the thread count of the BLAS/OpenMP libraries at load time.
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def blas_threads_per_worker(workers: int, cpus: int | None = None) -> int:
    """BLAS threads each of ``workers`` processes may use so that they do not oversubscribe.

    ``cpus // workers``, at least 1 (``cpus`` defaults to the CPUs this process may run on).
    """
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, int(cpus or 1) // max(1, int(workers)))


def pool_blas_threads(workers: int, cpus: int | None = None) -> int:
    """BLAS threads of each of ``workers`` pool workers.

    Their share of the cores, never more than a cap this process was started with
    (``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS``, e.g. ``make test``'s
    one thread), so a worker never raises it.
    """
    n = blas_threads_per_worker(workers, cpus)
    for var in _THREAD_VARS:
        val = os.environ.get(var, "").strip()
        if val.isdigit() and int(val) >= 1:
            n = min(n, int(val))
    return n


def limit_blas_threads(threads: int) -> None:
    """Cap this process's BLAS/OpenMP thread pools at ``threads`` (now and for later loads).

    OpenBLAS's threads spin while they wait: two processes that each run as many BLAS threads
    as there are cores make a small dense eigen-decomposition (n = 266, the EP settling
    check) ~200x slower than one thread does (benchmarks/bench_blas_threads.py). Sets the
    libraries' environment variables (read by a library loaded later, and inherited by
    child processes) and, through threadpoolctl, the pools of the libraries already loaded.
    """
    from threadpoolctl import threadpool_limits

    n = check_int(threads, "threads", "limit_blas_threads", minimum=1)
    for var in _THREAD_VARS:
        os.environ[var] = str(n)
    import numpy  # noqa: F401 - load numpy's and scipy's BLAS before capping them
    import scipy.linalg  # noqa: F401

    threadpool_limits(limits=n)


def run_sweep(
    func: Callable[[dict[str, Any]], Any],
    points: Sequence[Mapping[str, Any]],
    cache_dir: str | Path,
    scheduler: str | None = None,
    max_workers: int = 2,
    *,
    progress: bool = True,
    description: str = "sweep",
) -> list[Any]:
    """Evaluate ``func(point)`` for every point, caching each result on disk.

    Parameters
    ----------
    func : callable
        ``func(point: dict) -> JSON-serialisable result``; a module-level function.
    points : sequence of mapping
        Parameter sets (JSON-serialisable). Duplicates are computed once.
    cache_dir : str or Path
        Directory of per-point result files ``<key>.json`` (created if missing).
    scheduler : str, optional
        Address of a Dask distributed scheduler (e.g. ``"tcp://10.0.0.5:8786"``); default:
        a local process pool.
    max_workers : int
        Size of the local process pool (ignored with a scheduler). ``1`` runs the points in
        this process, one after the other.
    progress : bool
        Show a tqdm progress bar (on stderr).
    description : str
        Label of the progress bar.

    Returns
    -------
    list
        The results, in the order of ``points``.

    Raises
    ------
    SweepError
        If any point raised; every point that finished (before or after the failure) is in
        the cache, so rerunning computes only the failed and missing points.
    """
    owner = "run_sweep"
    workers = check_int(max_workers, "max_workers", owner, minimum=1)
    cdir = Path(cache_dir)
    cdir.mkdir(parents=True, exist_ok=True)
    pts = [dict(p) for p in points]
    keys = [point_key(p) for p in pts]
    results: dict[str, Any] = {}
    todo: dict[str, dict[str, Any]] = {}
    for k, p in zip(keys, pts, strict=True):
        ok, res = (True, results[k]) if k in results else _read_cached(_cache_path(cdir, k), p)
        if ok:
            results[k] = res
        elif k not in todo:
            todo[k] = p

    from tqdm.auto import tqdm

    bar = tqdm(total=len(set(keys)), initial=len(results), desc=description, disable=not progress,
               unit="pt")
    failures: dict[str, str] = {}
    first_exc: BaseException | None = None

    def finish(key: str, outcome: Any, exc: BaseException | None) -> None:
        nonlocal first_exc
        if exc is None:
            _write_cached(cdir, key, todo[key], outcome)
            results[key] = outcome
        else:
            failures[key] = f"{type(exc).__name__}: {exc}"
            first_exc = first_exc or exc
        bar.update(1)

    try:
        if not todo:
            pass
        elif scheduler is not None:
            _run_dask(func, todo, scheduler, finish)
        elif workers == 1:
            for k, p in todo.items():
                try:
                    out = func(p)
                except Exception as exc:  # noqa: BLE001 - recorded, re-raised as SweepError
                    finish(k, None, exc)
                else:
                    finish(k, out, None)
        else:
            _run_pool(func, todo, workers, finish)
    finally:
        bar.close()
    if failures:
        raise SweepError(
            f"{len(failures)} of {len(todo)} sweep points failed (first: "
            f"{next(iter(failures.values()))}); the {len(results)} finished points are cached in "
            f"{cdir}, so rerunning computes only the missing ones.",
            failures,
        ) from first_exc
    return [results[k] for k in keys]


def _run_pool(
    func: Callable[[dict[str, Any]], Any],
    todo: dict[str, dict[str, Any]],
    workers: int,
    finish: Callable[[str, Any, BaseException | None], None],
) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("spawn")
    n = min(workers, len(todo))
    # each worker gets its share of the cores for BLAS (oversubscribed OpenBLAS threads spin)
    pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=limit_blas_threads,
                               initargs=(pool_blas_threads(n),))
    try:
        futs = {pool.submit(_call, func, p): k for k, p in todo.items()}
        for fut in as_completed(futs):
            exc = fut.exception()
            finish(futs[fut], None if exc is not None else fut.result(), exc)
    except BaseException:
        # Ctrl-C / SIGTERM (or a failing cache write): finished points are on disk; stop the
        # workers now instead of letting shutdown() wait for every queued point.
        terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
        if terminate is not None:
            pool.shutdown(wait=False, cancel_futures=True)
            terminate()
        else:
            # shutdown() sets pool._processes to None: take the workers first, then cancel the
            # queued points, then stop the workers (a point already handed to a worker would
            # otherwise run to the end, and so would the call queue's backlog)
            procs = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                proc.terminate()
        raise
    pool.shutdown(wait=True)


def _run_dask(
    func: Callable[[dict[str, Any]], Any],
    todo: dict[str, dict[str, Any]],
    scheduler: str,
    finish: Callable[[str, Any, BaseException | None], None],
) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ParameterError(
            "The 'scheduler' argument of run_sweep needs dask.distributed; install it with "
            "`pip install 'dask[distributed]'` (extra 'dask' of thermolearn)."
        ) from exc
    if not isinstance(scheduler, str) or not scheduler:
        raise ParameterError(
            f"The 'scheduler' argument of run_sweep must be a scheduler address; got {scheduler!r}."
        )
    with Client(scheduler) as client:  # type: ignore[no-untyped-call]
        futs = {}
        for k, p in todo.items():
            fut = client.submit(_call, func, p, key=f"thermolearn-sweep-{k}-{uuid.uuid4().hex[:8]}")
            futs[fut] = k
        for fut in as_completed(list(futs)):  # type: ignore[no-untyped-call]
            if fut.status == "finished":
                finish(futs[fut], fut.result(), None)
            else:
                finish(futs[fut], None, fut.exception())

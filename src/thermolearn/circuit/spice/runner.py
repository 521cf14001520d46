"""A thin, tested runner for ngspice in shared-library mode (through PySpice).

PySpice is imported lazily, only when a netlist is actually run, so ``import thermolearn``
stays light. ngspice 39 (Debian 12) works in PySpice 1.5's shared mode; PySpice logs a
harmless "Unsupported Ngspice version 39" which we silence.

Raises :class:`~thermolearn.errors.SpiceError` with the install command when ngspice is
missing, and with ngspice's own messages when a netlist fails.
"""

from __future__ import annotations

import ctypes.util
import glob
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.errors import SpiceError

INSTALL_HINT = (
    "ngspice is not available to PySpice. On Debian/Ubuntu run "
    "'sudo apt-get install -y ngspice libngspice0 libngspice0-dev' "
    "(the -dev package provides libngspice.so), or set NGSPICE_LIBRARY_PATH to libngspice.so.0."
)

_LOCK = threading.Lock()
_INSTANCE: Any = None


@dataclass
class SpiceResult:
    """Vectors of one ngspice analysis.

    Attributes
    ----------
    plot : str
        ngspice's plot name (``op1``, ``tran1`` ...).
    vectors : dict of str to ndarray
        Lower-case vector names (``"out"``, ``"v1#branch"``, ``"time"``) to real arrays.
    stdout : str
        ngspice's output, for diagnostics.
    """

    plot: str
    vectors: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    stdout: str = ""

    def __getitem__(self, name: str) -> NDArray[np.float64]:
        key = name.lower()
        if key not in self.vectors:
            raise SpiceError(
                f"ngspice returned no vector {name!r} in plot {self.plot!r}; "
                f"it has: {', '.join(sorted(self.vectors))}"
            )
        return self.vectors[key]

    def voltage(self, node: str) -> NDArray[np.float64]:
        """Voltage vector of ``node`` (ground is zeros)."""
        if node.lower() in ("0", "gnd"):
            n = len(next(iter(self.vectors.values()))) if self.vectors else 1
            return np.zeros(n)
        return self[node]

    def current(self, source: str) -> NDArray[np.float64]:
        """Branch current of a voltage source (SPICE sign: into the + terminal)."""
        return self[f"{source}#branch"]


def library_path() -> str | None:
    """Return the libngspice shared library that PySpice will open, or None if none is found."""
    env = os.environ.get("NGSPICE_LIBRARY_PATH")
    if env:
        return env if os.path.exists(env) else None
    # the unversioned name comes with libngspice0-dev; Debian 12's runtime package
    # (libngspice0, all that `make ngspice` installs) has only libngspice.so.0
    for pattern in (
        "/usr/lib/*/libngspice.so",
        "/usr/lib/libngspice.so",
        "/usr/local/lib/libngspice.so",
        "/usr/lib/*/libngspice.so.0",
        "/usr/lib/libngspice.so.0",
        "/usr/local/lib/libngspice.so.0",
    ):
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[0]
    # ctypes may return a bare soname ("libngspice.so.0"): a name for dlopen, not a path, so it
    # is never exported as NGSPICE_LIBRARY_PATH (a later process would take it for a file)
    return ctypes.util.find_library("ngspice")


def available() -> tuple[bool, str]:
    """Return (True, "") if ngspice can be run through PySpice, else (False, reason)."""
    try:
        import PySpice  # noqa: F401
    except ImportError:
        return False, "PySpice is not installed (pip install PySpice==1.5). " + INSTALL_HINT
    if library_path() is None:
        return False, INSTALL_HINT
    return True, ""


def _instance() -> Any:
    global _INSTANCE
    if _INSTANCE is not None:
        return _INSTANCE
    ok, reason = available()
    if not ok:
        raise SpiceError(reason)
    for name in ("PySpice", "PySpice.Spice.NgSpice.Shared"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    lib = library_path()
    if (lib and os.path.isabs(lib) and not os.environ.get("NGSPICE_LIBRARY_PATH")
            and not lib.endswith("libngspice.so")):
        os.environ["NGSPICE_LIBRARY_PATH"] = lib
    try:
        from PySpice.Spice.NgSpice.Shared import NgSpiceShared

        _INSTANCE = NgSpiceShared.new_instance()
    except Exception as exc:  # PySpice raises OSError/cffi errors of several kinds
        raise SpiceError(f"could not start ngspice through PySpice: {exc}. {INSTALL_HINT}") from exc
    return _INSTANCE


def _vectors(ng: Any, plot: str) -> dict[str, NDArray[np.float64]]:
    from PySpice.Spice.NgSpice.Shared import ffi

    lib = ng._ngspice_shared
    out: dict[str, NDArray[np.float64]] = {}
    names = lib.ngSpice_AllVecs(plot.encode())
    i = 0
    while names[i] != ffi.NULL:
        vname = ffi.string(names[i]).decode()
        info = lib.ngGet_Vec_Info(f"{plot}.{vname}".encode())
        n = info.v_length
        if info.v_realdata != ffi.NULL:
            arr = np.frombuffer(ffi.buffer(info.v_realdata, n * 8), dtype=np.float64).copy()
        else:
            raw = np.frombuffer(ffi.buffer(info.v_compdata, n * 16), dtype=np.float64).copy()
            arr = raw[0::2]
        out[vname.lower()] = arr
        i += 1
    return out


def run_netlist(netlist: str, *, timeout_note: str = "") -> SpiceResult:
    """Run a complete netlist (with its analysis card and ``.end``) in ngspice.

    Parameters
    ----------
    netlist : str
        SPICE text; the first line is the title.

    Returns
    -------
    SpiceResult
        The vectors of the last analysis that ran.

    Raises
    ------
    SpiceError
        If ngspice is missing, rejects the netlist, or produces no analysis.
    """
    with _LOCK:
        ng = _instance()
        try:
            ng.destroy()
        except Exception:  # noqa: BLE001 - nothing to destroy on a fresh instance
            pass
        try:
            ng.remove_circuit()
        except Exception:  # noqa: BLE001
            pass
        before = set(ng.plot_names)
        try:
            ng.load_circuit(netlist)
        except Exception as exc:
            raise SpiceError(
                f"ngspice rejected the netlist: {exc}\n{_tail(ng.stdout)}\n{_tail(ng.stderr)}"
            ) from exc
        err_lines = [ln for ln in ng.stderr.splitlines() if "error" in ln.lower()]
        if err_lines:
            raise SpiceError(
                "ngspice reported errors while loading the netlist:\n" + "\n".join(err_lines[:20])
            )
        try:
            ng.exec_command("run")
        except Exception as exc:
            # PySpice fails a command on any stderr line that is not a "Warning:"; ngspice's
            # "Note:" lines (e.g. "dc value used for op instead of transient time=0 value")
            # are information, not errors
            serious = [
                ln
                for ln in ng.stderr.splitlines()
                if ln.strip() and not ln.strip().lower().startswith(("note:", "warning:"))
            ]
            if serious or not [p for p in ng.plot_names if p not in before]:
                raise SpiceError(f"ngspice failed to run: {exc}\n{_tail(ng.stderr)}") from exc
        stderr = ng.stderr
        plots = ng.plot_names
        new = [p for p in plots if p not in before and p != "const"]
        if not new:
            if "const" in plots and len(plots) > len(before):
                new = [plots[0]]
            else:
                raise SpiceError(
                    "ngspice produced no analysis result (is there a .op/.tran/.dc card?).\n"
                    + _tail(stderr)
                    + "\n"
                    + _tail(ng.stdout)
                )
        bad = [
            ln
            for ln in stderr.splitlines()
            if any(
                k in ln.lower() for k in ("timestep too small", "singular matrix", "no convergence")
            )
        ]
        if bad:
            raise SpiceError("ngspice did not converge:\n" + "\n".join(bad[:10]))
        plot = new[0]
        vecs = _vectors(ng, plot)
        return SpiceResult(plot=plot, vectors=vecs, stdout=ng.stdout)


def _tail(text: str, n: int = 15) -> str:
    return "\n".join(text.splitlines()[-n:])


__all__ = ["SpiceResult", "run_netlist", "available", "library_path", "INSTALL_HINT"]

"""Argument types shared by the sub-commands: output paths, scheduler address, converter bits.

Each type checks the user's value when the command line is parsed, so a mistake exits with
status 2 and one line that names the value and the remedy (argparse prefixes the option),
before any work starts and never as a traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
from pathlib import Path
from urllib.parse import urlsplit


def plain(doc: str | None) -> str:
    """Turn a module docstring into plain ``--help`` text (no reStructuredText markup).

    ````x```` becomes 'x', ``:func:`x``` becomes x, a closing ``::`` becomes ``:``.
    """
    text = doc or ""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", text)
    text = re.sub(r"``([^`]+)``", r"'\1'", text)
    return re.sub(r"::\s*$", ":", text, flags=re.M)


#: Seconds to wait for a Dask scheduler to accept a connection before giving up.
SCHEDULER_TIMEOUT_S = 3.0


def converter_bits(value: str) -> int:
    """Check a converter resolution: an integer from 1 to MAX_CONVERTER_BITS (24) bits."""
    from thermolearn.errors import ParameterError
    from thermolearn.validation import MAX_CONVERTER_BITS, check_converter_bits

    try:
        bits = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an integer number of bits") from None
    try:
        return int(check_converter_bits(bits, "bits", "a converter"))
    except ParameterError:
        limit = f"<= {MAX_CONVERTER_BITS}" if bits > MAX_CONVERTER_BITS else ">= 1"
        raise argparse.ArgumentTypeError(
            f"{value} bits is out of range: a converter resolution must be {limit} bit (no "
            "converter reaches more than ~21 effective bits: Walden 1999, Murmann's ADC "
            "survey); give 1 to 24"
        ) from None


def out_dir(value: str) -> str:
    """Check an output directory: created later if missing, refused if it is a file."""
    p = Path(value)
    if p.exists() and not p.is_dir():
        raise argparse.ArgumentTypeError(
            f"{value!r} is a file, not a directory; give a directory path (it is created "
            "if missing)"
        )
    for parent in p.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise argparse.ArgumentTypeError(
                    f"{value!r} lies under {str(parent)!r}, which is a file; choose a path "
                    "under a directory"
                )
            if not os.access(parent, os.W_OK | os.X_OK):
                raise argparse.ArgumentTypeError(
                    f"cannot create {value!r}: {str(parent)!r} is not writable; choose a "
                    "writable location"
                )
            break
    return value


def out_file(value: str) -> str:
    """Check an output file: its directory must exist and it must not be a directory."""
    p = Path(value)
    if p.is_dir():
        raise argparse.ArgumentTypeError(
            f"{value!r} is a directory; give a file name (e.g. {str(p / 'out.json')!r})"
        )
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(
            f"directory {str(parent)!r} does not exist; create it first (mkdir -p "
            f"{parent}) or write into an existing directory"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(
            f"directory {str(parent)!r} is not writable; choose a writable location"
        )
    return value


def in_file(value: str) -> str:
    """Check that an input file exists."""
    p = Path(value)
    if p.is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} is a directory; give a file")
    if not p.is_file():
        raise argparse.ArgumentTypeError(f"no such file {value!r}; check the path")
    return value


def scheduler(value: str) -> str:
    """Check that a Dask scheduler accepts a TCP connection within a few seconds."""
    url = urlsplit(value if "://" in value else f"tcp://{value}")
    if url.scheme not in ("tcp", "tls") or not url.hostname:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a scheduler address; use tcp://HOST:PORT (as printed by "
            "'dask scheduler'), or omit --scheduler for the local process pool"
        )
    try:
        port = url.port or 8786
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} has an invalid port; use tcp://HOST:PORT"
        ) from None
    try:
        with socket.create_connection((url.hostname, port), timeout=SCHEDULER_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise argparse.ArgumentTypeError(
            f"no Dask scheduler answers at {url.hostname}:{port} ({reason} within "
            f"{SCHEDULER_TIMEOUT_S:g} s); start one with 'dask scheduler' or omit --scheduler "
            "to use the local process pool"
        ) from None
    return value


#: EP physics options of ``train`` and ``ep benchmark``: argparse dest -> PhysicsParams field.
#: Values are taken when given (not None); store_true flags when set.
_PHYSICS_OPTIONS = ("integration_time", "adc_bits", "adc_range_hidden", "adc_range_output",
                    "allow_read_disturb", "allow_settling_breach", "allow_adc_clipping")


def add_readout_arguments(p: argparse.ArgumentParser, prefix: str = "") -> None:
    """Add the node-read options shared by ``train`` and ``ep benchmark`` (``prefix``: help)."""
    p.add_argument("--adc-bits", type=converter_bits, default=None,
                   help=f"{prefix}booked ADC resolution of every node read, 1-24 bits "
                   "(task default)")
    p.add_argument("--integration-time", type=float, default=None, metavar="SECONDS",
                   help=f"{prefix}averaging window T of every node read, s (default 1e-7); the "
                   "Johnson noise falls as 1/sqrt(T), the amplifiers' static energy grows as T")
    p.add_argument("--allow-adc-clipping", action="store_true",
                   help=f"{prefix}continue a run in which more than 1 %% of the node reads clip "
                   "the ADC range (before or during training); the clipped fraction of every "
                   "epoch is reported in the audit")


def physics_overrides(args: argparse.Namespace) -> dict[str, object]:
    """Return the PhysicsParams overrides that a sub-command's parsed EP options ask for."""
    out: dict[str, object] = {}
    for key in _PHYSICS_OPTIONS:
        val = getattr(args, key, None)
        if val is not None and val is not False:
            out[key] = val
    return out

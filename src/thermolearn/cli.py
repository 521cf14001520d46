"""The ``thermolearn`` console script.

Sub-commands live one per module in :mod:`thermolearn.commands`; each module defines
``register(subparsers)`` which adds its parser and sets ``func`` (a callable taking the parsed
arguments and returning an exit code). Modules are discovered, so a capability adds its
command without touching this file.

Every user mistake exits with status 2 and one line on stderr, ``thermolearn CMD: error: ...``
naming the option and the remedy: argparse's own errors (usage line dropped), values refused by
the argument types of :mod:`thermolearn.commands._args`, :class:`ThermolearnError` raised by a
command, and, as a backstop, operating-system errors on a user's path.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import pkgutil
import sys
from collections.abc import Iterator, Sequence
from typing import NoReturn

from thermolearn import __version__
from thermolearn.errors import Terminated, ThermolearnError


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: the problem and where help is."""

    def error(self, message: str) -> NoReturn:
        """Print ``PROG: error: MESSAGE (see 'PROG --help')`` and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every discovered sub-command."""
    parser = _Parser(
        prog="thermolearn",
        description="Thermodynamic learning on simulated analog hardware.",
    )
    parser.add_argument("--version", action="version", version=f"thermolearn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import thermolearn.commands as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"thermolearn.commands.{info.name}")
        register = getattr(mod, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console script; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    from thermolearn.rundir import terminate_as_interrupt

    try:
        with terminate_as_interrupt(), _own_warnings_as_one_line():
            return int(func(args) or 0)
    except ThermolearnError as exc:
        print(f"thermolearn {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `thermolearn ... | head`: the reader left; stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # a path the user gave: unreadable, vanished, disk full ...
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        print(f"thermolearn {args.command}: error: {exc.strerror or exc}:{where}; check the "
              "path and its permissions", file=sys.stderr)
        return 2
    except Terminated as exc:
        print(
            f"thermolearn: terminated (signal {exc.signum}); completed work and checkpoints "
            "are kept.",
            file=sys.stderr,
        )
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("thermolearn: interrupted; completed work and checkpoints are kept.", file=sys.stderr)
        return 130


@contextlib.contextmanager
def _own_warnings_as_one_line() -> Iterator[None]:
    """Format thermolearn's own warnings (damaged checkpoint, stale lock) as one line each."""
    import warnings

    from thermolearn.errors import CheckpointWarning, RunDirectoryWarning

    previous = warnings.formatwarning

    def fmt(message, category, filename, lineno, line=None):  # type: ignore[no-untyped-def]
        if issubclass(category, CheckpointWarning | RunDirectoryWarning):
            return f"thermolearn: warning: {message}\n"
        return previous(message, category, filename, lineno, line)

    warnings.formatwarning = fmt
    try:
        yield
    finally:
        warnings.formatwarning = previous


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

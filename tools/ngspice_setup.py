"""Find ngspice the way thermolearn and PySpice will, and install only what is missing.

Run by ``make ngspice`` (a prerequisite of ``make demo`` and ``make test``) with the system
Python, before or after the virtual environment exists: standard library only.

What is looked for
------------------
* **libngspice** (required): the shared library that PySpice 1.5 opens in shared mode. PySpice
  takes ``$NGSPICE_LIBRARY_PATH`` if set, else ``dlopen("libngspice.so")`` (the unversioned
  name, which Debian ships only in ``libngspice0-dev``). thermolearn's runner
  (``thermolearn.circuit.spice.runner``) additionally accepts the versioned ``libngspice.so.0`` from
  ``libngspice0`` and hands it to PySpice through ``NGSPICE_LIBRARY_PATH``; it searches the
  multiarch library directories and then ``ctypes.util.find_library("ngspice")`` (ldconfig's
  cache). This script searches the same places in the same order.
* **ngspice** (the command-line program, package ``ngspice``): not needed by thermolearn's
  engines (they use the library), but the docs run netlists with it; looked up on ``PATH``.

What is done
------------
Everything found: print what was found and exit 0 (no apt command at all). Something missing
and running as root with ``apt-get``: ``apt-get update`` and ``apt-get install`` of exactly the
missing Debian packages, printed before they run, then detect again. Something missing and not
root: print the exact ``sudo apt-get install`` command and exit 1 (or exit 0 if only the
optional program is missing).

Options: ``--libdir DIR`` (repeatable) searches only DIR instead of the system's directories and
ldconfig cache, ``--dry-run`` prints the commands without running them.
"""

from __future__ import annotations

import argparse
import ctypes.util
import glob
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

#: Directories searched for libngspice when no ``--libdir`` is given (multiarch first).
SYSTEM_LIBDIRS = ("/usr/lib/*-linux-gnu", "/usr/lib", "/usr/local/lib", "/lib/*-linux-gnu")
#: File names PySpice / thermolearn open, in order of preference.
LIB_NAMES = ("libngspice.so", "libngspice.so.0")
#: Debian package of each component.
PACKAGES = {"library": "libngspice0", "program": "ngspice"}


@dataclass
class Detection:
    """What was found: the library PySpice will open and the ``ngspice`` program."""

    library: str | None
    program: str | None
    how: dict[str, str] = field(default_factory=dict)

    def missing(self) -> list[str]:
        """Debian packages providing what was not found (required library first)."""
        out = []
        if self.library is None:
            out.append(PACKAGES["library"])
        if self.program is None:
            out.append(PACKAGES["program"])
        return out


def find_library(
    libdirs: Sequence[str] | None = None,
    env: dict[str, str] | None = None,
    finder: Callable[[str], str | None] | None = ctypes.util.find_library,
) -> tuple[str | None, str]:
    """Return ``(path, how)`` of the libngspice that PySpice will open, or ``(None, why)``.

    ``libdirs`` replaces the system directories (and disables the ldconfig lookup, as
    ``finder=None`` does); glob patterns are expanded.
    """
    env = os.environ if env is None else env
    explicit = env.get("NGSPICE_LIBRARY_PATH")
    if explicit:
        if os.path.isfile(explicit):
            return explicit, "NGSPICE_LIBRARY_PATH"
        return None, f"NGSPICE_LIBRARY_PATH={explicit} does not exist"
    dirs = list(SYSTEM_LIBDIRS if libdirs is None else libdirs)
    for ld in env.get("LD_LIBRARY_PATH", "").split(os.pathsep) if libdirs is None else ():
        if ld:
            dirs.insert(0, ld)
    for name in LIB_NAMES:
        for pattern in dirs:
            for d in sorted(glob.glob(pattern)):
                path = os.path.join(d, name)
                if os.path.isfile(path):
                    return path, f"found {name} in {d}"
    if libdirs is None and finder is not None:
        hit = finder("ngspice")
        if hit:
            return hit, "ctypes.util.find_library('ngspice') (ldconfig cache)"
    where = ", ".join(dirs) + ("" if libdirs is not None else " and the ldconfig cache")
    return None, f"no {' or '.join(LIB_NAMES)} in {where}"


def detect(
    libdirs: Sequence[str] | None = None,
    path: str | None = None,
    env: dict[str, str] | None = None,
    finder: Callable[[str], str | None] | None = ctypes.util.find_library,
) -> Detection:
    """Detect libngspice and the ``ngspice`` program (``path`` replaces ``$PATH``)."""
    lib, how_lib = find_library(libdirs, env, finder)
    prog = shutil.which("ngspice", path=path)
    how_prog = f"on PATH at {prog}" if prog else "not on PATH"
    return Detection(lib, prog, {"library": how_lib, "program": how_prog})


def install_commands(packages: Sequence[str]) -> list[list[str]]:
    """Return the apt-get commands that install ``packages`` (an update, then the install)."""
    return [
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Detect, install what is missing when allowed, and say what was done."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--libdir", action="append", default=None,
                    help="search only this directory for libngspice (repeatable)")
    ap.add_argument("--dry-run", action="store_true", help="print the apt-get commands only")
    args = ap.parse_args(argv)

    det = detect(args.libdir)
    lib_txt = det.library or f"missing ({det.how['library']})"
    prog_txt = det.program or "missing (optional: thermolearn's engines use the library)"
    print(f"ngspice: library {lib_txt}" + (f" [{det.how['library']}]" if det.library else ""))
    print(f"ngspice: program {prog_txt}")
    missing = det.missing()
    if not missing:
        print("ngspice: everything found; nothing installed")
        return 0
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    apt = shutil.which("apt-get")
    if not is_root or apt is None:
        cmd = "sudo apt-get install -y " + " ".join(missing)
        if det.library is None:
            why = "not root" if not is_root else "apt-get not found"
            print(f"ngspice: libngspice is missing and cannot be installed here ({why}). Run:")
            print(f"    {cmd}")
            print("then run make again (or set NGSPICE_LIBRARY_PATH to an existing "
                  "libngspice.so.0).")
            return 1
        print(f"ngspice: proceeding without the optional program; to add it run: {cmd}")
        return 0
    cmds = install_commands(missing)
    print(f"ngspice: installing only the missing package(s) {' '.join(missing)}:")
    for c in cmds:
        print("    " + " ".join(c), flush=True)
        if not args.dry_run:
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            proc = subprocess.run(c, env=env, check=False)
            if proc.returncode != 0:
                print(f"ngspice: '{' '.join(c)}' failed with exit code {proc.returncode}")
                return 1
    if args.dry_run:
        return 0
    again = detect(args.libdir)
    if again.library is None:
        print(f"ngspice: installed {' '.join(missing)} but libngspice is still not found "
              f"({again.how['library']})")
        return 1
    print(f"ngspice: installed {' '.join(missing)}; library {again.library}, "
          f"program {again.program or 'missing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run a user's own netlist text in plain ngspice (``ngspice -b -r``) and read every plot.

This is how the ngspice engine runs an *imported* netlist: the user's text, unchanged except
that a ``.control`` block is commented out and the analysis commands thermolearn executed
from it are added as dot cards (in batch mode ngspice writes a raw file only for dot
analyses). So the two engines are held to each other on the user's text, not on
thermolearn's reading of it, and a cross-check between them tests the importer.

The raw file is read in ngspice's ASCII format (``SPICE_ASCIIRAWFILE=1``).

References
----------
.. [1] H. Vogt et al., *Ngspice User's Manual*, version 39: sections 16.4.1 (batch mode,
   ``-b -r``) and 17.4 (raw file format).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from thermolearn.errors import SpiceError

BATCH_HINT = (
    "the ngspice program is not on PATH; on Debian/Ubuntu run 'sudo apt-get install -y ngspice'"
)


@dataclass
class RawPlot:
    """One analysis of a raw file.

    Attributes
    ----------
    name : str
        ngspice's plot name (``Operating Point``, ``Transient Analysis``, ``AC Analysis``,
        ``DC transfer characteristic``).
    vectors : dict of str to ndarray
        Lower-case vector names as ngspice writes them (``time``, ``v(out)``, ``i(v1)``);
        complex arrays for AC.
    """

    name: str
    vectors: dict[str, NDArray[np.generic]] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """``op``, ``tran``, ``ac``, ``dc`` or ngspice's lower-case plot name."""
        return plot_kind(self.name)


def plot_kind(plotname: str) -> str:
    """``op``, ``tran``, ``ac``, ``dc`` for ngspice's plot name, else the lower-case name."""
    low = plotname.lower()
    for key, kind in (
        ("operating point", "op"),
        ("transient", "tran"),
        ("ac analysis", "ac"),
        ("dc transfer", "dc"),
    ):
        if key in low:
            return kind
    return low


@dataclass
class BatchResult:
    """Every plot of one ``ngspice -b`` run, with its exit status and output."""

    plots: list[RawPlot]
    returncode: int
    stdout: str
    stderr: str
    command: list[str]


def ngspice_program() -> str | None:
    """Path of the ``ngspice`` executable, or None."""
    return shutil.which(os.environ.get("NGSPICE_PROGRAM", "ngspice"))


def comment_out_control(text: str) -> str:
    """``text`` with every ``.control`` ... ``.endc`` line commented out (line numbers kept)."""
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        word = line.strip().split(None, 1)[0].lower() if line.strip() else ""
        if word == ".control":
            inside = True
        out.append("*" + line if inside and line.strip() else line)
        if word == ".endc":
            inside = False
    return "\n".join(out) + "\n"


def add_cards(text: str, cards: list[str]) -> str:
    """Insert ``cards`` before the last ``.end`` line (or append them)."""
    if not cards:
        return text
    lines = text.splitlines()
    end = next(
        (i for i in range(len(lines) - 1, -1, -1) if lines[i].strip().lower() == ".end"),
        len(lines),
    )
    lines[end:end] = cards
    return "\n".join(lines) + "\n"


def parse_raw_ascii(text: str) -> list[RawPlot]:
    """Parse an ngspice ASCII raw file (one or more plots).

    Raises
    ------
    SpiceError
        If the text is not an ASCII raw file.
    """
    plots: list[RawPlot] = []
    lines = text.splitlines()
    i = 0
    try:
        while i < len(lines):
            if not lines[i].startswith("Title:"):
                i += 1
                continue
            hdr: dict[str, str] = {}
            while not lines[i].startswith("Variables:"):
                k, _, v = lines[i].partition(":")
                hdr[k.strip().lower()] = v.strip()
                i += 1
            nvar = int(hdr["no. variables"])
            npts = int(hdr["no. points"])
            cplx = "complex" in hdr.get("flags", "")
            names = [lines[i + 1 + j].split()[1].lower() for j in range(nvar)]
            i += 1 + nvar
            if not lines[i].startswith("Values:"):
                raise ValueError(f"expected 'Values:', got {lines[i]!r}")
            i += 1
            data = np.zeros((npts, nvar), dtype=complex if cplx else float)
            for p in range(npts):
                for j in range(nvar):
                    tok = lines[i].split()[-1]
                    i += 1
                    if cplx:
                        re_, im_ = tok.split(",")
                        data[p, j] = complex(float(re_), float(im_))
                    else:
                        data[p, j] = float(tok)
            vecs = {nm: data[:, j].copy() for j, nm in enumerate(names)}
            if cplx:  # the sweep axis of an AC plot is real
                for nm in ("frequency",):
                    if nm in vecs:
                        vecs[nm] = vecs[nm].real.copy()
            plots.append(RawPlot(hdr.get("plotname", ""), vecs))
    except (IndexError, KeyError, ValueError) as exc:
        raise SpiceError(f"unreadable ngspice raw file near line {i + 1}: {exc}") from None
    return plots


def run_batch(
    text: str,
    *,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 300.0,
    compat: str | None = None,
) -> BatchResult:
    """Run netlist ``text`` with ``ngspice -b -r`` in directory ``cwd``; return every plot.

    ``cwd`` is where relative ``.include``/``.lib`` paths resolve (the netlist's folder).
    ``compat`` sets ngspice's compatibility mode (``set ngbehavior=...`` in a ``.spiceinit``
    that ngspice reads at start): ``"lt"`` for LTspice, ``"ps"`` for PSpice, ``"ltpsa"`` ...

    Raises
    ------
    SpiceError
        If the ngspice program is missing or does not finish within ``timeout`` seconds.
    """
    exe = ngspice_program()
    if exe is None:
        raise SpiceError(BATCH_HINT)
    with tempfile.TemporaryDirectory(prefix="thermolearn-ngspice-") as tmp:
        deck = Path(tmp) / "deck.cir"
        deck.write_text(text, encoding="utf-8")
        raw = Path(tmp) / "out.raw"
        cmd = [exe, "-b", "-r", str(raw), str(deck)]
        env = dict(os.environ, SPICE_ASCIIRAWFILE="1")
        if compat is not None:
            if not compat.isalnum():
                raise SpiceError(f"compat must be an ngbehavior word such as 'lt'; got {compat!r}")
            (Path(tmp) / ".spiceinit").write_text(f"set ngbehavior={compat}\n", encoding="utf-8")
            env["HOME"] = tmp  # ngspice reads $HOME/.spiceinit
        try:
            proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
                cmd,
                cwd=os.fspath(cwd) if cwd is not None else tmp,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SpiceError(
                f"ngspice did not finish within {timeout:g} s; raise 'timeout' or shorten the "
                "analysis."
            ) from None
        plots = (
            parse_raw_ascii(raw.read_text(encoding="utf-8", errors="replace"))
            if raw.exists()
            else []
        )
    return BatchResult(plots, proc.returncode, proc.stdout, proc.stderr, cmd)


__all__ = [
    "BATCH_HINT",
    "BatchResult",
    "RawPlot",
    "add_cards",
    "comment_out_control",
    "ngspice_program",
    "parse_raw_ascii",
    "plot_kind",
    "run_batch",
]

"""Load the SPICE twins shipped in ``thermolearn/spice_models/*.lib`` (package data).

Each ``.lib`` file holds one or more ``.subckt NAME p n params: a=1 b=2 ...`` blocks written
for ngspice 39 (B sources, ``u()`` for steps, ternaries, a 1 F state capacitor). A model's
``spice_library()`` renders its block with the instance's parameter values and a name that is
unique per parameter set, so that several parameter sets can share one netlist.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources

from thermolearn.errors import NetlistError

_PACKAGE = "thermolearn.spice_models"


def library_files() -> list[str]:
    """Names of the ``.lib`` files shipped with thermolearn."""
    root = resources.files(_PACKAGE)
    return sorted(p.name for p in root.iterdir() if p.name.endswith(".lib"))


def library_text(filename: str) -> str:
    """Return the full text of one shipped ``.lib`` file (e.g. ``"vteam.lib"``)."""
    path = resources.files(_PACKAGE).joinpath(filename)
    if not path.is_file():
        raise NetlistError(
            f"no SPICE library {filename!r} in thermolearn/spice_models; "
            f"have: {', '.join(library_files())}"
        )
    return path.read_text(encoding="utf-8")


def subckt_block(filename: str, subckt: str) -> tuple[str, dict[str, str], list[str]]:
    """Return (header line, default params, body lines) of ``subckt`` in ``filename``."""
    lines = library_text(filename).splitlines()
    start = None
    for k, line in enumerate(lines):
        toks = line.split()
        if len(toks) >= 2 and toks[0].lower() == ".subckt" and toks[1].lower() == subckt.lower():
            start = k
            break
    if start is None:
        raise NetlistError(f"subcircuit {subckt!r} not found", source=filename)
    body: list[str] = []
    for line in lines[start + 1 :]:
        if line.split()[:1] and line.split()[0].lower() == ".ends":
            break
        body.append(line)
    else:
        raise NetlistError(f"subcircuit {subckt!r} has no .ends", source=filename, line=start + 1)
    header = lines[start]
    _, _, ptext = header.partition("params:")
    defaults = dict(re.findall(r"(\w+)\s*=\s*(\S+)", ptext))
    return header, defaults, body


def render_subckt(filename: str, subckt: str, new_name: str, params: Mapping[str, float]) -> str:
    """Render ``subckt`` from ``filename`` as ``new_name`` with ``params`` as its defaults.

    ``params`` must name exactly the template's parameters (``x0`` may be omitted: it keeps
    its template default and is set per instance).
    """
    header, defaults, body = subckt_block(filename, subckt)
    given = dict(params)
    missing = set(defaults) - set(given) - {"x0"}
    extra = set(given) - set(defaults)
    if missing or extra:
        raise NetlistError(
            f"parameters of {subckt!r} do not match its template "
            f"(missing {sorted(missing)}, unknown {sorted(extra)})",
            source=filename,
        )
    values = {k: (repr(float(given[k])) if k in given else v) for k, v in defaults.items()}
    ports = header.split("params:")[0].split()[2:]
    head = f".subckt {new_name} {' '.join(ports)} params: " + " ".join(
        f"{k}={v}" for k, v in values.items()
    )
    comment = f"* {subckt} from thermolearn/spice_models/{filename}"
    return "\n".join([comment, head, *body, f".ends {new_name}"]) + "\n"


__all__ = ["library_files", "library_text", "subckt_block", "render_subckt"]

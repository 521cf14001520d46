"""What each ``.options`` name means to ngspice 39, and what thermolearn does with it.

ngspice's rule (checked by running ``ngspice -b`` 39.3 on a one-resistor deck): a name in its
simulator option table is set; ``itl3``, ``itl5`` and ``lvltim`` print ``Warning: option X is
currently unsupported.``, ``limpts``, ``limtim`` and ``lvlcod`` print ``Warning: option X is
obsolete.``; any other name (``.options bogus=3``, ``post``) is kept as a front-end variable
*without any message* and the run continues. No ``.options`` name stops ngspice.

thermolearn keeps the run going in every case too, and never drops a name silently. Each name
falls into one class (:func:`classify_option`):

``interpreted``
    ``temp`` and ``tnom``: read by the parser for both engines.
``solver``
    ngspice's numerical controls (tolerances, iteration limits, integration method, matrix
    package ...). The ngspice engine runs the user's text, so they apply there; the Python
    engine keeps its own tolerances. Noted.
``output``
    listing, accounting and output controls (``acct``, ``list``, ``interp`` ...). They change
    what ngspice prints or stores, not the circuit. Noted.
``circuit``
    options that change the circuit or its stimulus and that the Python engine does not model:
    shunt elements on every node (``rshunt``, ``gshunt``, ``cshunt``), ``ramptime`` (sources
    ramped from 0), ``scale`` (device geometry) and a ``gmin`` other than the 1e-12 S the Python
    engine's diodes use. Noted, and the Python engine refuses to run the netlist (its answer
    would be another circuit's); the ngspice engine runs it.
``device``
    MOSFET defaults and model switches (``defl``, ``badmos3`` ...); thermolearn has no MOSFET
    (an M card is refused), so they cannot act. Noted.
``unsupported`` / ``obsolete``
    ngspice's own warning, repeated word for word as a note.
``unknown``
    not an ngspice option: noted as a warning that ngspice ignores it without a message.

References
----------
.. [1] H. Vogt et al., *Ngspice User's Manual*, version 39, section 11.1 "Simulator Variables
   (.options)" (general, DC, AC, transient, device and matrix options).
.. [2] ngspice-39 source, ``src/spicelib/analysis/cktsopt.c`` (the simulator option table
   ``OPTtbl``) and ``src/frontend/spiceif.c`` (the unsupported/obsolete messages).
"""

from __future__ import annotations

#: ngspice's numerical controls (OPTtbl entries and the matrix/solver front-end switches)
SOLVER_OPTIONS = frozenset(
    {
        "reltol", "abstol", "vntol", "chgtol", "trtol", "pivtol", "pivrel", "xmu",
        "itl1", "itl2", "itl4", "itl6", "srcsteps", "gminsteps", "gminfactor",
        "noopiter", "method", "maxord", "bypass", "minbreak", "nodedamping", "absdv",
        "reldv", "copynodesets", "noopac", "keepopinfo", "epsmin", "indverbosity",
        "convlimit", "convstep", "convabsstep", "autopartial", "maxopalter", "maxevtiter",
        "noopalter", "klu", "sparse", "nostepsizelimit", "seed",
    }
)  # fmt: skip
#: listing, accounting and output controls
OUTPUT_OPTIONS = frozenset(
    {
        "acct", "noacct", "noinit", "list", "nomod", "nopage", "node", "opts", "numdgt",
        "cptime", "norefvalue", "savecurrents", "seedinfo", "warn", "maxwarns",
        "interp", "autostop",
    }
)  # fmt: skip
#: options that change the circuit or its stimulus (the Python engine does not model them)
CIRCUIT_OPTIONS = frozenset({"rshunt", "gshunt", "cshunt", "ramptime", "scale", "gmin"})
#: MOSFET defaults and MOS model switches
DEVICE_OPTIONS = frozenset(
    {"defm", "defl", "defw", "defad", "defas", "badmos3", "oldlimit", "trytocompact"}
)
#: ngspice 39 prints "Warning: option X is currently unsupported."
UNSUPPORTED_OPTIONS = frozenset({"itl3", "itl5", "lvltim"})
#: ngspice 39 prints "Warning: option X is obsolete."
OBSOLETE_OPTIONS = frozenset({"limpts", "limtim", "lvlcod"})
#: interpreted by the parser for both engines
INTERPRETED_OPTIONS = frozenset({"temp", "tnom"})
#: integration methods ngspice accepts for ``method=``
METHODS = ("trap", "trapezoidal", "gear")
#: the GMIN of the Python engine's diodes (ngspice's default), S
DEFAULT_GMIN = 1e-12


def classify_option(name: str) -> str:
    """Return the class of an ``.options`` name (module docstring), ``"unknown"`` if none."""
    key = name.lower()
    for cls, names in (
        ("interpreted", INTERPRETED_OPTIONS),
        ("solver", SOLVER_OPTIONS),
        ("output", OUTPUT_OPTIONS),
        ("circuit", CIRCUIT_OPTIONS),
        ("device", DEVICE_OPTIONS),
        ("unsupported", UNSUPPORTED_OPTIONS),
        ("obsolete", OBSOLETE_OPTIONS),
    ):
        if key in names:
            return cls
    return "unknown"


def option_note(name: str, value: str | None, gmin: float | None = None) -> tuple[str, bool]:
    """Return ``(note, changes_circuit)`` for one ``.options`` entry.

    ``value`` is the text after ``=`` (None for a flag); ``gmin`` is its parsed value when
    ``name`` is ``gmin``. ``changes_circuit`` is True when the Python engine cannot run the
    netlist faithfully (a ``circuit`` option; ``gmin`` only if it differs from 1e-12 S).
    """
    key = name.lower()
    shown = key if value is None else f"{key}={value}"
    cls = classify_option(key)
    if cls == "solver":
        if key == "method" and value is not None and value.lower() not in METHODS:
            return (
                f".options {shown}: ngspice reports 'unsupported integration method' and keeps "
                "its default (trap)",
                False,
            )
        return (
            f".options {shown}: an ngspice solver control; the ngspice engine applies it, the "
            "Python engine does not model it (its own tolerances and method apply)",
            False,
        )
    if cls == "output":
        return (f".options {shown}: an ngspice output/listing control; results unchanged", False)
    if cls == "device":
        return (
            f".options {shown}: an ngspice MOSFET option; thermolearn has no MOSFET, so it "
            "cannot act",
            False,
        )
    if cls == "unsupported":
        return (f"Warning: option {key} is currently unsupported. (as ngspice 39)", False)
    if cls == "obsolete":
        return (f"Warning: option {key} is obsolete. (as ngspice 39)", False)
    if cls == "circuit":
        if key == "gmin" and gmin is not None and gmin == DEFAULT_GMIN:
            return (
                f".options {shown}: ngspice's default GMIN, which the Python engine's diodes use",
                False,
            )
        return (
            f".options {shown} changes the circuit in ngspice and is not modelled by the Python "
            "engine; run this netlist with the ngspice engine, or remove the option",
            True,
        )
    return (
        f"warning: .options {shown} is not an ngspice option; ngspice keeps it as a front-end "
        "variable without a message and it changes nothing, and so does thermolearn",
        False,
    )


__all__ = [
    "CIRCUIT_OPTIONS",
    "DEVICE_OPTIONS",
    "OBSOLETE_OPTIONS",
    "OUTPUT_OPTIONS",
    "SOLVER_OPTIONS",
    "UNSUPPORTED_OPTIONS",
    "classify_option",
    "option_note",
]

"""The analysis commands of a ``.control`` block, as ngspice's batch mode would run them.

thermolearn does not interpret ngspice's control language (nutmeg). It executes what decides
the results: the analysis commands ``op``, ``tran``, ``ac`` and ``dc`` (and ``run``, which runs
the deck's dot analyses), after substituting ``$&name`` / ``$name`` from ``let``/``set``
assignments of constants and ``.csparam`` values. Everything else is reported as ignored, one
note per command and line:

* output and post-processing (``echo``, ``print``, ``plot``, ``let`` of vectors, ``meas``,
  ``write``, ``quit`` ...) cannot change an analysis and are ignored with a note;
* an analysis command inside ``if``/``while``/``repeat``/``dowhile``/``foreach`` is not run
  (the branch taken depends on vectors thermolearn does not keep), with a note;
* commands that change the circuit (``alter``, ``altermod``, ``alterparam``, ``reset``,
  ``source``, ``set temp``...) stop the execution: the analyses after them would run on a
  different circuit, so they are listed as not run, with the line of the command.

References
----------
.. [1] H. Vogt et al., *Ngspice User's Manual*, version 39, chapter 17 (interactive
   interpreter): 17.5 (commands), 17.6 (control structures).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

#: commands that change the circuit or its options: executing past them is not honest
CIRCUIT_CHANGING = frozenset(
    {
        "alter",
        "altermod",
        "alterparam",
        "reset",
        "source",
        "circbyline",
        "mc_source",
        "remcirc",
        "option",
        "options",
        "setseed",
    }
)
_BLOCK_OPEN = frozenset({"if", "while", "repeat", "dowhile", "foreach"})
_ANALYSES = frozenset({"op", "tran", "ac", "dc", "run"})


@dataclass
class ControlLine:
    """One line of a ``.control`` block: text and its number in the source file."""

    text: str
    line: int
    source: str


@dataclass
class ControlPlan:
    """What a ``.control`` block runs.

    Attributes
    ----------
    commands : list of (list of str, ControlLine)
        Analysis commands, after variable substitution, tokenised, in order.
    notes : list of str
        ``source:line: ...`` for every command that was ignored or not run.
    """

    commands: list[tuple[list[str], ControlLine]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class ControlError(ValueError):
    """A control command that cannot be honoured (raised with the line by the caller)."""


def plan_control(
    lines: list[ControlLine],
    evaluate: Callable[[str, dict[str, float]], float],
    variables: dict[str, float] | None = None,
) -> ControlPlan:
    """Work out which analyses a ``.control`` block runs in batch mode.

    Parameters
    ----------
    lines : list of ControlLine
        The block's lines between ``.control`` and ``.endc``.
    evaluate : callable
        ``evaluate(expression, variables) -> float``: the netlist's expression evaluator
        (SPICE numbers with scale factors, functions, variables).
    variables : dict of str to float
        Initial variables (``.csparam`` values), lower-case names.
    """
    env: dict[str, float] = dict(variables or {})
    plan = ControlPlan()
    depth = 0
    stopped: ControlLine | None = None
    stop_word = ""

    def note(ln: ControlLine, msg: str) -> None:
        plan.notes.append(f"{ln.source}:{ln.line}: {msg}")

    for ln in lines:
        text = ln.text.strip()
        if not text or text.startswith(("*", "#")):
            continue
        word = text.split(None, 1)[0].lower()
        rest = text[len(word) :].strip()
        if word in _BLOCK_OPEN:
            depth += 1
            continue
        if word == "end":
            depth = max(0, depth - 1)
            continue
        if word in ("else", "elseif", "break", "continue", "label", "goto"):
            continue
        if depth > 0:
            if word in _ANALYSES:
                note(ln, f"'{word}' inside a control-flow block is not run by thermolearn")
            continue
        if stopped is not None:
            if word in _ANALYSES:
                note(
                    ln,
                    f"'{word}' not run: '{stop_word}' at line {stopped.line} changes the circuit "
                    "and thermolearn does not execute it",
                )
            continue
        if word in ("let", "set"):
            m = re.fullmatch(r"([A-Za-z_][\w.]*)\s*=\s*(.+)", rest, re.S)
            if not m:
                continue  # 'set' of a flag, or a vector let thermolearn does not keep
            name, expr = m.group(1).lower(), m.group(2).strip().strip('"')
            if word == "set" and name == "temp":
                stopped, stop_word = ln, "set temp"
                continue
            try:
                env[name] = evaluate(_substitute(expr, env), env)
            except (ValueError, KeyError):
                env.pop(name, None)  # a vector expression: not a constant
            continue
        if word in CIRCUIT_CHANGING:
            stopped, stop_word = ln, word
            continue
        if word in _ANALYSES:
            try:
                toks = _substitute(rest, env).split()
            except KeyError as exc:
                raise ControlError(
                    f"'{word}' uses variable {exc.args[0]!r}, which is not a constant "
                    "thermolearn can evaluate (only let/set of constants and .csparam)"
                ) from None
            plan.commands.append(([word, *toks], ln))
            continue
        note(ln, f"control command '{word}' ignored (it cannot change an analysis)")
    return plan


def _substitute(text: str, env: dict[str, float]) -> str:
    """Replace ``$&name``, ``$name`` and ``{$name}`` by the values in ``env``."""

    def rep(m: re.Match[str]) -> str:
        name = m.group(1).lower()
        if name not in env:
            raise KeyError(name)
        return repr(float(env[name]))

    text = re.sub(r"\{\$&?([A-Za-z_]\w*)\}", rep, text)
    return re.sub(r"\$&?([A-Za-z_]\w*)", rep, text)


__all__ = ["CIRCUIT_CHANGING", "ControlError", "ControlLine", "ControlPlan", "plan_control"]

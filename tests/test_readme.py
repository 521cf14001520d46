"""The README is the contract: every command in its code blocks is run (issue 17, item 2).

``thermolearn ...`` lines run as written, in order, in a scratch working directory, with only
size-reducing flags appended (the table below; a reduction may not touch a flag the README
sets, so the README's own flags are exercised as written), and each must leave the file it
promises. ``make X`` lines run as ``make -n X`` (the recipe, without installing anything), and
the ``thermolearn`` command in the demo recipe is run as well. Inline ``thermolearn ...`` with
options in the prose must be one of the block commands, so none escapes the test.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from thermolearn.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

#: subcommand -> (flags appended to make the run cheap, file the run must write, relative to cwd
#: with {out} = the command's --out or its default directory)
REDUCE: dict[str, tuple[list[str], str]] = {
    "demo": (["--epochs", "1"], "{out}/summary.json"),
    "train": (["--epochs", "1", "--n-train", "200"], "{out}/metrics.json"),
    "scaling": (["--quick", "--no-progress"], "{out}/scaling.json"),
    "crossbar design": (["--vectors", "1"], "{out}/error_vs_size.png"),
    "erase": (["--n", "100", "--taus", "4", "8"], "{out}/erasure.png"),
    "demon": (["--n", "100", "--eps", "0.2", "--n-jarzynski", "500"], "{out}/demon.png"),
    "optimizer": (["--factors", "0", "3", "--updates", "2"], "{out}/speed_energy.png"),
    "reversible": (["--quick"], "{out}/metrics.json"),
    "agent": (["--episodes", "12", "--eval-trials", "4", "--quiet"], "{out}/metrics.json"),
    "devices iv": (["--periods", "1", "--points-per-period", "100"], "{out}/iv.png"),
    "predictions": (["--tiny"], "{out}/report.html"),
}
MAKE_RECIPES = {"demo": "thermolearn demo", "test": "pytest", "docs": "mkdocs build --strict",
                "lint": "ruff check", "test-all": "pytest"}


def block_commands(text: str) -> list[list[str]]:
    """Every command line of the README's ```bash blocks, comments removed."""
    cmds = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            argv = shlex.split(line, comments=True)
            if argv:
                cmds.append(argv)
    return cmds


def _sub(argv: list[str]) -> str:
    return " ".join(argv[1:3]) if argv[1] in ("crossbar", "devices", "netlist", "spice") \
        else argv[1]


def _out_dir(argv: list[str], sub: str) -> str:
    from thermolearn.cli import build_parser

    ns = build_parser().parse_args(argv[1:])
    if getattr(ns, "out", None):
        return str(ns.out)
    if sub == "agent":
        return f"runs/agent-{ns.env}"
    if sub == "devices iv":
        return f"runs/devices-iv/{ns.model}"
    raise AssertionError(f"no default directory known for {sub!r}")


def test_readme_lists_commands_and_each_has_a_cheap_equivalent():
    cmds = block_commands(README.read_text(encoding="utf-8"))
    tl = [c for c in cmds if c[0] == "thermolearn"]
    assert len(tl) >= 10 and {c[0] for c in cmds} <= {"make", "thermolearn"}
    for argv in tl:
        sub = _sub(argv)
        assert sub in REDUCE, f"README command {' '.join(argv)!r} has no cheap equivalent here"
        extra = REDUCE[sub][0]
        clash = {a for a in extra if a.startswith("--")} & set(argv)
        assert not clash, f"the reduction would override the README's own {clash}"


def test_inline_commands_in_the_prose_are_run_too():
    text = README.read_text(encoding="utf-8")
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    blocks = [" ".join(c) for c in block_commands(text)]
    from thermolearn.cli import build_parser

    parser = build_parser()
    for inline in re.findall(r"`(thermolearn [^`]+)`", prose):
        argv = shlex.split(inline)
        if any(a.startswith("-") for a in argv):
            assert any(b.startswith(inline) for b in blocks), \
                f"{inline!r} appears in the prose but in no command block, so no test runs it"
        else:  # a bare command name must exist
            parser.parse_known_args(argv[1:2] + (["iv", "x"] if argv[1:2] == ["devices"]
                                                   else []))


@pytest.mark.parametrize("target", sorted(MAKE_RECIPES))
def test_make_targets_resolve(target):
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    text = README.read_text(encoding="utf-8")
    if ["make", target] not in block_commands(text) and f"make {target}" not in text:
        pytest.skip(f"the README does not mention make {target}")
    proc = subprocess.run([make, "-n", target], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert MAKE_RECIPES[target] in proc.stdout


def test_every_readme_command_runs(tmp_path, monkeypatch, capsys):
    """The block commands, in README order, in one scratch directory (demo before its resume)."""
    monkeypatch.chdir(tmp_path)
    make_demo = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True,
                               timeout=60, check=False).stdout if shutil.which("make") else ""
    recipe = [shlex.split(ln) for ln in make_demo.splitlines() if "thermolearn demo" in ln]
    ran = []
    for argv in block_commands(README.read_text(encoding="utf-8")):
        if argv[:2] == ["make", "demo"] and recipe:
            argv = ["thermolearn", *recipe[0][1:]]  # .venv/bin/thermolearn demo ...
        if argv[0] != "thermolearn":
            continue
        sub = _sub(argv)
        extra, expected = REDUCE[sub]
        code = main([*argv[1:], *extra])
        out = capsys.readouterr()
        assert code == 0, f"{' '.join(argv)} exited {code}:\n{out.err[-2000:]}"
        path = tmp_path / expected.format(out=_out_dir(argv, sub))
        assert path.is_file(), f"{' '.join(argv)} did not write {path}"
        ran.append(" ".join(argv))
    assert len(ran) >= 10
    # the open-loop command trains the soft-bounds device with open-loop pulses (issue 17, 2)
    meta = json.loads((tmp_path / "runs/open-loop/metrics.json").read_text())
    cfg = meta.get("config", meta)
    assert cfg.get("device") == "softbounds" and cfg.get("pulse_policy") == "open-loop", cfg

"""Every ``--help`` page is plain text and documents every option (issue 17, item 8).

Checks the whole parser tree, so a new option without help text, or a description copied from a
docstring with reStructuredText markup in it, fails here.
"""

from __future__ import annotations

import argparse
import re

from thermolearn.cli import build_parser

RST = re.compile(r"``|:(?:func|class|mod|meth|data|attr):`|::\s*$", re.M)


def _tree(parser: argparse.ArgumentParser, prog: str = "thermolearn"):
    yield prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _tree(sub, f"{prog} {name}")


def test_help_pages_have_no_restructuredtext():
    bad = [prog for prog, p in _tree(build_parser()) if RST.search(p.format_help())]
    assert not bad, f"raw reStructuredText in --help of: {bad}"


def test_every_option_has_help_text():
    missing = [(prog, a.option_strings or a.dest)
               for prog, p in _tree(build_parser()) for a in p._actions
               if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)
               and not a.help]
    assert not missing, f"options without help: {missing}"


def test_stated_defaults_match_the_code():
    # the help text of predictions --scaling once said "quick" while the run used "laptop"
    from thermolearn.experiments.predictions import PredictionsConfig

    parsers = dict(_tree(build_parser()))
    text = " ".join(parsers["thermolearn predictions"].format_help().split())
    assert f"(default: {PredictionsConfig().scaling};" in text
    assert f"with --tiny: {PredictionsConfig.tiny().scaling};" in text
    assert f"with --full: {PredictionsConfig.full().scaling})" in text
    # each --out default names its own command's directory (agent: one per environment)
    outs = {}
    for prog, p in parsers.items():
        for a in p._actions:
            if "--out" in a.option_strings and isinstance(a.default, str):
                outs[prog] = a.default
    assert len(set(outs.values())) == len(outs), outs
    help_agent = " ".join(parsers["thermolearn agent"].format_help().split())
    assert "runs/agent-ENV, one per environment" in help_agent


def test_the_two_agent_environments_write_separate_directories(tmp_path, monkeypatch):
    from thermolearn.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["agent", "--env", "t-maze", "--episodes", "4", "--eval-trials", "2",
                 "--quiet"]) == 0
    assert (tmp_path / "runs" / "agent-t-maze" / "metrics.json").is_file()
    assert not (tmp_path / "runs" / "agent-point-mass").exists()


def test_devices_iv_writes_its_outputs_by_default(tmp_path, monkeypatch, capsys):
    # `devices iv` once wrote nothing unless --json/--plot were given (issue 17, item 8)
    import json

    from thermolearn.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["devices", "iv", "hp_none", "--engine", "python", "--periods", "1",
                 "--points-per-period", "100"]) == 0
    base = tmp_path / "runs" / "devices-iv" / "hp_none"
    assert json.loads((base / "iv.json").read_text())["model"] == "hp_none"
    assert (base / "iv.png").stat().st_size > 10_000
    assert "wrote runs/devices-iv/hp_none/iv.json and runs/devices-iv/hp_none/iv.png" in \
        capsys.readouterr().out

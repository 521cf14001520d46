"""Every user mistake exits 2 with one line naming the option and the remedy (issue 17, item 4).

Each case is a real command line; the check is the exit status, that stderr is exactly one line
(no traceback, no usage block) and that the line names the option and says what to do.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from thermolearn.cli import main


def _one_line_error(capsys, argv: list[str]) -> str:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, (argv, code, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"{argv}: expected one line, got:\n{err}"
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    f = tmp_path / "notes.txt"
    f.write_text("not a directory\n")
    return f


@pytest.mark.parametrize("cmd", [
    ["train", "--task", "xor"], ["demo"], ["crossbar", "design"], ["erase"], ["demon"],
    ["optimizer"], ["reversible"], ["scaling"], ["predictions"], ["agent"],
    ["devices", "demo"],
])
def test_out_pointing_at_a_file(capsys, a_file, cmd):
    line = _one_line_error(capsys, [*cmd, "--out", str(a_file)])
    assert "argument --out" in line and "is a file, not a directory" in line
    assert "give a directory path" in line


def test_out_under_a_file(capsys, a_file):
    line = _one_line_error(capsys, ["erase", "--out", str(a_file / "run")])
    assert "argument --out" in line and "which is a file" in line


@pytest.mark.parametrize("opt,cmd", [
    ("-o", ["netlist", "export", "crossbar", "--rows", "2", "--cols", "2"]),
    ("--json", ["optimizer"]),
    ("--json", ["devices", "iv", "hp_none"]),
    ("--plot", ["devices", "iv", "hp_none"]),
])
def test_output_file_into_a_missing_directory(capsys, tmp_path, opt, cmd):
    target = tmp_path / "no" / "such" / "dir" / "out.file"
    line = _one_line_error(capsys, [*cmd, opt, str(target)])
    assert f"argument {'-o/--output' if opt == '-o' else opt}" in line
    assert "does not exist; create it first (mkdir -p" in line


def test_spice_json_into_a_missing_directory_and_missing_netlist(capsys, tmp_path):
    net = tmp_path / "a.cir"
    net.write_text("* t\nV1 1 0 1\nR1 1 0 1k\n.end\n")
    line = _one_line_error(capsys, ["spice", "run", str(net), "--json",
                                    str(tmp_path / "missing" / "r.json")])
    assert "argument --json" in line and "does not exist" in line
    line = _one_line_error(capsys, ["spice", "run", str(tmp_path / "nope.cir")])
    assert "argument file" in line and "no such file" in line


@pytest.mark.parametrize("cmd", [["scaling", "--quick"], ["predictions", "--tiny"]])
def test_unreachable_scheduler_fails_fast(capsys, tmp_path, cmd):
    # port 1 on localhost refuses at once; the check never waits for Dask's 30 s timeout
    line = _one_line_error(capsys, [*cmd, "--out", str(tmp_path / "o"),
                                    "--scheduler", "tcp://127.0.0.1:1"])
    assert "argument --scheduler" in line and "no Dask scheduler answers at 127.0.0.1:1" in line
    assert "omit --scheduler" in line
    line = _one_line_error(capsys, [*cmd, "--scheduler", "http://x:1"])
    assert "not a scheduler address; use tcp://HOST:PORT" in line
    assert not (tmp_path / "o").exists()  # refused before any work


def test_flag_without_effect_is_an_error(capsys, tmp_path):
    # the README's old open-loop command silently trained the ideal device (issue 17, item 2)
    line = _one_line_error(capsys, ["train", "--task", "xor", "--pulse-policy", "open-loop",
                                    "--out", str(tmp_path / "r")])
    assert "--pulse-policy open-loop acts only on --device softbounds" in line
    assert "add --device softbounds" in line
    line = _one_line_error(capsys, ["train", "--task", "xor", "--algorithm", "backprop",
                                    "--device", "softbounds", "--out", str(tmp_path / "b")])
    assert "--device act only on --algorithm ep" in line


def test_parameter_errors_and_unknown_options_are_one_line(capsys, tmp_path):
    line = _one_line_error(capsys, ["optimizer", "--out", str(tmp_path), "--factors", "-1"])
    assert line.startswith("thermolearn optimizer: error: --factors must be >= 0")
    line = _one_line_error(capsys, ["erase", "--bogus"])
    assert "unrecognized arguments: --bogus" in line and "see 'thermolearn --help'" in line
    line = _one_line_error(capsys, ["netlist", "export", "crossbar", "--cols", "2", "-o", "x"])
    assert "required: --rows" in line


def test_console_script_prints_no_traceback(a_file):
    # end to end through the interpreter, as a user runs it
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run([sys.executable, "-m", "thermolearn.cli", "demo", "--out",
                           str(a_file)], capture_output=True, text=True, timeout=120, env=env,
                          check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr

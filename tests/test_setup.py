"""Set-up: ngspice detection of ``make ngspice`` (tools/ngspice_setup.py), ``make lint``, packaging.

Reference: PySpice 1.5 opens ``$NGSPICE_LIBRARY_PATH`` or ``libngspice.so``; thermolearn's runner
also accepts Debian 12's ``libngspice.so.0`` (package libngspice0, no -dev). The detection runs
against fake library directories and a fake ``PATH``, so no test depends on what is installed,
except the last one (marked ngspice), which checks this machine.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "ngspice_setup.py"


def _load():
    spec = importlib.util.spec_from_file_location("tl_ngspice_setup", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def _fake_tree(tmp_path: Path, lib_names: tuple[str, ...], program: bool) -> tuple[Path, Path]:
    lib = tmp_path / "lib" / "x86_64-linux-gnu"
    lib.mkdir(parents=True)
    for name in lib_names:
        (lib / name).write_bytes(b"\x7fELF fake")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if program:
        exe = bin_dir / "ngspice"
        exe.write_text("#!/bin/sh\necho ngspice-39\n")
        exe.chmod(0o755)
    return lib, bin_dir


def _run(tmp_path: Path, lib: Path, bin_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NGSPICE_LIBRARY_PATH"}
    env["PATH"] = str(bin_dir)  # no apt-get, no sudo: the fake PATH only
    return subprocess.run([sys.executable, str(SCRIPT), "--libdir", str(lib.parent / "*"),
                           *extra], env=env, capture_output=True, text=True, timeout=60,
                          check=False)


def test_debian12_versioned_library_alone_is_found(tmp_path):
    # libngspice0 without -dev ships only libngspice.so.0: that is enough (issue 17, item 1)
    lib, bin_dir = _fake_tree(tmp_path, ("libngspice.so.0",), program=True)
    proc = _run(tmp_path, lib, bin_dir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"library {lib / 'libngspice.so.0'}" in proc.stdout
    assert "nothing installed" in proc.stdout
    assert "apt-get" not in proc.stdout


def test_unversioned_library_preferred_as_pyspice_opens_it(tmp_path):
    mod = _load()
    lib, _ = _fake_tree(tmp_path, ("libngspice.so.0", "libngspice.so"), program=False)
    path, how = mod.find_library([str(lib)], env={})
    assert path == str(lib / "libngspice.so") and "libngspice.so in" in how


def test_environment_variable_wins_and_a_wrong_one_is_reported(tmp_path):
    mod = _load()
    lib, _ = _fake_tree(tmp_path, ("libngspice.so.0",), program=False)
    other = tmp_path / "custom.so"
    other.write_bytes(b"x")
    assert mod.find_library([str(lib)], env={"NGSPICE_LIBRARY_PATH": str(other)})[0] == str(other)
    path, why = mod.find_library([str(lib)], env={"NGSPICE_LIBRARY_PATH": "/nope.so"})
    assert path is None and "/nope.so does not exist" in why


def test_missing_library_without_apt_prints_the_exact_command(tmp_path):
    lib, bin_dir = _fake_tree(tmp_path, (), program=True)
    proc = _run(tmp_path, lib, bin_dir)
    assert proc.returncode == 1
    # only the missing package, not the program that is present
    assert "    sudo apt-get install -y libngspice0\n" in proc.stdout
    assert "ngspice: program " + str(bin_dir / "ngspice") in proc.stdout


def test_only_the_program_missing_proceeds(tmp_path):
    lib, bin_dir = _fake_tree(tmp_path, ("libngspice.so.0",), program=False)
    proc = _run(tmp_path, lib, bin_dir)
    assert proc.returncode == 0, proc.stdout
    assert "sudo apt-get install -y ngspice" in proc.stdout


def test_non_root_with_ngspice_installed_proceeds(tmp_path, monkeypatch, capsys):
    mod = _load()
    lib, bin_dir = _fake_tree(tmp_path, ("libngspice.so.0",), program=True)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("NGSPICE_LIBRARY_PATH", raising=False)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(mod.subprocess, "run", lambda *a, **k: pytest.fail("ran a command"))
    assert mod.main(["--libdir", str(lib)]) == 0
    assert "nothing installed" in capsys.readouterr().out


def test_root_installs_only_what_is_missing(tmp_path, monkeypatch, capsys):
    mod = _load()
    lib, bin_dir = _fake_tree(tmp_path, (), program=True)
    apt = bin_dir / "apt-get"
    apt.write_text("#!/bin/sh\nexit 0\n")
    apt.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("NGSPICE_LIBRARY_PATH", raising=False)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    ran: list[list[str]] = []

    def fake_run(cmd, **kw):
        ran.append(cmd)
        if cmd[1] == "install":  # the install makes the library appear
            (lib / "libngspice.so.0").write_bytes(b"x")
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(mod.subprocess, "run", fake_run)
    assert mod.main(["--libdir", str(lib)]) == 0
    out = capsys.readouterr().out
    assert ran == [["apt-get", "update", "-qq"],
                   ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "libngspice0"]]
    assert "installing only the missing package(s) libngspice0" in out
    assert f"installed libngspice0; library {lib / 'libngspice.so.0'}" in out


def test_makefile_uses_the_detection_script():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "tools/ngspice_setup.py" in make
    assert "ls /usr/lib" not in make  # the old test that failed on Debian 12


def test_lint_tool_is_installed_by_the_makefile():
    # `make lint` runs ruff, so the extra that the Makefile installs must contain it
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = meta["project"]["optional-dependencies"]
    installed = make.split('pip install --quiet -e ".[')[1].split("]")[0].split(",")
    assert any(dep.startswith("ruff") for x in installed for dep in extras[x])
    assert "ruff check" in make


def test_licence_is_an_spdx_expression():
    # a table ({text = ...}) makes setuptools >= 77 print a deprecation warning per build
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["license"] == "MIT"
    assert any(r.replace(" ", "").startswith("setuptools>=77")
               for r in meta["build-system"]["requires"])


@pytest.mark.ngspice
def test_this_machine_needs_no_apt_command():
    # where thermolearn can run ngspice, `make ngspice` must find it and install nothing
    proc = subprocess.run([sys.executable, str(SCRIPT), "--dry-run"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ngspice: library /" in proc.stdout
    assert "apt-get install" not in proc.stdout.replace("sudo apt-get install -y ngspice", "")


def test_make_lint_passes():
    # `make lint` is ruff on src and tests (issue 17: it failed because ruff was not installed)
    import shutil

    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    proc = subprocess.run([ruff, "check", "src", "tests"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]

"""The docs' user path (docs/getting-started.md) runs as an executed example (issue 12).

examples/user_path.py asserts its own references (read vs I = G^T v and vs the MNA engine,
python vs ngspice within 1e-6 V, ledger total = sum of categories); this test runs it and
checks the printed figures: the MNA currents equal the fast read to the 6 printed digits, the
ngspice line (when ngspice is present) reports agreement below 1e-6, the EP accuracy is a
fraction of 4 XOR points and the ledger total is positive and its kT ln 2 multiple consistent.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from thermolearn.circuit.spice import runner
from thermolearn.physics import landauer_limit

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "user_path.py"


def test_user_path_runs_and_prints_checked_figures(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT)], cwd=tmp_path, env=dict(os.environ, MPLBACKEND="Agg"),
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = proc.stdout
    read = re.search(r"read currents \(A\):\s+(\[.*\])", out)
    mna = re.search(r"python engine \(A\):\s+(\[.*\])", out)
    assert read and mna and read.group(1) == mna.group(1)
    if runner.available()[0]:
        m = re.search(r"node voltages within (\S+) V, column currents within (\S+) ", out)
        assert m and float(m.group(1)) < 1e-6 and float(m.group(2)) < 1e-6
    acc = re.search(r"train accuracy (\S+) after (\d+) epochs", out)
    assert acc and float(acc.group(1)) in (0.0, 0.25, 0.5, 0.75, 1.0)
    tot = re.search(r"total (\S+) J = (\S+) x kT ln 2 at (\S+) K", out)
    assert tot
    joules, multiple, temp = (float(g) for g in tot.groups())
    assert joules > 0
    assert abs(joules / landauer_limit(temp) / multiple - 1) < 0.01  # 3 printed digits

"""The real-world corpus (ngspice 39's own examples and regression tests, unchanged).

Reference: plain ngspice 39's vectors for each file, stored in ``tests/spice_corpus/reference``
(``harness.py record``; the command is in each JSON). Criteria of issue 15: operating points
and DC sweeps within 1e-6 V on every node, transients within 2e-3 of each node's range at
ngspice's time points, AC within 1e-6 relative in magnitude. Where plain ngspice's default
RELTOL leaves its own answer further than that from the converged solution (DC sweeps), the
comparison is against the same file converged (``reltol=1e-9``), and the table says so.
A file thermolearn cannot run must be refused with a line-numbered reason naming the file.
"""

from __future__ import annotations

import re

import pytest

from spice_corpus import harness

CASES = [pytest.param(cf, id=cf.path) for cf in harness.CORPUS]


def _check(res: harness.Comparison) -> None:
    if res.status == "refused":
        # a refusal states the file and the line: "ngspice39/<path>:<line>: <reason>"
        assert re.match(r"^ngspice39/[^:]+:\d+: \S", res.detail), res.detail
        return
    assert res.status in ("agree", "agree (converged)"), f"{res.file}: {res.detail}"


@pytest.mark.parametrize("cf", CASES)
def test_corpus_file_agrees_with_ngspice_or_is_refused_with_its_line(
    cf: harness.CorpusFile,
) -> None:
    """Python engine against ngspice's stored result, or a line-numbered refusal."""
    _check(harness.evaluate(cf, "python"))


def test_corpus_share_that_parses_unchanged_and_agrees() -> None:
    """Issue 15's bar: at least 90 % of the corpus parse unchanged and agree with ngspice."""
    rows = [harness.evaluate(cf, "python") for cf in harness.CORPUS]
    good = [r for r in rows if r.status.startswith("agree")]
    assert len(good) >= 0.9 * len(rows), [f"{r.file}: {r.detail}" for r in rows if r not in good]


@pytest.mark.ngspice
@pytest.mark.parametrize("cf", CASES)
def test_corpus_file_on_the_ngspice_engine(cf: harness.CorpusFile) -> None:
    """The ngspice engine runs the file's own text (analysis cards of .control added only)."""
    if harness.ngspice_binary() is None:
        pytest.skip("the ngspice program is not on PATH")
    _check(harness.evaluate(cf, "ngspice"))

"""Figures explain themselves (issue 17, item 7): run titles, labelled axes with units, legends
clear of the data, log axes only over data that exist, "not booked" where there is nothing.

Each figure is built by the code that writes the PNG; ``plt.close`` is intercepted so that the
test inspects the very Figure objects that were saved.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from thermolearn.reporting import accuracy_figure, energy_breakdown_figure  # noqa: E402

UNIT = re.compile(r"\((?:[^()]*\b(?:J|kT|V|Ω|s|%|1/kT|τ0|x_m|ΔI/I|dimensionless)\b[^()]*)\)")


@pytest.fixture
def saved_figures(monkeypatch):
    figs: list = []
    real = plt.close

    def keep(fig=None):
        if fig is not None and not isinstance(fig, str):
            figs.append(fig)
        return real(fig)

    monkeypatch.setattr(plt, "close", keep)
    return figs


def _texts(fig) -> str:
    parts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        parts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        parts += [t.get_text() for t in ax.texts]
        leg = ax.get_legend()
        if leg is not None:
            parts += [t.get_text() for t in leg.get_texts()]
    return "\n".join(parts)


def _rows(*items):
    return [{"category": c, "source": s, "joules": j, "reversible": r, "bits_erased": 0.0,
             "count": 1} for c, s, j, r in items]


def test_energy_breakdown_marks_simulated_and_modelled_bars():
    fig = energy_breakdown_figure(_rows(("phase_free", "simulated", 2e-6, False),
                                        ("adc", "model", 3e-8, False),
                                        ("landauer", "bound", 1e-18, False),
                                        ("recovered", "simulated", 1e-9, True)), "run 'x'")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["adc (model)", "phase_free (simulated)"]  # no bound, no reversible
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("simulated") for t in legend)
    assert any(t.startswith("modelled") for t in legend)
    hatches = {p.get_hatch() for p in ax.patches}
    assert len(hatches) == 2  # the two sources look different, not only by colour
    assert ax.get_xscale() == "log" and "(J)" in ax.get_xlabel()
    assert ax.get_legend().get_bbox_to_anchor().y0 < ax.get_window_extent().y0  # below
    plt.close(fig)


def test_energy_breakdown_with_nothing_booked_says_so():
    fig = energy_breakdown_figure([], "run 'bp'", empty_note="not booked: software baseline")
    ax = fig.axes[0]
    assert not ax.patches and "not booked: software baseline" in _texts(fig)
    plt.close(fig)
    fig = energy_breakdown_figure(_rows(("read", "simulated", 0.0, False)), "t")
    assert fig.axes[0].get_xscale() == "linear"  # a zero bar has no place on a log axis
    plt.close(fig)


def test_training_figures_name_the_run_and_device(tmp_path, saved_figures, capsys):
    from thermolearn.experiments.ep_train import default_config, run_training

    run_training(default_config("xor", algorithm="backprop", epochs=2), tmp_path / "bp",
                 progress=True)
    out = capsys.readouterr().out
    assert "energy not booked (software baseline)" in out and "0.000e+00 J" not in out
    acc, energy = saved_figures[-2:]
    assert "run 'bp'" in acc.axes[0].get_title() and "backprop" in acc.axes[0].get_title()
    assert acc.axes[0].get_ylabel() == "accuracy (%)"
    assert "not booked" in _texts(energy) and not energy.axes[0].patches
    run_training(default_config("xor", device="softbounds", epochs=1), tmp_path / "real",
                 progress=False)
    acc, energy = saved_figures[-2:]
    title = acc.axes[0].get_title()
    assert "run 'real'" in title and "softbounds device" in title
    assert "(simulated)" in _texts(energy) or any(
        "(simulated)" in t.get_text() for t in energy.axes[0].get_yticklabels())


def test_crossbar_design_plots_no_invented_zeros(tmp_path, saved_figures, capsys):
    from thermolearn.experiments.design_study import run_design_sweep

    run_design_sweep([(4, 4), (8, 8)], [0.0, 2.5], vectors=1, out_dir=tmp_path / "xb",
                     progress=True)
    # every printed figure has its unit ("sneak=7.258e+02" once had none)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    for line in lines:
        assert re.search(r"IR err=\S+ \(rel\.\) sneak err=\S+ \(rel\.\) E/MAC=\S+ J "
                         r"latency=\S+ s", line), line
    err, heat = saved_figures[-2:]
    for ax in err.axes:
        assert ax.get_ylabel() and UNIT.search(ax.get_ylabel()), ax.get_ylabel()
        for line in ax.get_lines():
            assert np.all(np.asarray(line.get_ydata()) > 1e-12)  # no 1e-17 floor
    assert "exactly 0" in _texts(err) and "r_wire 0 Ω" in _texts(err)
    assert "crossbar design 'xb'" in _texts(err)
    assert heat.axes[0].get_ylabel().startswith("row") and "'xb'" in heat.axes[0].get_title()


def test_erasure_plot_ticks_and_legend(tmp_path, saved_figures):
    from thermolearn.experiments.stochastic_figures import plot_erasure
    from thermolearn.stochastic.erasure import ErasureProtocol, erasure_sweep

    rng = np.random.default_rng(0)
    sw = erasure_sweep(ErasureProtocol(), [4.0, 8.0, 16.0], 60, rng, n_record=4)
    plot_erasure(sw, tmp_path / "e.png", title="run 'e'")
    fig = saved_figures[-1]
    a = fig.axes[0]
    assert list(a.get_xticks()) == [4.0, 8.0, 16.0]
    assert [t.get_text() for t in a.get_xticklabels()] == ["4", "8", "16"]  # plain, no 10^x
    assert not [t for t in a.get_xticklabels(minor=True) if t.get_text()]
    fig.canvas.draw()
    legend = a.get_legend().get_window_extent()
    assert legend.y1 <= a.get_window_extent().y0  # below the axes: hides no data
    assert "run 'e'" in _texts(fig)
    assert all(ax.get_ylabel() for ax in fig.axes)


def test_demon_plot_right_panel_is_labelled(tmp_path, saved_figures):
    from thermolearn.experiments.stochastic_figures import plot_demon
    from thermolearn.stochastic.szilard import DemonRun

    runs = [DemonRun(epsilon=e, tau=40.0, n=10, dt=1e-3, tilt=1.0, extracted_work=0.2,
                     extracted_work_se=0.02, bound=0.3, quasistatic_extracted=0.3,
                     su_average=1.0, su_average_se=0.05, mutual_information=0.3,
                     measured_error_rate=e) for e in (0.1, 0.3)]
    plot_demon(runs, tmp_path / "d.png", title="run 'd'")
    fig = saved_figures[-1]
    assert all(ax.get_ylabel() for ax in fig.axes)
    assert "run 'd'" in _texts(fig)


def test_accuracy_figure_integer_epochs():
    fig = accuracy_figure([{"epoch": 1, "train_accuracy": 0.5, "test_accuracy": 0.4},
                           {"epoch": 2, "train_accuracy": 0.6, "test_accuracy": 0.5}], "t")
    fig.canvas.draw()
    ticks = fig.axes[0].get_xticks()
    assert np.allclose(ticks, np.round(ticks))
    plt.close(fig)

"""Reversible layers on crossbars: reconstruction under non-idealities, accounting, and a flow.

Three studies, each returning JSON-ready dictionaries (``thermolearn reversible`` writes them):

1. :func:`reconstruction_study` — RMS and max of ``f^{-1}(f(x)) − x`` for a mixed stack
   (affine / additive couplings, orthogonal and LU layers) as read noise, programming error,
   finite conductance levels and wire resistance grow, next to the linearised propagated-noise
   estimate of :meth:`ReversibleNetwork.predicted_reconstruction_rms`.
2. :func:`accounting_comparison` — energy of forward and inverse passes (crossbar dissipation,
   simulated; digital steps, model) and the bits erased (bound) of the reversible stack vs an
   equivalent non-invertible ReLU network on the same crossbars.
3. :func:`flow_experiment` — a RealNVP flow on two moons trained by maximum likelihood on
   crossbars and, from the same initialisation and mini-batches, in float64 software.

What "savings" means here
-------------------------
A logically reversible map erases no information, so its Landauer bound is ~0 where an
irreversible network's is (bits lost) × kT ln 2. Both bounds are ~10⁻¹⁹ J per sample, while the
crossbar reads dissipate G V² t ~ 10⁻¹²–10⁻¹⁰ J per sample whether or not the map is
reversible (a resistive read is not adiabatic), and inverting the stack costs another set of
reads. The physical saving in this toolkit is memory: training recomputes activations by
inversion instead of storing them, trading extra reads (energy) for flat memory.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.algorithms.reversible import (
    SOFTWARE,
    CrossbarLinearMap,
    DigitalOpEnergy,
    MapErrors,
    ReversibleNetwork,
    make_map,
)
from thermolearn.checkpoints import atomic_write_text
from thermolearn.energy import EnergyLedger
from thermolearn.hardware import Hardware
from thermolearn.numerics import fd_jacobian
from thermolearn.physics import landauer_limit

Array = NDArray[np.float64]

#: Default sweeps of the reconstruction study (dimensionless / levels / ohm).
READ_SIGMAS = (1e-4, 1e-3, 1e-2, 3e-2)
PROGRAM_SIGMAS = (1e-4, 1e-3, 1e-2, 3e-2)
LEVELS = (1024, 256, 64, 16)
R_WIRES = (0.1, 1.0, 5.0)
C2C_SIGMAS = (1e-3, 1e-2)
#: Non-ideal crossbars of the flow comparison: 256 levels, 0.1 % read noise and programming
#: error (hardware, lumped map errors).
NONIDEAL_FLOW_HARDWARE: tuple[Hardware, MapErrors] = (
    Hardware(levels=256),
    MapErrors(read_sigma=1e-3, program_sigma=1e-3),
)


def study_network(
    hardware: Hardware | str,
    *,
    errors: MapErrors | None = None,
    dim: int = 4,
    hidden: int = 16,
    seed: int = 0,
) -> ReversibleNetwork:
    """Build the mixed stack of the reconstruction study (same weights for every ``hardware``)."""
    net = ReversibleNetwork(dim, hardware=hardware, errors=errors, rng=np.random.default_rng(seed))
    net.add_coupling_layer(hidden, kind="affine", init_scale=5.0)
    net.add_orthogonal_layer()
    net.add_lu_layer()
    net.add_coupling_layer(hidden, kind="additive", init_scale=5.0)
    net.add_orthogonal_layer()
    net.add_coupling_layer(hidden, kind="affine", init_scale=5.0)
    return net


def reconstruction_study(
    *,
    base: Hardware | None = None,
    read_sigmas: tuple[float, ...] = READ_SIGMAS,
    program_sigmas: tuple[float, ...] = PROGRAM_SIGMAS,
    levels: tuple[int, ...] = LEVELS,
    r_wires: tuple[float, ...] = R_WIRES,
    dim: int = 4,
    n_samples: int = 256,
    seed: int = 0,
    device_noise: bool = True,
) -> list[dict[str, Any]]:
    """Reconstruction error of inverse∘forward for each non-ideality (one at a time).

    Besides the swept lumped ``read_sigma`` (TIA noise) and ``program_sigma``
    (:class:`~thermolearn.crossbar.linear_map.MapErrors`) and the hardware's ``levels`` and
    ``r_wire``, ``device_noise`` adds the device-level models of
    :mod:`thermolearn.devices.variability`: Johnson read noise of the arrays at the hardware
    temperature, and cycle-to-cycle write noise ``c2c_sigma`` (:data:`C2C_SIGMAS`).

    Returns
    -------
    list of dict
        One row per (non-ideality, value): ``rms_error``, ``max_error`` (measured),
        ``predicted_rms`` (linearised estimate; None for IR drop, which it does not model).
    """
    base = base if base is not None else Hardware()
    x = np.random.default_rng(seed + 1).normal(size=(n_samples, dim))
    rows: list[dict[str, Any]] = []
    none = MapErrors()
    cases: list[tuple[str, float, Hardware, MapErrors]] = [("ideal", 0.0, base, none)]
    cases += [("read_sigma", v, base, MapErrors(read_sigma=v)) for v in read_sigmas]
    cases += [("program_sigma", v, base, MapErrors(program_sigma=v)) for v in program_sigmas]
    cases += [("levels", float(v), base.replace(levels=int(v)), none) for v in levels]
    cases += [("r_wire", v, base.with_settings(r_wire=v), none) for v in r_wires]
    if device_noise:
        from thermolearn.devices.variability import VariabilityParams

        cases.append(
            (
                "johnson_read_noise_K",
                base.temperature,
                base.replace(variability=VariabilityParams(read_noise=True)),
                none,
            )
        )
        cases += [
            ("c2c_sigma", v, base.replace(variability=VariabilityParams(c2c_sigma=v)), none)
            for v in C2C_SIGMAS
        ]
    for kind, value, hw, errors in cases:
        net = study_network(hw, errors=errors, dim=dim, seed=seed)
        err = net.reconstruction_error(x)
        pred = None if kind == "r_wire" else net.predicted_reconstruction_rms(x)
        rows.append(
            {
                "nonideality": kind,
                "value": value,
                "rms_error": float(np.sqrt(np.mean(err**2))),
                "max_error": float(np.max(np.abs(err))),
                "predicted_rms": pred,
                "crossbar_joules_per_sample_forward": sum(
                    j
                    for c, j in net.ledger.breakdown().items()
                    if c.startswith("forward/") and c != "forward/digital"
                )
                / n_samples,
            }
        )
    return rows


def plot_reconstruction(rows: list[dict[str, Any]], path: str | Path, title: str = "") -> None:
    """Log-log plot of measured (markers) and predicted (dashed) RMS error per non-ideality.

    Only errors > 0 are drawn on the log axes (an exact reconstruction has no place there);
    one legend for all panels sits below them; ``title`` names the run.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = [
        k
        for k in ("read_sigma", "program_sigma", "levels", "r_wire", "c2c_sigma")
        if any(r["nonideality"] == k for r in rows)
    ]
    fig, axes = plt.subplots(1, len(kinds), figsize=(3.4 * len(kinds), 3.9))
    axes = np.atleast_1d(axes)
    for ax, k in zip(axes, kinds, strict=True):
        rs = [r for r in rows if r["nonideality"] == k]
        for key, style, label, alpha in (("rms_error", "o-", "measured RMS", 1.0),
                                         ("max_error", "s:", "measured max", 0.6),
                                         ("predicted_rms", "k--", "linearised estimate", 1.0)):
            xy = [(r["value"], r[key]) for r in rs if r[key] is not None and r[key] > 0]
            if xy:
                ax.plot(*zip(*xy, strict=True), style, label=label, alpha=alpha)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(
            {
                "read_sigma": "read noise (relative to full scale)",
                "program_sigma": "programming error (relative)",
                "levels": "conductance levels (count)",
                "r_wire": "wire resistance per segment (Ω)",
                "c2c_sigma": "cycle-to-cycle write noise (relative)",
            }[k], fontsize=8
        )
        ax.set_ylabel("|f⁻¹(f(x)) − x| (input units)", fontsize=8)
        if k == "levels":
            ax.invert_xaxis()
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(f"reconstruction error of the reversible layer vs non-ideality\n{title}",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ------------------------------------------------------------------------------------------
# accounting: reversible vs non-invertible
# ------------------------------------------------------------------------------------------
def _local_bits(J: Array, word_bits: int) -> float:
    """Bits a map with local Jacobian ``J`` (d×d) erases per sample on a grid of ``word_bits``."""
    sv = np.linalg.svd(J, compute_uv=False)
    with np.errstate(divide="ignore"):
        lost = -np.log2(np.maximum(sv, 0.0))
    return float(np.sum(np.clip(lost, 0.0, word_bits)))


class ReLUNetwork:
    """The equivalent non-invertible network: the same crossbar reads, ReLU activations.

    Each coupling layer (hidden h) becomes ``x ← relu(W2 [relu(W1 [x, 1]), 1])`` with
    W1 (h, d+1), W2 (d, h+1); each orthogonal / LU layer becomes ``x ← relu(W x)``. It has the
    same number of crossbar reads per sample as the reversible stack's forward pass.
    """

    def __init__(self, template: ReversibleNetwork, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.ledger = EnergyLedger(template.temperature)
        self.hw_ledger = EnergyLedger(template.temperature)
        self.steps: list[list[CrossbarLinearMap]] = []
        self.digital = DigitalOpEnergy()
        self.dim = template.dim
        d = template.dim
        for layer in template.layers:
            if hasattr(layer, "hidden"):
                h = layer.hidden
                W1 = rng.normal(0, 1 / math.sqrt(d + 1), size=(h, d + 1))
                W2 = rng.normal(0, 1 / math.sqrt(h + 1), size=(d, h + 1))
                self.steps.append([self._map(template, W, rng) for W in (W1, W2)])
            else:
                W = rng.normal(0, 1 / math.sqrt(d + 1), size=(d, d + 1))
                self.steps.append([self._map(template, W, rng)])

    def _map(
        self, template: ReversibleNetwork, W: Array, rng: np.random.Generator
    ) -> CrossbarLinearMap:
        return make_map(
            W, template.hardware, rng=rng, ledger=self.hw_ledger, errors=template.errors
        )

    def forward(self, x: Array, *, book: bool = True) -> Array:
        """Run forward; book crossbar (simulated) and ReLU (model) energy when ``book``."""
        before = self.hw_ledger.total(include_reversible=True)
        n_relu = 0
        for ops in self.steps:
            for op in ops:
                x = np.maximum(
                    op.matvec(np.concatenate([x, np.ones((x.shape[0], 1))], axis=1)), 0.0
                )
                n_relu += x.size
        if book:
            self.ledger.book(
                "forward/crossbar", self.hw_ledger.total(include_reversible=True) - before
            )
            self.ledger.book("forward/digital", self.digital.energy(adds=n_relu), source="model")
        return x


def accounting_comparison(
    hardware: Hardware | None = None,
    *,
    dim: int = 4,
    n_samples: int = 256,
    seed: int = 0,
    word_bits: int = 16,
    readout_bits: int = 8,
) -> dict[str, Any]:
    """Energy and bits erased of the reversible stack vs the equivalent ReLU network.

    Bits erased per sample are the grid estimate ``Σ_i clip(−log2 σ_i, 0, word_bits)`` over the
    singular values σ_i of the whole map's local Jacobian (a zero singular value loses a whole
    word), plus ``word_bits − readout_bits`` per output value at the final readout. They are
    booked with 0 J and ``source="bound"``; the Landauer bound is bits × kT ln 2.
    """
    hw = hardware if hardware is not None else Hardware()
    net = study_network(hw, dim=dim, seed=seed)
    mlp = ReLUNetwork(net, seed=seed + 7)
    x = np.random.default_rng(seed + 3).normal(size=(n_samples, dim))
    ideal = net.ideal_copy()
    sw_mlp = ReLUNetwork(ideal, seed=seed + 7)
    kTln2 = landauer_limit(hw.temperature)

    y, _ = net.forward_with_log_det(x)
    xr = net.inverse(y)
    net.readout(y)
    mlp.forward(x)
    bits_rev_map = sum(_local_bits(J, word_bits) for J in fd_jacobian(ideal.forward, x))
    bits_mlp_map = sum(
        _local_bits(J, word_bits) for J in fd_jacobian(lambda z: sw_mlp.forward(z, book=False), x)
    )
    bits_read = float(max(0, word_bits - readout_bits) * n_samples * dim)
    net.ledger.book("landauer", 0.0, bits_erased=bits_rev_map, source="bound")
    mlp.ledger.book("landauer", 0.0, bits_erased=bits_mlp_map + bits_read, source="bound")

    def per_sample(led: EnergyLedger, prefix: str) -> float:
        return sum(j for c, j in led.breakdown().items() if c.startswith(prefix)) / n_samples

    rev_bits = net.ledger.bits_erased() / n_samples
    mlp_bits = mlp.ledger.bits_erased() / n_samples
    rev_fwd = per_sample(net.ledger, "forward/")
    mlp_fwd = per_sample(mlp.ledger, "forward/")
    rev_xb = rev_fwd - per_sample(net.ledger, "forward/digital")
    mlp_xb = per_sample(mlp.ledger, "forward/crossbar")
    return {
        "n_samples": n_samples,
        "word_bits": word_bits,
        "readout_bits": readout_bits,
        "reversible": {
            "forward_joules_per_sample": rev_fwd,
            "forward_crossbar_joules_per_sample": rev_xb,
            "inverse_joules_per_sample": per_sample(net.ledger, "inverse/"),
            "forward_breakdown_joules": {
                k: v / n_samples
                for k, v in net.ledger.breakdown().items()
                if k.startswith("forward/")
            },
            "inverse_breakdown_joules": {
                k: v / n_samples
                for k, v in net.ledger.breakdown().items()
                if k.startswith("inverse/")
            },
            "bits_erased_per_sample_map": bits_rev_map / n_samples,
            "bits_erased_per_sample_layerwise_grid": (
                net.ledger.bits_erased() - bits_rev_map - bits_read
            )
            / n_samples,
            "bits_erased_per_sample_readout": bits_read / n_samples,
            "landauer_bound_joules_per_sample": (bits_rev_map + bits_read) / n_samples * kTln2,
            "reconstruction_max_error": float(np.max(np.abs(xr - x))),
        },
        "non_invertible_relu": {
            "forward_joules_per_sample": mlp_fwd,
            "forward_crossbar_joules_per_sample": mlp_xb,
            "forward_crossbar_breakdown_joules": {
                k: v / n_samples for k, v in mlp.hw_ledger.breakdown().items()
            },
            "bits_erased_per_sample_map": bits_mlp_map / n_samples,
            "bits_erased_per_sample_readout": bits_read / n_samples,
            "landauer_bound_joules_per_sample": mlp_bits * kTln2,
        },
        "landauer_bound_saving_joules_per_sample": (
            mlp_bits - (bits_rev_map + bits_read) / n_samples
        )
        * kTln2,
        "dissipation_to_bound_ratio_reversible": rev_fwd
        / max((bits_rev_map + bits_read) / n_samples * kTln2, 1e-300),
        "dissipation_to_bound_ratio_non_invertible": mlp_fwd / max(mlp_bits * kTln2, 1e-300),
        "bits_erased_note": "grid estimate (bound), booked with 0 J; not a dissipation",
        "layerwise_bits_total_per_sample": rev_bits,
        "savings_meaning": (
            "Logical reversibility lowers only the Landauer bound (bits erased x kT ln 2). "
            "Every crossbar read dissipates G V^2 t whether or not the map is invertible, "
            "and the inverse pass costs its own reads; the crossbar dissipation of the "
            "reversible and non-invertible networks is of the same order (the same reads per "
            "sample), and with the digital elementwise steps each forward pass dissipates "
            "~1e8-1e11 times its bound (the reversible stack's exp/tanh steps dominate its "
            "total). The practical saving is training memory (activations recomputed by "
            "inversion), paid for with extra reads."
        ),
    }


# ------------------------------------------------------------------------------------------
# normalising flow on two moons
# ------------------------------------------------------------------------------------------
def flow_experiment(
    hardware: Hardware | None = None,
    *,
    steps: int = 800,
    n_train: int = 2000,
    n_test: int = 2000,
    n_coupling: int = 6,
    hidden: int = 32,
    batch: int = 256,
    lr: float = 3e-3,
    seed: int = 0,
    sample_plot: str | Path | None = None,
    extra: dict[str, tuple[Hardware, MapErrors]] | None = None,
    networks: dict[str, ReversibleNetwork] | None = None,
) -> dict[str, Any]:
    """Train the same flow on crossbars and in float64 software; compare test NLL (nats).

    ``extra`` names further variants ``(hardware, lumped map errors)`` (e.g. non-ideal
    crossbars) trained the same way; their NLL gap to software is reported as
    ``nll_gap_nats_<name>``. ``networks``, when given, receives the trained flows by name.
    """
    from thermolearn.algorithms.flows import flow_nll, flow_sample, make_flow, train_flow, two_moons

    hw = hardware if hardware is not None else Hardware()
    rng = np.random.default_rng(seed)
    xtr, xte = two_moons(n_train, rng), two_moons(n_test, rng)
    mu, sd = xtr.mean(axis=0), xtr.std(axis=0)
    xtr, xte = (xtr - mu) / sd, (xte - mu) / sd
    out: dict[str, Any] = {
        "steps": steps,
        "n_train": n_train,
        "n_test": n_test,
        "coordinates": "standardised (train mean/std)",
    }
    nets = {}
    variants: dict[str, tuple[Hardware | str, MapErrors]] = {
        "software": (SOFTWARE, MapErrors()),
        "crossbar": (hw, MapErrors()),
        **(extra or {}),
    }
    for name, (h, errors) in variants.items():
        net = make_flow(n_coupling=n_coupling, hidden=hidden, hardware=h, errors=errors, seed=seed)
        hist = train_flow(
            net,
            xtr,
            x_test=xte,
            steps=steps,
            batch=batch,
            lr=lr,
            rng=np.random.default_rng(seed + 1),
            eval_every=max(1, steps // 8),
        )
        nets[name] = net
        if networks is not None:
            networks[name] = net
        out[name] = {
            "test_nll_nats": flow_nll(net, xte),
            "train_nll_nats": flow_nll(net, xtr),
            "history": {"step": hist.step, "test_nll": hist.test_nll},
            "energy_joules": net.ledger.total(),
            "energy_breakdown_joules": net.ledger.breakdown(),
        }
    out["nll_gap_nats"] = out["crossbar"]["test_nll_nats"] - out["software"]["test_nll_nats"]
    for name in extra or {}:
        out[f"nll_gap_nats_{name}"] = out[name]["test_nll_nats"] - out["software"]["test_nll_nats"]
        h, errors = variants[name]
        assert isinstance(h, Hardware)
        out[name]["hardware"] = {
            "levels": h.levels,
            "read_sigma": errors.read_sigma,
            "program_sigma": errors.program_sigma,
            "r_wire": h.wires.r_wire,
        }
    out["gradients"] = (
        "digital float64 back-propagation from activations measured on the "
        "crossbars; weights re-programmed after every Adam step"
    )
    if sample_plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        names = [n for n in nets if n != "software"]
        fig, axs = plt.subplots(
            1, 1 + len(names), figsize=(3.4 * (1 + len(names)), 3.3), sharex=True, sharey=True
        )
        ax = list(np.atleast_1d(axs))
        ax[0].scatter(xte[:, 0], xte[:, 1], s=2)
        ax[0].set_title("two moons (test)", fontsize=9)
        for i, name in enumerate(names, start=1):
            s = flow_sample(nets[name], 2000, np.random.default_rng(seed + 2))
            ax[i].scatter(s[:, 0], s[:, 1], s=2, color=f"C{i}")
            ax[i].set_title(
                f"samples, {name}: NLL {out[name]['test_nll_nats']:.3f} nats", fontsize=9
            )
        for a in ax:
            a.set_xlim(-3, 3)
            a.set_ylim(-3, 3)
            a.set_xlabel("x₁ (standardised, dimensionless)", fontsize=8)
        ax[0].set_ylabel("x₂ (standardised, dimensionless)", fontsize=8)
        fig.suptitle(f"run '{Path(sample_plot).absolute().parent.name}': normalising flow on "
                     f"two moons, {steps} training steps, seed {seed}; test data vs samples "
                     "drawn from the flows", fontsize=9)
        fig.tight_layout()
        fig.savefig(sample_plot, dpi=120)
        plt.close(fig)
    return out


def run_study(out_dir: str | Path, *, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """Run the reconstruction study, the accounting comparison and the flow; write outputs.

    Writes ``metrics.json``, ``reconstruction.csv``, ``reconstruction.png`` and
    ``flow_samples.png`` into ``out_dir``.
    """
    import csv
    import json

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = reconstruction_study(seed=seed, n_samples=64 if quick else 256)
    with open(out / "reconstruction.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    plot_reconstruction(rows, out / "reconstruction.png",
                        title=f"run '{out.name}': seed {seed}" + (", quick" if quick else ""))
    acc = accounting_comparison(seed=seed, n_samples=64 if quick else 256)
    flow = flow_experiment(
        steps=150 if quick else 1500,
        extra={"nonideal": NONIDEAL_FLOW_HARDWARE},
        seed=seed,
        sample_plot=out / "flow_samples.png",
    )
    metrics = {"reconstruction": rows, "accounting": acc, "flow": flow, "quick": quick}
    atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    return metrics


__all__ = [
    "ReLUNetwork",
    "accounting_comparison",
    "flow_experiment",
    "plot_reconstruction",
    "reconstruction_study",
    "run_study",
    "study_network",
]

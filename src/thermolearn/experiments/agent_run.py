"""End-to-end runs of the free-energy agents, digitally or on simulated crossbars.

* ``point-mass``: the continuous :class:`~thermolearn.algorithms.free_energy.FreeEnergyAgent`
  drives a noisy damped 2-D point mass to a goal. On the hardware (``hardware=True``) its three
  linear maps — the generative matrix ``W`` (forward reads predict observations, transposed
  reads carry the precision-weighted prediction errors back: the recognition pathway), the
  transition ``[A | B]`` of its prior and its expected-free-energy action gain — are
  differential memristor crossbars (:class:`~thermolearn.crossbar.SignedCrossbarLayer`); the
  energy each layer books is divided by the number of perception–action cycles. With
  ``device_noise > 0`` the same episodes are run again with noisy devices, so the effect of
  device noise on behaviour is measured directly.
* ``t-maze``: the discrete :class:`~thermolearn.algorithms.active_inference.DiscreteAgent`
  learns the reward contingency of the T-maze by Dirichlet updates, and the fraction of trials
  in which it visits the cue and then the rewarded arm is tracked.

Both write ``metrics.json`` and plots into an output directory.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from thermolearn.checkpoints import atomic_write_text
from thermolearn.energy import EnergyLedger
from thermolearn.errors import ParameterError
from thermolearn.hardware import Hardware
from thermolearn.validation import check_choice, check_int, check_nonnegative


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRunConfig:
    """What to run.

    Parameters
    ----------
    env : {"point-mass", "t-maze"}
        Environment.
    episodes : int
        Point-mass episodes per run, or T-maze trials (learning + evaluation).
    eval_trials : int
        T-maze: trials at the end over which the success rate after learning is measured.
    seed : int
        Seed of every random draw.
    hardware : bool
        Run the agent's linear maps on crossbars (point mass: W, [A | B] and the action gain;
        T-maze: the likelihood A and transitions B). The T-maze is then run digitally too,
        with the same seed, and both success rates are reported.
    device_noise : float
        Relative device non-ideality on the hardware: log-normal device-to-device conductance
        spread of this sigma and cycle-to-cycle programming noise of this fraction.
    learn : bool
        Point-mass: the agent starts with a wrong belief about the mass and learns its
        dynamics model over episodes.
    goal : tuple of float
        Point-mass goal (m).
    base_hardware : Hardware, optional
        Hardware of the crossbars before ``device_noise`` is added (default ideal).
    """

    env: str = "point-mass"
    episodes: int = 20
    eval_trials: int = 40
    seed: int = 0
    hardware: bool = False
    device_noise: float = 0.0
    learn: bool = False
    goal: tuple[float, float] = (0.5, 0.5)
    base_hardware: Hardware | None = None

    def __post_init__(self) -> None:
        own = "AgentRunConfig"
        check_choice(self.env, "env", own, ("point-mass", "t-maze"))
        check_int(self.episodes, "episodes", own, minimum=1)
        check_int(self.eval_trials, "eval_trials", own, minimum=1)
        check_int(self.seed, "seed", own, minimum=0)
        check_nonnegative(self.device_noise, "device_noise", own)
        if self.device_noise > 0 and not self.hardware:
            raise ParameterError(
                f"The 'device_noise' parameter of {own} acts only on the hardware; got "
                f"{self.device_noise!r} without hardware=True (add --hardware)."
            )
        if self.learn and self.env != "point-mass":
            raise ParameterError(
                f"The 'learn' parameter of {own} acts only on env='point-mass' (the T-maze "
                "agent always learns its reward contingency); drop --learn."
            )
        if self.env == "t-maze" and self.eval_trials > self.episodes:
            raise ParameterError(
                f"The 'eval_trials' parameter of {own} must be <= episodes ({self.episodes}); "
                f"got {self.eval_trials}."
            )


# --------------------------------------------------------------------------------------------
# hardware maps
# --------------------------------------------------------------------------------------------
def agent_hardware(device_noise: float = 0.0, base: Hardware | None = None) -> Hardware:
    """Return the agents' crossbar hardware: ``base`` (default ideal) plus ``device_noise``.

    ``device_noise`` > 0 adds a log-normal device-to-device conductance spread of that sigma,
    cycle-to-cycle programming noise of that relative size and Johnson read noise (at the
    hardware temperature) through the hardware's variability model.
    """
    from thermolearn.devices.variability import VariabilityParams

    check_nonnegative(device_noise, "device_noise", "agent_hardware")
    hw = base if base is not None else Hardware()
    if device_noise > 0 and hw.variability is None:
        hw = hw.replace(
            variability=VariabilityParams(
                d2d_sigma=device_noise, c2c_sigma=device_noise, read_noise=True
            )
        )
    return hw


def crossbar_factory(
    rng: np.random.Generator, device_noise: float = 0.0, hardware: Hardware | None = None
) -> tuple[Any, list[Any]]:
    """Return a ``map_factory`` building the continuous agent's crossbar maps, and their list.

    The maps are :class:`~thermolearn.crossbar.linear_map.CrossbarLinearMap` on
    :func:`agent_hardware` ``(device_noise, hardware)``
    (:func:`~thermolearn.algorithms.free_energy.crossbar_map_factory`).
    """
    from thermolearn.algorithms.free_energy import crossbar_map_factory

    built: list[Any] = []
    factory = crossbar_map_factory(agent_hardware(device_noise, hardware), rng, built=built)
    return factory, built


def _merge_ledgers(maps: list[Any]) -> EnergyLedger:
    led = EnergyLedger()
    for m in maps:
        led.merge(m.ledger)
    return led


def _by_source(led: EnergyLedger) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in led.rows():
        if not r["reversible"]:
            out[r["source"]] = out.get(r["source"], 0.0) + r["joules"]
    return out


# --------------------------------------------------------------------------------------------
# point mass
# --------------------------------------------------------------------------------------------
def run_point_mass(
    cfg: AgentRunConfig, *, device_noise: float | None = None, progress: bool = False
) -> dict[str, Any]:
    """Run ``cfg.episodes`` point-mass episodes; returns metrics and trajectories.

    Returns
    -------
    dict
        ``success_rate``, ``steps_to_goal`` (mean over successes), ``final_distance_m``,
        ``free_energy_per_step`` (mean over episodes, nats), ``prediction_error_per_episode``,
        ``energy_per_cycle_joules`` and ``energy_breakdown_joules`` (hardware), and the
        trajectories under ``"_trajectories"`` (not JSON).
    """
    from thermolearn.algorithms.free_energy import (
        PointMassEnv,
        PointMassParams,
        make_point_mass_agent,
        run_point_mass_episode,
    )

    noise = cfg.device_noise if device_noise is None else device_noise
    rng_env = np.random.default_rng([cfg.seed, 1])
    rng_hw = np.random.default_rng([cfg.seed, 2])
    params = PointMassParams()
    env = PointMassEnv(params, rng_env, goal=cfg.goal)
    maps: list[Any] = []
    factory = None
    if cfg.hardware:
        factory, maps = crossbar_factory(rng_hw, noise, cfg.base_hardware)
    agent = make_point_mass_agent(
        params,
        env.goal,
        believed_mass=3.0 if cfg.learn else None,
        learning_rate=0.5,
        map_factory=factory,
    )
    ledger_setup = _merge_ledgers(maps).total() if maps else 0.0
    setup_by_source = _by_source(_merge_ledgers(maps)) if maps else {}
    t0 = time.perf_counter()
    episodes = []
    for k in range(cfg.episodes):
        episodes.append(run_point_mass_episode(agent, env, learn=cfg.learn))
        if progress:
            e = episodes[-1]
            print(
                f"episode {k + 1}/{cfg.episodes}: success={e.success} steps={e.steps_to_goal}",
                flush=True,
            )
    seconds = time.perf_counter() - t0
    cycles = sum(len(e.free_energy) for e in episodes)
    out: dict[str, Any] = {
        "env": "point-mass",
        "episodes": cfg.episodes,
        "hardware": cfg.hardware,
        "device_noise": noise if cfg.hardware else 0.0,
        "learn": cfg.learn,
        "success_rate": float(np.mean([e.success for e in episodes])),
        "steps_to_goal": float(np.mean([e.steps_to_goal for e in episodes if e.success]))
        if any(e.success for e in episodes)
        else None,
        "final_distance_m": float(
            np.mean([np.linalg.norm(e.positions[-1] - env.goal) for e in episodes])
        ),
        "free_energy_per_step": np.mean([e.free_energy for e in episodes], axis=0).tolist(),
        "free_energy_mean": float(np.mean([e.free_energy.mean() for e in episodes])),
        "prediction_error_per_episode": [float(e.prediction_error.mean()) for e in episodes],
        "cycles": cycles,
        "seconds": seconds,
        "_trajectories": [e.positions for e in episodes],
        "_goal": env.goal.tolist(),
        "_goal_radius": params.goal_radius,
    }
    if maps:
        led = _merge_ledgers(maps)
        run_energy = led.total() - ledger_setup
        out["energy_per_cycle_joules"] = run_energy / cycles
        out["energy_setup_joules"] = ledger_setup
        out["energy_total_joules"] = led.total()
        out["energy_breakdown_joules"] = led.breakdown()
        # "simulated": I*V*t of cells and wires; "model": converter/amplifier figures of merit
        # and the programming-pulse model (set-up programming excluded)
        out["energy_per_cycle_by_source_joules"] = {
            k: (v - setup_by_source.get(k, 0.0)) / cycles for k, v in _by_source(led).items()
        }
        out["crossbar_reads"] = int(sum(m.reads for m in maps))
        out["reads_per_cycle"] = out["crossbar_reads"] / cycles
        out["weight_error_rel"] = {
            name: float(
                np.linalg.norm(m.weights - m.target) / max(float(np.linalg.norm(m.target)), 1e-300)
            )
            for name, m in zip(("generative_W", "transition_AB", "action_gain"), maps, strict=False)
        }
    return out


# --------------------------------------------------------------------------------------------
# T-maze
# --------------------------------------------------------------------------------------------
def run_tmaze(
    cfg: AgentRunConfig, *, hardware: Hardware | None = None, progress: bool = False
) -> dict[str, Any]:
    """Let the T-maze agent learn the reward contingency over ``cfg.episodes`` trials.

    With ``hardware`` the agent's A and B live on crossbars
    (:class:`~thermolearn.algorithms.active_inference.CrossbarGenerativeModel`) and the energy
    of every read and programming pulse is reported: ``energy_per_cycle_joules`` is the energy
    after the initial programming divided by the perception–action cycles (``moves + 1`` state
    inferences per trial). The same seed draws the same contexts, outcomes and action draws as
    the digital agent, so on ideal hardware the two runs agree.
    """
    from thermolearn.algorithms.active_inference import (
        TMazeEnv,
        make_tmaze_learner,
        run_tmaze_trial,
    )

    rng = np.random.default_rng([cfg.seed, 3])
    agent = make_tmaze_learner(
        rng=rng, hardware=hardware, device_rng=np.random.default_rng([cfg.seed, 2])
    )
    setup = agent.ledger.total() if agent.ledger is not None else 0.0
    setup_by_source = _by_source(agent.ledger) if agent.ledger is not None else {}
    env = TMazeEnv(rng=rng)
    t0 = time.perf_counter()
    trials = []
    for k in range(cfg.episodes):
        trials.append(run_tmaze_trial(agent, env))
        if progress and (k + 1) % 10 == 0:
            rate = np.mean([t.cue_then_reward for t in trials[-10:]])
            print(f"trial {k + 1}/{cfg.episodes}: cue-then-reward (last 10) {rate:.2f}", flush=True)
    ok = np.array([t.cue_then_reward for t in trials], dtype=float)
    n_eval = cfg.eval_trials
    fs = np.array([t.free_energy for t in trials])
    out: dict[str, Any] = {
        "env": "t-maze",
        "hardware": hardware is not None,
        "device_noise": cfg.device_noise if hardware is not None else 0.0,
        "trials": cfg.episodes,
        "eval_trials": n_eval,
        "success_rate": float(ok[-n_eval:].mean()),
        "success_rate_first_trials": float(ok[:n_eval].mean()),
        "success_definition": "cue arm first, then the arm the context rewards",
        "seed_note": (
            "single agent, single seed: the learned T-maze behaviour is seed dependent "
            "(seeds 0-7, 120 trials, last 40: 1.0, 0.925, 1.0, 1.0, 1.0, 1.0, 0.5, 1.0)"
        ),
        "reward_rate": float(np.mean([t.rewarded for t in trials[-n_eval:]])),
        "free_energy_per_step": fs.mean(axis=0).tolist(),
        "learning_curve": ok.tolist(),
        "learned_reward_probability": {
            "left_arm": agent.A[1][1, 1, :].tolist(),
            "right_arm": agent.A[1][1, 2, :].tolist(),
        },
        "seconds": time.perf_counter() - t0,
        "_paths": [t.locations for t in trials],
    }
    if agent.ledger is not None:
        led = agent.ledger
        cycles = int(fs.size)
        maps = agent.model.maps() if hasattr(agent.model, "maps") else []
        out["cycles"] = cycles
        out["energy_setup_joules"] = setup
        out["energy_total_joules"] = led.total()
        out["energy_per_cycle_joules"] = (led.total() - setup) / cycles
        out["energy_breakdown_joules"] = led.breakdown()
        # "simulated": I*V*t of cells and wires; "model": converter/amplifier figures of merit
        # and the programming-pulse model (set-up programming excluded)
        out["energy_per_cycle_by_source_joules"] = {
            k: (v - setup_by_source.get(k, 0.0)) / cycles for k, v in _by_source(led).items()
        }
        out["crossbar_reads"] = int(sum(m.reads for m in maps))
        out["reads_per_cycle"] = out["crossbar_reads"] / cycles
        out["crossbar_arrays"] = 2 * len(maps)
    return out


# --------------------------------------------------------------------------------------------
# plots and the whole run
# --------------------------------------------------------------------------------------------
def _plot_point_mass(runs: dict[str, dict[str, Any]], out: Path, title: str = "") -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle

    files = []
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 4.6), squeeze=False)
    for ax, (name, r) in zip(axes[0], runs.items(), strict=True):
        for p in r["_trajectories"]:
            ax.plot(p[:, 0], p[:, 1], lw=0.8, alpha=0.7)
            ax.plot(p[0, 0], p[0, 1], "k.", ms=3)
        ax.add_patch(Circle(r["_goal"], r["_goal_radius"], color="g", alpha=0.3,
                            label="goal region"))
        ax.plot([], [], "k.", label="start")
        ax.set_title(f"{name}: success {r['success_rate']:.0%}", fontsize=9)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2,
                  frameon=False)
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
        ax.set_aspect("equal")
    fig.suptitle(f"trajectories\n{title}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "trajectories.png", dpi=120)
    plt.close(fig)
    files.append("trajectories.png")
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, r in runs.items():
        ax.plot(r["free_energy_per_step"], label=name)
    ax.set_xlabel("control step in the episode")
    ax.set_ylabel("free energy F (nats)")
    ax.set_title(f"variational free energy per step\n{title}", fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "free_energy.png", dpi=120)
    plt.close(fig)
    files.append("free_energy.png")
    return files


def _plot_tmaze(r: dict[str, Any], out: Path, title: str = "") -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = np.asarray(r["learning_curve"])
    w = max(1, min(10, curve.size))  # a short run (few trials) still plots its mean
    smooth = np.convolve(curve, np.ones(w) / w, mode="valid")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    axes[0].plot(np.arange(w, len(curve) + 1), smooth)
    axes[0].set_xlabel("trial")
    axes[0].set_ylabel(f"fraction cue then rewarded arm ({w}-trial mean)", fontsize=8)
    axes[0].set_ylim(-0.05, 1.05)
    axes[0].set_title("learning curve", fontsize=9)
    axes[1].plot(r["free_energy_per_step"], "o-")
    axes[1].set_xticks(range(len(r["free_energy_per_step"])))
    axes[1].set_xlabel("step in trial")
    axes[1].set_ylabel("free energy F (nats)")
    axes[1].set_title("free energy per step (mean over trials)", fontsize=9)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "trajectories.png", dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    fs = np.asarray(r["free_energy_per_step"])
    ax.plot(fs, "o-")
    ax.set_xticks(range(len(fs)))
    ax.set_xlabel("step in trial")
    ax.set_ylabel("free energy F (nats)")
    ax.set_title(f"free energy per step (mean over trials)\n{title}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "free_energy.png", dpi=120)
    plt.close(fig)
    return ["trajectories.png", "free_energy.png"]


def _public(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if not k.startswith("_")}


def run_agent(
    cfg: AgentRunConfig, out_dir: str | Path | None = None, *, progress: bool = False
) -> dict[str, Any]:
    """Run ``cfg`` and (optionally) write ``metrics.json`` and plots into ``out_dir``.

    For the point mass on hardware with ``device_noise > 0``, the same episodes are run with
    ideal devices and with noisy devices; for the T-maze on hardware the same trials are run
    digitally and on the crossbars. ``metrics["runs"]`` holds both and the top-level figures
    are those of the last (noisy / hardware) run.
    """
    runs: dict[str, dict[str, Any]] = {}
    if cfg.env == "point-mass":
        if cfg.hardware and cfg.device_noise > 0:
            runs["hardware_ideal"] = run_point_mass(cfg, device_noise=0.0, progress=progress)
            runs["hardware_noisy"] = run_point_mass(cfg, progress=progress)
        else:
            runs["hardware" if cfg.hardware else "digital"] = run_point_mass(cfg, progress=progress)
    elif cfg.hardware:
        runs["digital"] = run_tmaze(cfg, progress=progress)
        runs["hardware"] = run_tmaze(
            cfg,
            hardware=agent_hardware(cfg.device_noise, cfg.base_hardware),
            progress=progress,
        )
    else:
        runs["t-maze"] = run_tmaze(cfg, progress=progress)
    main = list(runs.values())[-1]
    metrics: dict[str, Any] = {
        "config": {k: v for k, v in asdict(cfg).items() if k != "base_hardware"},
        **_public(main),
        "runs": {k: _public(v) for k, v in runs.items()},
    }
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        what = (f"{cfg.episodes} episodes" + (", on crossbars" if cfg.hardware else "")
                if cfg.env == "point-mass" else f"{cfg.episodes} trials")
        title = f"active inference, run '{out.name}': {cfg.env}, {what}, seed {cfg.seed}"
        files = (_plot_point_mass(runs, out, title) if cfg.env == "point-mass"
                 else _plot_tmaze(main, out, title))
        metrics["plots"] = files
        atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=2, default=float) + "\n")
    return metrics


__all__ = [
    "AgentRunConfig",
    "agent_hardware",
    "crossbar_factory",
    "run_agent",
    "run_point_mass",
    "run_tmaze",
]

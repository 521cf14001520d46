"""``thermolearn agent --env point-mass|t-maze --out DIR``: run a free-energy agent.

Writes ``metrics.json`` (success rate, free energy per step, energy per perception–action
cycle on the hardware) and plots (``trajectories.png``, ``free_energy.png``) to DIR.
"""

from __future__ import annotations

import argparse
from typing import Any

from thermolearn.commands._args import out_dir


def register(subparsers: Any) -> None:
    """Add the ``agent`` sub-command."""
    p = subparsers.add_parser(
        "agent",
        help="active-inference agent: point mass (continuous) or T-maze (discrete)",
        description=(
            "Run the free-energy agent. point-mass: continuous agent reaching a goal, optionally "
            "with its linear maps on memristor crossbars (--hardware) and device noise. "
            "t-maze: discrete agent learning the reward contingency, optionally with its "
            "likelihood and transition matrices on crossbars (--hardware; the digital agent "
            "runs beside it on the same seed)."
        ),
    )
    p.add_argument("--env", choices=("point-mass", "t-maze"), default="point-mass",
                   help="environment: continuous point mass (default) or discrete T-maze")
    p.add_argument("--out", type=out_dir, default=None,
                   help="output directory (default: runs/agent-ENV, one per environment)")
    p.add_argument(
        "--episodes",
        type=int,
        default=None,
        help="episodes (point mass, default 20) or trials (T-maze, default 120)",
    )
    p.add_argument(
        "--eval-trials",
        type=int,
        default=40,
        help="T-maze: final trials over which the success rate is measured",
    )
    p.add_argument(
        "--hardware",
        action="store_true",
        help="run the agent's linear maps (T-maze: A and B) as crossbar reads and book energy",
    )
    p.add_argument(
        "--device-noise",
        type=float,
        default=0.0,
        help="relative device non-ideality (d2d sigma, c2c fraction, Johnson read noise); "
        "point mass with --hardware: the run is repeated with ideal devices for comparison",
    )
    p.add_argument(
        "--learn",
        action="store_true",
        help="point mass: start with a wrong mass belief and learn the dynamics",
    )
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the environment, agent and device noise (default 0)")
    p.add_argument("--quiet", action="store_true", help="no per-episode progress lines")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from thermolearn.experiments.agent_run import AgentRunConfig, run_agent

    episodes = (
        args.episodes if args.episodes is not None else (20 if args.env == "point-mass" else 120)
    )
    cfg = AgentRunConfig(
        env=args.env,
        episodes=episodes,
        eval_trials=min(args.eval_trials, episodes),
        seed=args.seed,
        hardware=args.hardware,
        device_noise=args.device_noise,
        learn=args.learn,
    )
    if args.out is None:
        args.out = f"runs/agent-{args.env}"
    m = run_agent(cfg, args.out, progress=not args.quiet)
    for name, r in m["runs"].items():
        line = f"{name:15s} success {r['success_rate']:.2%}"
        if "energy_per_cycle_joules" in r:
            line += f"  energy/cycle {r['energy_per_cycle_joules']:.3e} J"
        print(line)
    print(f"metrics written to {args.out}/metrics.json")
    return 0

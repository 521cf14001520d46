"""Active inference in the T-maze: an agent learns where the reward is, then reads the cue first.

The agent knows the maze (where it is, what the cue arm shows) but not which arm pays in which
context. It learns that reward contingency by Dirichlet updates at the end of each trial. We
print how often it goes to the cue and then to the rewarded arm, early and late, and the
reward probabilities it has learned. Then the same agent runs with A and B on crossbars.
"""

import numpy as np

from thermolearn.algorithms.active_inference import TMazeEnv, make_tmaze_learner, run_tmaze_trial
from thermolearn.hardware import Hardware

rng = np.random.default_rng([0, 3])
agent = make_tmaze_learner(rng=rng)
env = TMazeEnv(rng=rng)

names = {0: "centre", 1: "left", 2: "right", 3: "cue"}
trials = [run_tmaze_trial(agent, env) for _ in range(120)]
for k in (0, 1, 2, 119):
    t = trials[k]
    path = " -> ".join(names[loc] for loc in t.locations)
    print(
        f"trial {k + 1:3d}: context {'left' if t.context == 0 else 'right'}: {path}"
        f"  {'rewarded' if t.rewarded else 'not rewarded'}"
    )
ok = np.array([t.cue_then_reward for t in trials])
print(
    f"cue then rewarded arm: trials 1-20 {ok[:20].mean():.0%}, trials 81-120 {ok[80:].mean():.0%}"
)
p = agent.A[1][1]  # p(reward | arm, context)
print("learned p(reward): left arm", np.round(p[1], 3), " right arm", np.round(p[2], 3))
print("free energy per step of the last trial (nats):", np.round(trials[-1].free_energy, 3))

# The same agent with its likelihood A and transitions B stored as crossbar conductances:
# every product with them is a read of the arrays, booked in the agent's energy ledger. On
# ideal crossbars it takes the same decisions as the digital agent (same seeds).
rng = np.random.default_rng([0, 3])
xbar = make_tmaze_learner(rng=rng, hardware=Hardware())
env = TMazeEnv(rng=rng)
xtrials = [run_tmaze_trial(xbar, env) for _ in range(40)]
same = all(a.locations == b.locations for a, b in zip(trials[:40], xtrials, strict=True))
print(f"on ideal crossbars: same paths as the digital agent in 40 trials: {same}")
print(
    f"crossbar energy: {xbar.ledger.total():.3e} J "
    f"({', '.join(f'{k} {v:.1e}' for k, v in sorted(xbar.ledger.breakdown().items()))})"
)

"""Environments of the discrete agent: the T-maze and a grid world, with their models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from thermolearn.errors import ParameterError
from thermolearn.validation import check_int, check_range

Array = NDArray[np.float64]

CENTRE, LEFT, RIGHT, CUE = 0, 1, 2, 3
NO_REWARD, REWARD, LOSS = 0, 1, 2


def tmaze_model(
    reward_prob: float = 0.98, *, absorbing_arms: bool = True
) -> tuple[list[Array], list[Array]]:
    """Likelihood and transition arrays of the T-maze [1]_.

    Factors: location (centre, left arm, right arm, cue arm) and context (reward on the left,
    reward on the right). Modalities: location (observed exactly), reward outcome (none,
    reward, loss) and cue (left, right). In the arms the reward appears with probability
    ``reward_prob`` in the arm the context names and with ``1 - reward_prob`` in the other; the
    cue arm shows the context exactly; the cue is uninformative elsewhere. Any location can be
    reached from the centre and the cue arm in one move; with ``absorbing_arms`` (the original
    design of [1]_) an agent that enters a reward arm stays there for the rest of the trial,
    otherwise (pymdp's ``TMazeEnv``) it may leave. The context never changes within a trial.

    References
    ----------
    .. [1] K. Friston, F. Rigoli, D. Ognibene, C. Mathys, T. Fitzgerald, G. Pezzulo, "Active
       inference and epistemic value", Cogn. Neurosci. 6(4), 187-214 (2015).

    Returns
    -------
    A : list of ndarray
        Shapes (4, 4, 2), (3, 4, 2), (2, 4, 2).
    B : list of ndarray
        Shapes (4, 4, 4) and (2, 2, 1).
    """
    check_range(reward_prob, "reward_prob", "tmaze_model", 0.0, 1.0)
    a_loc = np.zeros((4, 4, 2))
    a_rew = np.zeros((3, 4, 2))
    a_cue = np.zeros((2, 4, 2))
    for ctx in range(2):
        for loc in range(4):
            a_loc[loc, loc, ctx] = 1.0
            if loc in (CENTRE, CUE):
                a_rew[NO_REWARD, loc, ctx] = 1.0
            else:
                good = loc == ctx + 1
                a_rew[REWARD, loc, ctx] = reward_prob if good else 1.0 - reward_prob
                a_rew[LOSS, loc, ctx] = 1.0 - reward_prob if good else reward_prob
            if loc == CUE:
                a_cue[ctx, loc, ctx] = 1.0
            else:
                a_cue[:, loc, ctx] = 0.5
    b_loc = np.zeros((4, 4, 4))
    for u in range(4):
        b_loc[u, :, u] = 1.0
        if absorbing_arms:
            b_loc[:, LEFT, u] = 0.0
            b_loc[:, RIGHT, u] = 0.0
            b_loc[LEFT, LEFT, u] = 1.0
            b_loc[RIGHT, RIGHT, u] = 1.0
    b_ctx = np.eye(2).reshape(2, 2, 1)
    return [a_loc, a_rew, a_cue], [b_loc, b_ctx]


def tmaze_preferences(reward: float = 3.0, loss: float = -3.0) -> list[Array]:
    """Preferences C of the T-maze: indifferent to location and cue, ``reward``/``loss`` nats."""
    return [np.zeros(4), np.array([0.0, reward, loss]), np.zeros(2)]


def tmaze_reward_prior(
    A: Sequence[Array], reward_count: float = 1.0, loss_count: float = 1.0, known: float = 1e4
) -> list[Array]:
    """Dirichlet counts over A where only the reward contingency of the arms is unknown.

    In both arms and both contexts the reward and loss outcomes get ``reward_count`` and
    ``loss_count`` pseudo-counts (the same for every arm and context, so the prior says nothing
    about which arm pays in which context); every other entry of A is known, with ``known``
    times its probability as counts.
    """
    pA = [a * known for a in A]
    rew = A[1] * known
    for loc in (LEFT, RIGHT):
        rew[NO_REWARD, loc, :] = 0.0
        rew[REWARD, loc, :] = reward_count
        rew[LOSS, loc, :] = loss_count
    pA[1] = rew
    return pA


@dataclass
class TMazeEnv:
    """The T-maze world: the agent starts in the centre; the context is drawn each trial.

    Parameters
    ----------
    reward_prob : float
        Probability of reward in the arm named by the context.
    absorbing_arms : bool
        Whether the reward arms hold the agent once entered (see :func:`tmaze_model`).
    rng : numpy.random.Generator
        Source of the context and of reward outcomes.
    """

    reward_prob: float = 0.98
    absorbing_arms: bool = True
    rng: np.random.Generator = field(default_factory=np.random.default_rng)

    def __post_init__(self) -> None:
        self.A, self.B = tmaze_model(self.reward_prob, absorbing_arms=self.absorbing_arms)
        self.location = CENTRE
        self.context = 0

    def reset(self, context: int | None = None) -> list[int]:
        """Start a new trial (random context unless given); returns the first observation."""
        self.context = int(self.rng.integers(2)) if context is None else int(context)
        self.location = CENTRE
        return self.observe()

    def observe(self) -> list[int]:
        """Sample one outcome per modality from the current state."""
        return [
            int(self.rng.choice(a.shape[0], p=a[:, self.location, self.context])) for a in self.A
        ]

    def step(self, action: Sequence[int] | NDArray[np.int64]) -> list[int]:
        """Move as ``action[0]`` directs (arms may hold the agent); returns the observation."""
        self.location = int(np.argmax(self.B[0][:, self.location, int(action[0])]))
        return self.observe()

    @property
    def rewarded_arm(self) -> int:
        """The arm whose reward probability is ``reward_prob`` this trial."""
        return self.context + 1


GRID_ACTIONS = ("up", "down", "left", "right", "stay")


def grid_world_model(
    shape: tuple[int, int], *, obs_noise: float = 0.0
) -> tuple[list[Array], list[Array]]:
    """Likelihood and transitions of a grid world (one factor: the cell, row-major).

    Actions: up, down, left, right, stay; moves into a wall leave the agent in place. The cell
    is observed correctly with probability ``1 - obs_noise`` and otherwise as a uniformly
    drawn other cell.
    """
    rows = check_int(shape[0], "shape[0]", "grid_world_model", minimum=1)
    cols = check_int(shape[1], "shape[1]", "grid_world_model", minimum=1)
    check_range(obs_noise, "obs_noise", "grid_world_model", 0.0, 1.0, inclusive=(True, False))
    n = rows * cols
    if n == 1:
        a = np.ones((1, 1))
    else:
        a = np.full((n, n), obs_noise / (n - 1))
        np.fill_diagonal(a, 1.0 - obs_noise)
    b = np.zeros((n, n, len(GRID_ACTIONS)))
    moves = [(-1, 0), (1, 0), (0, -1), (0, 1), (0, 0)]
    for s in range(n):
        r, c = divmod(s, cols)
        for u, (dr, dc) in enumerate(moves):
            rr, cc = r + dr, c + dc
            if not (0 <= rr < rows and 0 <= cc < cols):
                rr, cc = r, c
            b[rr * cols + cc, s, u] = 1.0
    return [a], [b]


@dataclass
class GridWorldEnv:
    """A grid world: the agent moves deterministically; observations may be noisy.

    Parameters
    ----------
    shape : tuple of int
        (rows, cols).
    start, goal : int
        Start and goal cells (row-major indices).
    obs_noise : float
        Probability that the observed cell is wrong.
    rng : numpy.random.Generator
        Source of observation noise.
    """

    shape: tuple[int, int] = (3, 3)
    start: int = 0
    goal: int = 8
    obs_noise: float = 0.0
    rng: np.random.Generator = field(default_factory=np.random.default_rng)

    def __post_init__(self) -> None:
        self.A, self.B = grid_world_model(self.shape, obs_noise=self.obs_noise)
        n = self.shape[0] * self.shape[1]
        check_int(self.start, "start", "GridWorldEnv", minimum=0)
        check_int(self.goal, "goal", "GridWorldEnv", minimum=0)
        if self.start >= n or self.goal >= n:
            raise ParameterError(
                f"The 'start'/'goal' parameters of GridWorldEnv must be < {n}; "
                f"got {self.start}, {self.goal}."
            )
        self.state = self.start

    def reset(self) -> list[int]:
        """Back to the start cell; returns the observation."""
        self.state = self.start
        return self.observe()

    def observe(self) -> list[int]:
        """Sample the observed cell."""
        return [int(self.rng.choice(self.A[0].shape[0], p=self.A[0][:, self.state]))]

    def step(self, action: Sequence[int] | NDArray[np.int64]) -> list[int]:
        """Apply a move; returns the observation."""
        self.state = int(np.argmax(self.B[0][:, self.state, int(action[0])]))
        return self.observe()


def grid_preferences(shape: tuple[int, int], goal: int, *, scale: float = 1.0) -> list[Array]:
    """Preferences over observed cells: ``-scale`` x Manhattan distance to ``goal`` (nats)."""
    rows, cols = shape
    gr, gc = divmod(goal, cols)
    c = np.array([-(abs(s // cols - gr) + abs(s % cols - gc)) for s in range(rows * cols)], float)
    return [scale * c]


__all__ = [
    "CENTRE",
    "CUE",
    "GRID_ACTIONS",
    "LEFT",
    "LOSS",
    "NO_REWARD",
    "REWARD",
    "RIGHT",
    "GridWorldEnv",
    "TMazeEnv",
    "grid_preferences",
    "grid_world_model",
    "tmaze_model",
    "tmaze_preferences",
    "tmaze_reward_prior",
]

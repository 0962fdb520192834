# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Training windows over episodes resampled onto the policy clock (NumPy only).

A window at tick t of an episode pairs the observation at t with the strided chunk
a(t), a(t+S), ... (chunks.py defines the indices and the end-of-episode rule). With
an observation horizon T_o > 1 the window holds the observations at t - (T_o - 1) S, ...,
t - S, t (one chunk point apart); ticks before the episode's start repeat its first
observation. Batches are gathered with vectorized indexing: no per-item Python loop, no
DataLoader.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from nf_policy_ros.chunks import window_indices, window_starts
from nf_policy_ros.config import ActionConfig


@dataclass(frozen=True)
class Episode:
    """One demonstration on the policy clock (L ticks).

    :param images: (L, N_c, 3, H, W) uint8 RGB; N_c may be 0.
    :param state: (L, D_s) float32 joint positions [rad or m].
    :param actions: (L, D_a) float32 commanded joint positions [rad or m].
    :param name: where it came from (bag path, episode index).
    :param intervention: (L,) bool, True at the ticks an operator commanded the robot (a
        takeover); None = no tick (stored as all False).
    """

    images: np.ndarray
    state: np.ndarray
    actions: np.ndarray
    name: str = ''
    intervention: np.ndarray | None = None

    def __post_init__(self) -> None:
        length = len(self.state)
        flags = (np.zeros(length, bool) if self.intervention is None
                 else np.asarray(self.intervention, bool))
        if flags.shape != (length,):
            raise ValueError(f'episode {self.name!r}: intervention has shape {flags.shape}, '
                             f'state has {length} ticks: expected ({length},) bool')
        object.__setattr__(self, 'intervention', flags)
        for field_name in ('images', 'actions'):
            value = getattr(self, field_name)
            if len(value) != length:
                raise ValueError(f'episode {self.name!r}: {field_name} has {len(value)} ticks, '
                                 f'state has {length}: expected equal lengths')
        if self.images.ndim != 5 or self.images.dtype != np.uint8:
            raise ValueError(f'episode {self.name!r}: images have shape {self.images.shape} '
                             f'and dtype {self.images.dtype}: expected (L, N_c, 3, H, W) uint8')

    def __len__(self) -> int:
        return len(self.state)


@dataclass(frozen=True)
class BatchMix:
    """Windows [0, base) are demonstrations, [base, base + extra) corrections; every
    batch of B windows draws ``extra_count(B)`` of them from the corrections."""

    base: int
    extra: int
    fraction: float

    def extra_count(self, batch: int) -> int:
        """Corrections in a batch of ``batch`` windows: round(fraction * batch)."""
        return int(round(self.fraction * batch))


class WindowDataset:
    """All windows of a list of episodes; ``batch(indices)`` gathers stacked arrays.

    :param obs_horizon: observations per window, T_o (1 = the tick's own).
    """

    def __init__(self, episodes: list[Episode], actions: ActionConfig,
                 obs_horizon: int = 1) -> None:
        if not episodes:
            raise ValueError('no episodes: expected at least one')
        self.images = np.concatenate([e.images for e in episodes])
        self.state = np.concatenate([e.state for e in episodes]).astype(np.float32)
        self.actions = np.concatenate([e.actions for e in episodes]).astype(np.float32)
        self.intervention = np.concatenate([e.intervention for e in episodes])
        self._lengths = [len(e) for e in episodes]
        self._mix: tuple[int, float] | None = None
        self._index(actions, obs_horizon)

    @classmethod
    def mixed(cls, base: list[Episode], extra: list[Episode], actions: ActionConfig,
              fraction: float | None, obs_horizon: int = 1) -> WindowDataset:
        """The windows of ``base`` (demonstrations) and ``extra`` (corrections) episodes.

        :param fraction: share of every training batch drawn from ``extra``'s windows, in
            [0, 1] (``mix`` says how many); None = every window equally likely, whichever
            list it came from.
        """
        if fraction is not None and not 0.0 <= fraction <= 1.0:
            raise ValueError(f'extra fraction {fraction!r}: expected a number in [0, 1]')
        for name, group in (('base', base), ('extra', extra)):
            if fraction is not None and not group:
                raise ValueError(f'no {name} episodes: a batch mix needs episodes in both')
        data = cls(list(base) + list(extra), actions, obs_horizon)
        if fraction is not None:
            data._mix = (len(base), float(fraction))
        return data

    @property
    def episode_count(self) -> int:
        """Episodes the windows are cut from."""
        return len(self._lengths)

    @property
    def mix(self) -> BatchMix | None:
        """How batches split between base and extra windows (None: uniform draws)."""
        if self._mix is None:
            return None
        first_extra, fraction = self._mix
        split = int(sum(self._episode_windows[:first_extra]))
        return BatchMix(split, len(self) - split, fraction)

    def with_windows(self, actions: ActionConfig, obs_horizon: int = 1) -> WindowDataset:
        """The same episodes windowed with another chunk layout or observation horizon
        (the arrays are shared, not copied)."""
        out = copy.copy(self)
        out._index(actions, obs_horizon)
        return out

    def _index(self, actions: ActionConfig, obs_horizon: int) -> None:
        if obs_horizon < 1:
            raise ValueError(f'obs_horizon={obs_horizon!r}: expected >= 1')
        self.actions_config, self.obs_horizon = actions, obs_horizon
        offsets = np.cumsum([0] + self._lengths)
        starts, firsts, lengths = [], [], []
        for length, first in zip(self._lengths, offsets[:-1]):
            s = window_starts(length, actions)
            starts.append(s)
            firsts.append(np.full_like(s, first))
            lengths.append(np.full_like(s, length))
        self._episode_windows = [len(s) for s in starts]
        self._start = np.concatenate(starts)
        self._first = np.concatenate(firsts)
        self._length = np.concatenate(lengths)
        if len(self._start) == 0:
            raise ValueError(f'episodes of lengths {self._lengths} yield no '
                             f'window with padding={actions.padding!r}: expected longer '
                             'episodes or padding=repeat_last')

    def __len__(self) -> int:
        return len(self._start)

    def batch(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        """Windows ``indices`` (B,) -> images (B, N_c, 3, H, W) uint8, state (B, D_s),
        actions (B, T_a, D_a); with ``obs_horizon`` T_o > 1 images (B, T_o, N_c, 3, H, W)
        and state (B, T_o, D_s), oldest first."""
        indices = np.asarray(indices, dtype=np.int64)
        chunk = window_indices(self._start[indices], self._length[indices][:, None],
                               self.actions_config)
        chunk = chunk + self._first[indices][:, None]
        ticks = self._first[indices] + self._start[indices]
        if self.obs_horizon > 1:
            ticks = self._first[indices][:, None] + self.history_ticks(self._start[indices])
        return {'images': self.images[ticks], 'state': self.state[ticks],
                'actions': self.actions[chunk]}

    def history_ticks(self, start: np.ndarray) -> np.ndarray:
        """Episode ticks (B, T_o) of the observations of windows starting at ``start`` (B,):
        t - (T_o - 1) S, ..., t, clamped to the episode's first tick."""
        back = np.arange(self.obs_horizon - 1, -1, -1) * self.actions_config.stride
        return np.maximum(start[:, None] - back, 0)

    def action_step_rms(self) -> np.ndarray:
        """(D_a,) RMS change of each action dimension between two chunk points, a(t + S)
        - a(t) within an episode (robot units); zeros where no episode is longer than S."""
        stride = self.actions_config.stride
        offsets = np.cumsum([0] + self._lengths)
        steps = [self.actions[first + stride:first + length] - self.actions[first:first + length
                                                                             - stride]
                 for first, length in zip(offsets[:-1], self._lengths) if length > stride]
        if not steps:
            return np.zeros(self.actions.shape[1], np.float32)
        return np.sqrt(np.mean(np.square(np.concatenate(steps)), axis=0)).astype(np.float32)

    def statistics(self) -> dict[str, np.ndarray]:
        """Per-dimension mean, std, min and max of states and actions (robot units)."""
        return {'state_mean': self.state.mean(0), 'state_std': self.state.std(0),
                'state_low': self.state.min(0), 'state_high': self.state.max(0),
                'action_mean': self.actions.mean(0), 'action_std': self.actions.std(0),
                'action_low': self.actions.min(0), 'action_high': self.actions.max(0)}

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""What a dataset's actions say about how to model them (NumPy only): joints that mirror
another (a parallel gripper's two fingers) and joints whose commands take a few values (a
gripper open / closed). Found at conversion and reported, so the user can declare them as
``actions.mirror_dims`` / ``actions.discrete_dims``: a flow modelling an exact mirror or a
two-valued command puts unbounded density on it (docs/decisions.md, "Action
representation").
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# A mirror holds to this fraction of its source's range on every tick of every episode.
MIRROR_TOLERANCE = 1e-4
# A discrete joint takes at most this many values (each value within the tolerance).
MAX_DISCRETE_VALUES = 3


class Mirror(NamedTuple):
    """a[:, dim] == gain * a[:, source] on every tick."""

    dim: int
    source: int
    gain: float


class ActionLayout(NamedTuple):
    mirrors: list[Mirror]
    discrete: list[int]

    def to_meta(self) -> dict[str, list]:
        return {'mirrors': [list(m) for m in self.mirrors], 'discrete': self.discrete}

    def advice(self, joint_names: list[str]) -> str:
        """One line for the user: what was found and the settings that declare it ('' when
        nothing was found)."""
        if not self.mirrors and not self.discrete:
            return ''
        parts = [f'{joint_names[m.dim]} = {m.gain:g} * {joint_names[m.source]}'
                 for m in self.mirrors]
        parts += [f'{joint_names[d]} takes at most {MAX_DISCRETE_VALUES} values'
                  for d in self.discrete]
        settings = []
        if self.mirrors:
            settings.append(f'actions.mirror_dims={[m.dim for m in self.mirrors]} '
                            f'actions.mirror_sources={[m.source for m in self.mirrors]} '
                            f'actions.mirror_gains={[m.gain for m in self.mirrors]}')
        if self.discrete:
            settings.append(f'actions.discrete_dims={self.discrete} (with '
                            'train.dequantize_std)')
        return (f'action layout: {"; ".join(parts)}: declare with '
                + ' '.join(settings) + ' (docs/robot.md, "A gripper")')


def detect_layout(actions: np.ndarray) -> ActionLayout:
    """Mirrors and discrete joints of ``actions`` (N, D) [robot units], all episodes'
    ticks stacked. A joint that never moves is neither (it is the noise floor's case)."""
    span = np.ptp(actions, axis=0)
    moving = [d for d in range(actions.shape[1]) if span[d] > 0]
    mirrors: list[Mirror] = []
    for dim in moving:
        for source in moving:
            if source >= dim or source in {m.dim for m in mirrors}:
                continue
            gain = _mirror_gain(actions[:, source], actions[:, dim], span[source])
            if gain is not None:
                mirrors.append(Mirror(dim, source, gain))
                break
    mirrored = {m.dim for m in mirrors}
    discrete = [d for d in moving if d not in mirrored
                and _distinct_values(actions[:, d], span[d]) <= MAX_DISCRETE_VALUES]
    return ActionLayout(mirrors, discrete)


def _mirror_gain(source: np.ndarray, dim: np.ndarray, span: float) -> float | None:
    """+1 or -1 where ``dim`` equals that gain times ``source`` to MIRROR_TOLERANCE of the
    source's range, else None."""
    for gain in (1.0, -1.0):
        if np.max(np.abs(dim - gain * source)) <= MIRROR_TOLERANCE * span:
            return gain
    return None


def _distinct_values(values: np.ndarray, span: float) -> int:
    """How many values ``values`` takes, those closer than the tolerance counted once."""
    ordered = np.sort(values)
    return 1 + int(np.count_nonzero(np.diff(ordered) > MIRROR_TOLERANCE * span))

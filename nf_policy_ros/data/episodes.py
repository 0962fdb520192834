# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Bag streams -> episodes on the policy clock.

Each tick takes, per stream, the latest message received at or before it (never a later
one) if it is younger than the stream's max age. Ticks where any stream is missing or stale
are dropped and counted; an episode is cut there, so every episode is a run of consecutive
ticks and strided windows never jump over a hole. The action at tick t is the command topic
as of t, or, without a command topic, the robot's joint state at tick t+1.

With an intervention topic every tick carries the operator flag as of t (False where no flag
is fresh); with ``keep='interventions'`` only runs of flagged ticks become episodes, and a
bag without any is skipped (counted), not refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nf_policy_ros.config import DataConfig
from nf_policy_ros.data.bag import BagError, BagStreams, Stream
from nf_policy_ros.data.resample import asof_indices, policy_ticks, split_on_gaps
from nf_policy_ros.data.windows import Episode


@dataclass
class EpisodeReport:
    """What happened to one bag: episodes made, ticks dropped, things skipped."""

    bag: str
    episodes: int = 0
    ticks: int = 0
    dropped_ticks: int = 0
    short_segments_skipped: int = 0
    intervention_ticks: int = 0
    skipped_messages: dict[str, int] = field(default_factory=dict)


def segments(streams: BagStreams, config: DataConfig) -> list[tuple[int, int]]:
    """[start, end] receive-time ranges [ns] of the episodes in a bag."""
    stamps = streams.joints.stamps_ns
    if len(stamps) == 0:
        raise BagError(f'bag {str(streams.path)!r}, topic {streams.joints.topic!r}: no usable '
                       'joint state message; expected at least one')
    if config.episode_split == 'gap':
        return [(int(stamps[a]), int(stamps[b - 1]))
                for a, b in split_on_gaps(stamps, config.gap_s)]
    if config.episode_split == 'topic':
        cuts = [int(stamps[0]), *[int(m) for m in streams.markers], int(stamps[-1]) + 1]
        return [(a, b - 1) for a, b in zip(cuts[:-1], cuts[1:]) if b - 1 > a]
    return [(int(stamps[0]), int(stamps[-1]))]


def _asof(stream: Stream, ticks: np.ndarray, max_age_s: float) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    idx, valid = asof_indices(stream.stamps_ns, ticks, max_age_s)
    return stream.values[idx] if len(stream.values) else None, valid


def _observe(streams: BagStreams, config: DataConfig, ticks: np.ndarray):
    """Per-tick images (T, N_c, 3, H, W), state (T, D), action (T, D) and validity (T,)."""
    state, valid = _asof(streams.joints, ticks, config.max_joint_age_s)
    frames = []
    for camera in streams.cameras:
        images, ok = _asof(camera, ticks, config.max_image_age_s)
        valid &= ok
        frames.append(images if images is not None
                      else np.zeros((len(ticks), *camera.values.shape[1:]), np.uint8))
    if streams.action is not None:
        action, ok = _asof(streams.action, ticks, config.max_joint_age_s)
        valid &= ok
    else:  # the next tick's measured state; the last tick has none
        action = np.concatenate([state[1:], state[-1:]])
        next_ok = np.concatenate([valid[1:], [False]])
        valid &= next_ok
    if state is None or action is None:
        valid[:] = False
    images = (np.stack(frames, axis=1) if frames else
              np.zeros((len(ticks), 0, 3, 1, 1), np.uint8))
    return images, state, action, valid


def _flags(streams: BagStreams, config: DataConfig, ticks: np.ndarray) -> np.ndarray:
    """(T,) bool operator flag as of each tick; False where no flag is fresh."""
    stream = streams.intervention
    if stream is None or len(stream.stamps_ns) == 0:
        return np.zeros(len(ticks), bool)
    idx, fresh = asof_indices(stream.stamps_ns, ticks, config.intervention_max_age_s)
    return stream.values[idx] & fresh


def _runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index ranges of consecutive True values."""
    edges = np.diff(np.concatenate([[0], valid.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def build_episodes(streams: BagStreams, config: DataConfig) -> tuple[list[Episode],
                                                                      EpisodeReport]:
    """Cut a bag's streams into episodes of consecutive valid ticks (of consecutive valid
    flagged ticks with ``config.keep == 'interventions'``)."""
    report = EpisodeReport(bag=str(streams.path), skipped_messages=dict(streams.skipped))
    episodes: list[Episode] = []
    for seg, (start, end) in enumerate(segments(streams, config)):
        ticks = policy_ticks(start, end, config.fps)
        images, state, action, valid = _observe(streams, config, ticks)
        flags = _flags(streams, config, ticks)
        report.dropped_ticks += int((~valid).sum())
        keep = valid & flags if config.keep == 'interventions' else valid
        for a, b in _runs(keep):
            if b - a < config.min_episode_ticks:
                report.short_segments_skipped += 1
                continue
            name = f'{streams.path.name}#{seg}:{a}'
            episodes.append(Episode(images[a:b], state[a:b], action[a:b], name, flags[a:b]))
            report.ticks += int(b - a)
            report.intervention_ticks += int(flags[a:b].sum())
    report.episodes = len(episodes)
    if not episodes and config.keep != 'interventions':
        raise BagError(f'bag {str(streams.path)!r}: no episode of at least '
                       f'{config.min_episode_ticks} ticks with all of '
                       f'{[c.topic for c in streams.cameras] + [streams.joints.topic]} fresh '
                       f'(dropped {report.dropped_ticks} ticks): check topics, rates and '
                       'data.max_*_age_s')
    return episodes, report

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""As-of resampling of message streams onto the policy clock (never a future message)."""

from __future__ import annotations

import numpy as np


def policy_ticks(start_ns: int, end_ns: int, fps: float) -> np.ndarray:
    """Tick times (T,) [ns] from ``start_ns`` to ``end_ns`` inclusive at ``fps``."""
    period = 1e9 / fps
    count = int(np.floor((end_ns - start_ns) / period)) + 1
    return start_ns + np.round(np.arange(max(count, 0)) * period).astype(np.int64)


def asof_indices(stamps_ns: np.ndarray, ticks_ns: np.ndarray,
                 max_age_s: float) -> tuple[np.ndarray, np.ndarray]:
    """For each tick, the index of the latest message at or before it, and whether it is
    fresh enough.

    :param stamps_ns: (N,) non-decreasing message times [ns].
    :param ticks_ns: (T,) tick times [ns].
    :param max_age_s: a message older than this at the tick does not count [s].
    :returns: indices (T,) into the stream (0 where none) and valid (T,) bool.
    """
    idx = np.searchsorted(stamps_ns, ticks_ns, side='right') - 1
    has = idx >= 0
    idx = np.maximum(idx, 0)
    age_ns = ticks_ns - stamps_ns[idx] if len(stamps_ns) else np.full(len(ticks_ns), np.inf)
    valid = has & (age_ns <= max_age_s * 1e9)
    return idx, valid


def split_on_gaps(stamps_ns: np.ndarray, gap_s: float) -> list[tuple[int, int]]:
    """[start, end) index ranges of runs whose consecutive stamps are < ``gap_s`` apart."""
    if len(stamps_ns) == 0:
        return []
    breaks = np.flatnonzero(np.diff(stamps_ns) >= gap_s * 1e9) + 1
    edges = [0, *breaks.tolist(), len(stamps_ns)]
    return list(zip(edges[:-1], edges[1:]))

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Rolling statistics the policy node reports on /diagnostics (thread-safe, no ROS)."""

from __future__ import annotations

from collections import Counter, deque
import threading
import time

import numpy as np


class RollingStats:
    """Named timing series [ms] (last ``window`` samples each), event counts, and the rate
    of published plans over the last ``rate_window_s`` seconds."""

    def __init__(self, window: int = 200, rate_window_s: float = 5.0) -> None:
        self._window = window
        self._series: dict[str, deque[float]] = {}
        self._events: deque[float] = deque()
        self._rate_window_s = rate_window_s
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, name: str, ms: float) -> None:
        """One sample of timing series ``name`` [ms]."""
        with self._lock:
            self._series.setdefault(name, deque(maxlen=self._window)).append(ms)

    def count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counts[key] += n

    def tick(self) -> None:
        """Record one published plan (for the rate)."""
        now = time.monotonic()
        with self._lock:
            self._events.append(now)
            while self._events and now - self._events[0] > self._rate_window_s:
                self._events.popleft()

    def summary(self) -> dict[str, float]:
        now = time.monotonic()
        with self._lock:
            series = {k: np.asarray(v) for k, v in self._series.items() if v}
            recent = [t for t in self._events if now - t <= self._rate_window_s]
            counts = dict(self.counts)
        out: dict[str, float] = {f'count.{k}': v for k, v in sorted(counts.items())}
        out['plan_rate_hz'] = round(len(recent) / self._rate_window_s, 2)
        for name, values in sorted(series.items()):
            out[f'{name}_p50_ms'] = round(float(np.percentile(values, 50)), 3)
            out[f'{name}_p95_ms'] = round(float(np.percentile(values, 95)), 3)
        return out

    def reset(self) -> None:
        with self._lock:
            self._series.clear()
            self._events.clear()
            self.counts.clear()

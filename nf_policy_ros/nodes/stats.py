# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Rolling statistics the policy node reports on /diagnostics (thread-safe, no ROS)."""

from __future__ import annotations

from collections import Counter, deque
import threading
import time

import numpy as np


class RollingStats:
    """Latencies [ms] and event times over the last ``window`` samples / seconds."""

    def __init__(self, window: int = 200, rate_window_s: float = 5.0) -> None:
        self._latency: deque[float] = deque(maxlen=window)
        self._events: deque[float] = deque()
        self._rate_window_s = rate_window_s
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add_latency(self, ms: float) -> None:
        with self._lock:
            self._latency.append(ms)

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
            latency = np.asarray(self._latency)
            recent = [t for t in self._events if now - t <= self._rate_window_s]
            counts = dict(self.counts)
        out = {f'count.{k}': v for k, v in sorted(counts.items())}
        out['plan_rate_hz'] = round(len(recent) / self._rate_window_s, 2)
        if latency.size:
            out['latency_p50_ms'] = round(float(np.percentile(latency, 50)), 2)
            out['latency_p95_ms'] = round(float(np.percentile(latency, 95)), 2)
        return out

    def reset(self) -> None:
        with self._lock:
            self._latency.clear()
            self._events.clear()
            self.counts.clear()

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""builtin_interfaces time messages from Python numbers."""

from __future__ import annotations

from builtin_interfaces.msg import Duration


def duration(seconds: float) -> Duration:
    """A Duration of ``seconds`` [s] >= 0, rounded to the nanosecond."""
    whole = int(seconds)
    return Duration(sec=whole, nanosec=int(round((seconds - whole) * 1e9)))

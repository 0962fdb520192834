# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Confidence-trace plots shared by `evaluate` (ROS runs) and the confidence benchmark."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    return plt


def draw_confidence_traces(ax, successes: Sequence[bool], traces: Sequence[Sequence[float]],
                           xlabel: str = 'plan index (one per re-plan)') -> None:
    """One line per episode: confidence [0-1] per plan, green success, red failure."""
    for success, trace in zip(successes, traces):
        ax.plot(trace, color='tab:green' if success else 'tab:red', alpha=0.7, lw=1)
    ax.set(xlabel=xlabel, ylabel='confidence [0-1]', ylim=(-0.02, 1.02))


def save(fig, path: Path, dpi: int) -> None:
    """Write ``fig`` to ``path`` (parents created) and free it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)

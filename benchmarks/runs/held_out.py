# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The held-out NLL an NF-P training logged (its metrics.csv, ``val/nll_per_dim``): what a
record says of the train / held-out gap and of how the held-out NLL moves with training."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from benchmarks.protocol import kinds, networks

VAL_METRIC = 'val/nll_per_dim'


def val_curve(folder: Path) -> list[list[float]]:
    """[[step, held-out NLL per action dimension [nats]], ...] from ``folder``/metrics.csv,
    in step order ([] without one: no validation set, or a network without likelihood)."""
    path = folder / 'metrics.csv'
    if not path.exists():
        return []
    with path.open() as f:
        rows = [r for r in csv.DictReader(f) if r['name'] == VAL_METRIC]
    by_step = {int(r['step']): round(float(r['value']), 4) for r in rows}  # last write wins
    return [[step, by_step[step]] for step in sorted(by_step)]


def val_nll_at(curve: list[list[float]], step: int) -> float | None:
    """The held-out NLL logged at ``step`` (None if it was not)."""
    return next((nll for s, nll in curve if s == step), None)


def held_out_fields(run_dir: Path | None, kind: str, val_demos: int) -> dict[str, Any]:
    """What a tier's record says of the held-out demos: the held-out NLL curve the training
    of ``kind`` logged in its tier run directory ``run_dir`` and how many demos were held
    out ({} where none was logged: no validation set, or a network without likelihood)."""
    resume = networks.of(kinds.get(kind)).tier_resume
    if run_dir is None or resume is None:
        return {}
    curve = val_curve(run_dir / resume.parent)
    return {'val_curve': curve, 'val_demos': val_demos} if curve else {}

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Training wall-clock that adds up over sessions: a run directory's train_seconds.json
maps each saved step to the seconds of training [s] it took to reach it, so a training
resumed in a later session, or loaded by another sampler's job, reports its whole time."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.pages import records


class TrainClock:
    """Training wall-clock [s] at the steps a run was saved (<run>/train_seconds.json).
    None: not measured (a run saved before the clock, or one killed between saves)."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / 'train_seconds.json'
        self.seconds = self._read()

    def _read(self) -> dict[str, float | None]:
        return json.loads(self.path.read_text()) if self.path.exists() else {'0': 0.0}

    def at(self, step: int) -> float | None:
        return 0.0 if step == 0 else self.seconds.get(str(step))

    def record(self, step: int, seconds: float | None) -> None:
        """Add (step, seconds) to what the file holds now (another clock may have written)."""
        self.seconds = {**self._read(), str(step): seconds}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        records.write_text(self.path, json.dumps(self.seconds))

    def advance(self, before: int, after: int, seconds: float) -> float | None:
        """The training time to reach step ``after``, when ``seconds`` [s] of training here
        took the run from its saved step ``before`` to ``after`` (recorded); with ``after``
        == ``before`` nothing was trained here (a finished run loaded): the time recorded
        for it. None when the time to reach ``before`` was not measured."""
        self.seconds = self._read()
        if after == before:
            return self.at(after)
        base = self.at(before)
        total = None if base is None else base + seconds
        self.record(after, total)
        return total

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Pieces of the training loop that are not the step itself: devices, DDP, batches, logs.

Exact resume needs no saved RNG state: the batch indices and augmentation of step k are
drawn from generators seeded by (seed, k, rank), so steps k.. replay identically.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from nf_policy_ros.data.windows import BatchMix
from nf_policy_ros.structs import Observation

_STEP_SEED_STRIDE = 1_000_003


def pick_device(name: str = 'auto') -> torch.device:
    """'auto' -> cuda:LOCAL_RANK when CUDA is available, else cpu."""
    if name == 'auto':
        if torch.cuda.is_available():
            return torch.device('cuda', int(os.environ.get('LOCAL_RANK', 0)))
        return torch.device('cpu')
    return torch.device(name)


def init_distributed(device: torch.device) -> tuple[int, int]:
    """Join the process group when started by torchrun (WORLD_SIZE > 1); (rank, world)."""
    world = int(os.environ.get('WORLD_SIZE', '1'))
    if world <= 1:
        return 0, 1
    if not dist.is_initialized():
        backend = 'nccl' if device.type == 'cuda' else 'gloo'
        dist.init_process_group(backend=backend)
    return dist.get_rank(), dist.get_world_size()


def step_generator(seed: int, step: int, rank: int = 0) -> torch.Generator:
    """CPU generator for step ``step`` on ``rank``: the only randomness of a step."""
    return torch.Generator().manual_seed(seed * _STEP_SEED_STRIDE + step * 97 + rank)


def batch_indices(num_windows: int, global_batch: int, seed: int, step: int, rank: int,
                  world: int, mix: BatchMix | None = None) -> np.ndarray:
    """This rank's share (global_batch // world,) of step ``step``'s window indices: drawn
    uniformly, or with ``mix`` exactly ``mix.extra_count(global_batch)`` of the global
    batch from the extra windows and the rest from the base ones, in random order."""
    gen = step_generator(seed, step, rank=-1)
    if mix is None:
        idx = torch.randint(num_windows, (global_batch,), generator=gen).numpy()
    else:
        idx = _mixed_indices(mix, global_batch, gen)
    per_rank = max(1, global_batch // world)
    return idx[rank * per_rank:(rank + 1) * per_rank]


def _mixed_indices(mix: BatchMix, global_batch: int, gen: torch.Generator) -> np.ndarray:
    """(global_batch,) indices: the extra windows' share, then the base ones', shuffled."""
    extra = mix.extra_count(global_batch)
    base_idx = torch.randint(max(mix.base, 1), (global_batch - extra,), generator=gen)
    extra_idx = mix.base + torch.randint(max(mix.extra, 1), (extra,), generator=gen)
    both = torch.cat([extra_idx, base_idx])
    return both[torch.randperm(global_batch, generator=gen)].numpy()


def batch_to_device(batch: dict[str, np.ndarray],
                    device: torch.device) -> tuple[torch.Tensor, Observation]:
    """Numpy batch -> (actions (B, T_a, D_a), Observation with images scaled to [0, 1])."""
    images = torch.from_numpy(batch['images']).to(device).float().div_(255.0)
    state = torch.from_numpy(batch['state']).to(device)
    actions = torch.from_numpy(batch['actions']).to(device)
    return actions, Observation(images=images, state=state)


class MetricsLog:
    """Append-only CSV (``metrics.csv``) plus TensorBoard scalars (``tb/``) when available.

    A run that starts at ``start_step`` (0 for a new run, the step of last.pt on resume)
    first drops the rows logged after that step (a run killed after its last checkpoint
    logged steps that the resumed run logs again) and any row a kill cut short;
    TensorBoard purges those steps the same way.
    """

    def __init__(self, out_dir: Path, enabled: bool, start_step: int = 0) -> None:
        self.enabled = enabled
        self._csv = None
        self._tb = None
        if not enabled:
            return
        self._csv_path = out_dir / 'metrics.csv'
        keep_rows_up_to(self._csv_path, start_step)
        try:
            from torch.utils.tensorboard import SummaryWriter
            self._tb = SummaryWriter(str(out_dir / 'tb'), purge_step=start_step + 1)
        except ImportError:  # tensorboard is optional at run time
            self._tb = None

    def write(self, step: int, metrics: dict[str, float]) -> None:
        if not self.enabled:
            return
        row = {'step': step, **metrics}
        new = not self._csv_path.exists()
        with self._csv_path.open('a', newline='') as f:
            writer = csv.writer(f)
            if new:
                writer.writerow(['step', 'name', 'value'])
            for name, value in metrics.items():
                writer.writerow([step, name, f'{value:.6g}'])
        if self._tb is not None:
            for name, value in row.items():
                if name != 'step':
                    self._tb.add_scalar(name, value, step)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()


def _logged_step(row: list[str]) -> int | None:
    """The step of a complete ``step,name,value`` row; None for a cut or foreign row."""
    try:
        return int(row[0]) if len(row) == 3 and row[2] else None
    except ValueError:
        return None


def keep_rows_up_to(path: Path, step: int) -> None:
    """Rewrite the metrics CSV at ``path`` (if any) without the rows of steps after
    ``step`` or that are incomplete; replaced atomically, untouched if nothing goes."""
    if not path.is_file():
        return
    with path.open(newline='') as f:
        header, *rows = list(csv.reader(f)) or [[]]
    kept = [row for row in rows if (logged := _logged_step(row)) is not None
            and logged <= step]
    if len(kept) == len(rows):
        return
    tmp = path.with_suffix('.csv.tmp')
    with tmp.open('w', newline='') as f:
        csv.writer(f).writerows([header or ['step', 'name', 'value'], *kept])
    os.replace(tmp, path)


def training_state(step: int, policy: torch.nn.Module, optimizer: torch.optim.Optimizer,
                   ema: torch.nn.Module | None) -> dict[str, Any]:
    """Everything needed to resume at ``step`` (plain tensors and numbers only)."""
    state = {'step': step, 'optimizer': optimizer.state_dict(),
             'model': {k: v.detach().cpu() for k, v in policy.state_dict().items()}}
    if ema is not None:
        state['ema'] = {k: v.detach().cpu() for k, v in ema.state_dict().items()}
    return state

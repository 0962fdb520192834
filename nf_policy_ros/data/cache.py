# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Dataset cache: one ``.npz`` per episode plus ``meta.json`` describing where it came from.

    dataset/
      meta.json            fps, joint names, topics, image size, source bags (+ sha256),
                           per-bag reports (dropped ticks, skipped messages)
      episodes/000000.npz  images (L, N_c, 3, H, W) uint8, state (L, D), actions (L, D)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from nf_policy_ros.data.windows import Episode

META = 'meta.json'
FORMAT = 'nf_policy_ros.dataset'
FORMAT_VERSION = 1


class DatasetError(ValueError):
    """A dataset directory is missing, incomplete, or does not match the config."""


def hash_directory(path: Path) -> str:
    """sha256 over the names and contents of every file in a bag directory."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob('*') if p.is_file()):
        digest.update(str(file.relative_to(path)).encode())
        with file.open('rb') as f:
            for block in iter(lambda: f.read(1 << 23), b''):
                digest.update(block)
    return digest.hexdigest()


def write_dataset(out_dir: Path, episodes: list[Episode], meta: dict[str, Any],
                  overwrite: bool = False) -> None:
    """Write episodes and ``meta`` (plus format fields and episode names)."""
    if (out_dir / META).exists() and not overwrite:
        raise DatasetError(f'{str(out_dir)!r} already holds a dataset: pass --overwrite or '
                           'choose another directory')
    folder = out_dir / 'episodes'
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob('*.npz'):
        old.unlink()
    names = []
    for i, episode in enumerate(episodes):
        np.savez(folder / f'{i:06d}.npz', images=episode.images, state=episode.state,
                 actions=episode.actions)
        names.append(episode.name)
    full = {'format': FORMAT, 'format_version': FORMAT_VERSION, **meta,
            'episodes': names, 'num_episodes': len(episodes)}
    (out_dir / META).write_text(json.dumps(full, indent=1) + '\n')


def read_meta(data_dir: Path) -> dict[str, Any]:
    path = data_dir / META
    if not path.exists():
        raise DatasetError(f'{str(data_dir)!r} has no {META}: expected a directory written '
                           'by bag_to_dataset')
    meta = json.loads(path.read_text())
    if meta.get('format') != FORMAT or meta.get('format_version') != FORMAT_VERSION:
        raise DatasetError(f'{str(path)!r}: format {meta.get("format")!r} version '
                           f'{meta.get("format_version")!r}; expected {FORMAT} {FORMAT_VERSION}')
    return meta


def load_dataset(data_dir: str | Path) -> tuple[list[Episode], dict[str, Any]]:
    """All episodes and the meta of a dataset directory."""
    data_dir = Path(data_dir)
    meta = read_meta(data_dir)
    episodes = []
    for i, name in enumerate(meta['episodes']):
        path = data_dir / 'episodes' / f'{i:06d}.npz'
        if not path.exists():
            raise DatasetError(f'{str(path)!r} is missing: the dataset is incomplete')
        with np.load(path) as data:
            episodes.append(Episode(data['images'], data['state'], data['actions'], name))
    return episodes, meta


def split_episodes(episodes: list[Episode], val_fraction: float,
                   seed: int) -> tuple[list[Episode], list[Episode]]:
    """Episode-level split (no window of a validation episode is trained on).

    With fewer than 2 episodes everything is training data and validation is empty.
    """
    if len(episodes) < 2:
        return list(episodes), []
    order = np.random.default_rng(seed).permutation(len(episodes))
    n_val = min(len(episodes) - 1, max(1, round(val_fraction * len(episodes))))
    val = set(order[:n_val].tolist())
    return ([e for i, e in enumerate(episodes) if i not in val],
            [e for i, e in enumerate(episodes) if i in val])

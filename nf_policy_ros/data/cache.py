# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Dataset cache: one ``.npz`` per episode plus ``meta.json`` describing where it came from.

    dataset/
      meta.json            fps, joint names, topics, image size, source bags (+ sha256),
                           per-bag reports (dropped ticks, skipped messages)
      episodes/000000.npz  images (L, N_c, 3, H, W) uint8, state (L, D), actions (L, D),
                           intervention (L,) bool (operator-commanded ticks; files without
                           it, written before it existed, load as all False)
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
                 actions=episode.actions, intervention=episode.intervention)
        names.append(episode.name)
    full = {'format': FORMAT, 'format_version': FORMAT_VERSION, **meta,
            'episodes': names, 'num_episodes': len(episodes)}
    (out_dir / META).write_text(json.dumps(full, indent=1) + '\n')


WRITTEN_BY = 'as bag_to_dataset writes it (convert the bags again)'


def _is_names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# meta.json fields training reads: (check, what is expected)
META_FIELDS: dict[str, tuple[Any, str]] = {
    'fps': (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0,
            'a number > 0 [Hz]'),
    'joint_names': (lambda v: _is_names(v) and len(v) > 0, 'a non-empty list of names'),
    'camera_topics': (_is_names, 'a list of topic names'),
    'image_size': (lambda v: isinstance(v, list) and len(v) == 2 and all(
        isinstance(n, int) and n > 0 for n in v), '[height, width] in pixels'),
    'episodes': (_is_names, 'a list of episode names'),
    'bags': (lambda v: isinstance(v, list) and all(
        isinstance(b, dict) and 'path' in b and 'sha256' in b for b in v),
        'a list of {path, sha256, ...}'),
}
TRAINING_FIELDS = tuple(META_FIELDS)  # what tools/train.py reads


def read_meta(data_dir: Path, required: tuple[str, ...] = ('episodes',)) -> dict[str, Any]:
    """meta.json of a dataset directory, checked: the format, the ``required`` fields, and
    the type of every field of META_FIELDS it has. Missing, unreadable or malformed: a
    DatasetError, one line naming the file, the field and what is expected."""
    path = data_dir / META
    if not path.exists():
        raise DatasetError(f'{str(data_dir)!r} has no {META}: expected a directory written '
                           'by bag_to_dataset')
    try:
        meta = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f'{str(path)!r} cannot be read ({" ".join(str(exc).split())}): '
                           f'expected JSON, {WRITTEN_BY}') from exc
    if not isinstance(meta, dict):
        raise DatasetError(f'{str(path)!r}: top level is a {type(meta).__name__}: expected a '
                           'JSON object')
    if meta.get('format') != FORMAT or meta.get('format_version') != FORMAT_VERSION:
        raise DatasetError(f'{str(path)!r}: format {meta.get("format")!r} version '
                           f'{meta.get("format_version")!r}; expected {FORMAT} {FORMAT_VERSION}')
    for name, (check, expected) in META_FIELDS.items():
        if name not in meta and name in required:
            raise DatasetError(f'{str(path)!r} has no field {name!r}: expected {expected}')
        if name in meta and not check(meta[name]):
            raise DatasetError(f'{str(path)!r}: field {name!r} is {meta[name]!r}: expected '
                               f'{expected}')
    return meta


def _expected_shapes(meta: dict[str, Any], length: int) -> dict[str, tuple]:
    """Shapes of an episode's arrays as far as ``meta`` says (None = any size)."""
    height, width = meta.get('image_size', (None, None))
    cameras = len(meta['camera_topics']) if 'camera_topics' in meta else None
    if cameras == 0:  # state only: no image, whatever size bag_to_dataset gave the empty array
        height = width = None
    joints = len(meta['joint_names']) if 'joint_names' in meta else None
    return {'images': (length, cameras, 3, height, width), 'state': (length, joints),
            'actions': (length, joints)}


def read_episode(path: Path, name: str, meta: dict[str, Any]) -> Episode:
    """One episode file, checked against ``meta``: images (L, N_c, 3, H, W) uint8, state and
    actions (L, D), with N_c cameras, (H, W) = image_size and D joints where meta has them;
    intervention (L,) bool if the file has it, else all False."""
    if not path.exists():
        raise DatasetError(f'{str(path)!r} is missing: the dataset is incomplete; expected '
                           f'every episode {META} lists, {WRITTEN_BY}')
    try:
        with np.load(path) as data:
            arrays = {key: data[key] for key in ('images', 'state', 'actions')}
            flags = data['intervention'] if 'intervention' in data.files else None
    except Exception as exc:  # zipfile, EOF, pickle and key errors all mean a broken file
        raise DatasetError(f'{str(path)!r} cannot be read ({type(exc).__name__}: '
                           f'{" ".join(str(exc).split())}): expected an .npz with images, '
                           f'state and actions, {WRITTEN_BY}') from exc
    for key, shape in _expected_shapes(meta, len(arrays['state'])).items():
        have = arrays[key].shape
        if len(have) != len(shape) or any(w is not None and h != w for h, w in zip(have,
                                                                                  shape)):
            wanted = '(' + ', '.join('any' if w is None else str(w) for w in shape) + ')'
            raise DatasetError(f'{str(path)!r}: {key} has shape {have}: expected {wanted} '
                               f'(episode length; cameras, image_size, joints of {META})')
    if arrays['images'].dtype != np.uint8:
        raise DatasetError(f'{str(path)!r}: images are {arrays["images"].dtype}: expected '
                           'uint8')
    if flags is not None and flags.shape != (len(arrays['state']),):
        raise DatasetError(f'{str(path)!r}: intervention has shape {flags.shape}: expected '
                           f"({len(arrays['state'])},) (one flag per tick), {WRITTEN_BY}")
    return Episode(arrays['images'], arrays['state'], arrays['actions'], name, flags)


def load_dataset(data_dir: str | Path, required: tuple[str, ...] = ('episodes',)
                 ) -> tuple[list[Episode], dict[str, Any]]:
    """All episodes and the meta of a dataset directory (``required``: meta fields that
    must be there, TRAINING_FIELDS for training). A missing or corrupt part is a
    DatasetError naming the file and what was expected."""
    data_dir = Path(data_dir)
    meta = read_meta(data_dir, required)
    episodes = [read_episode(data_dir / 'episodes' / f'{i:06d}.npz', name, meta)
                for i, name in enumerate(meta['episodes'])]
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

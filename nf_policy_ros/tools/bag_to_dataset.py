# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""bag_to_dataset: rosbag2 recordings -> a dataset cache for training.

    bag_to_dataset demos/ --config config/train.yaml --out data/pick
    bag_to_dataset demos/ep_001 demos/ep_002 --set data.fps=15 --out data/pick

Corrections from takeovers (HG-DAgger): with ``data.intervention_topic`` (the policy node's
``/nf_policy/intervention``) each tick keeps the operator flag; ``--set
data.keep=interventions`` keeps only the operator-commanded runs of ticks.

A path holding metadata.yaml is a bag; any other directory contributes the bags directly
inside it. Every bag must have the configured topics (other channels, e.g. service events,
are ignored); the first bad bag stops the run with one line naming the bag, topic and field,
exit code 2, and nothing written. ``--out`` is checked before any bag is read. Ctrl-C writes
nothing and exits with 130.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
import shutil
import sys
from typing import Any

import numpy as np
from tqdm import tqdm

from nf_policy_ros.config import NFPConfig
from nf_policy_ros.data.action_layout import ActionLayout, Mirror, detect_layout
from nf_policy_ros.data.bag import BagError, bag_outcome, read_bag
from nf_policy_ros.data.cache import META, DatasetError, hash_directory, write_dataset
from nf_policy_ros.data.episodes import build_episodes
from nf_policy_ros.node_config.train import NODE_ONLY_KEYS
from nf_policy_ros.tools.cli import check_output_dir, report
from nf_policy_ros.tools.config_file import add_config_arguments, load_config


def find_bags(paths: list[str]) -> list[Path]:
    """Bag directories named by ``paths`` (each a bag, or a folder of bags), sorted."""
    bags: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if (path / 'metadata.yaml').exists():
            bags.append(path)
        elif path.is_dir():
            found = sorted(p for p in path.iterdir() if (p / 'metadata.yaml').exists())
            if not found:
                raise BagError(f'{raw!r} holds no rosbag2 directory (no metadata.yaml)')
            bags.extend(found)
        else:
            raise BagError(f'bag {raw!r}: not a directory; expected a rosbag2 directory')
    return bags


def convert(bags: list[Path], config: NFPConfig, progress: bool = True):
    """Episodes of every bag and the dataset meta (provenance + per-bag reports)."""
    size = (config.encoder.image_height, config.encoder.image_width)
    episodes, sources = [], []
    for bag in tqdm(bags, desc='bags', unit='bag', disable=not progress):
        if config.data.skip_failures and bag_outcome(bag) == 'failure':
            sources.append({'path': str(bag.resolve()), 'sha256': hash_directory(bag),
                            'skipped': 'labelled failure'})
            continue
        made, report = build_episodes(read_bag(bag, config.data, size), config.data)
        episodes.extend(made)
        sources.append({'path': str(bag.resolve()), 'sha256': hash_directory(bag),
                        'report': asdict(report)})
    meta: dict[str, Any] = {
        'fps': config.data.fps, 'joint_names': list(config.data.joint_names),
        'camera_topics': list(config.data.camera_topics),
        'joint_state_topic': config.data.joint_state_topic,
        'action_topic': config.data.action_topic, 'image_size': list(size),
        'intervention_topic': config.data.intervention_topic, 'keep': config.data.keep,
        'bags': sources,
    }
    if not episodes and config.data.keep == 'interventions':
        skipped = sum('skipped' in s for s in sources)
        why = (f' ({skipped} labelled failure skipped: data.skip_failures=false keeps the '
               "operator's ticks of failed episodes)" if skipped else '')
        raise BagError(f'data.keep=interventions: no run of at least '
                       f'{config.data.min_episode_ticks} ticks flagged on '
                       f'{config.data.intervention_topic!r} in {len(bags)} bag(s){why}: '
                       'expected bags recorded during takeovers (or data.keep=episodes)')
    if episodes:
        meta['action_layout'] = detect_layout(
            np.concatenate([e.actions for e in episodes])).to_meta()
    return episodes, meta


def check_out(out: str, overwrite: bool) -> Path:
    """The dataset directory, checked before any bag is read: creatable, and not an
    existing dataset unless ``overwrite``."""
    path = check_output_dir('--out', out)
    if (path / META).exists() and not overwrite:
        raise DatasetError(f'--out {out!r} already holds a dataset ({META}): pass --overwrite '
                           'or choose another directory')
    return path


def write_or_clean(out: Path, episodes, meta: dict[str, Any], overwrite: bool) -> None:
    """write_dataset; a directory this call created is removed again if writing fails."""
    created = not out.exists()
    try:
        write_dataset(out, episodes, meta, overwrite=overwrite)
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='bag_to_dataset', description=__doc__.split('\n')[0])
    parser.add_argument('bags', nargs='+', help='bag directories or folders of bags')
    parser.add_argument('--out', required=True, help='dataset directory to write')
    parser.add_argument('--overwrite', action='store_true')
    parser.add_argument('--no-progress', action='store_true')
    add_config_arguments(parser)
    args = parser.parse_args(argv)
    try:
        config = load_config(args, drop=NODE_ONLY_KEYS)
        out = check_out(args.out, args.overwrite)
        episodes, meta = convert(find_bags(args.bags), config, not args.no_progress)
        write_or_clean(out, episodes, meta, args.overwrite)
    except (BagError, DatasetError, ValueError, OSError) as exc:
        return report('bag_to_dataset', exc)
    except KeyboardInterrupt:
        print('bag_to_dataset: interrupted (SIGINT): no new dataset written', file=sys.stderr)
        return 130
    dropped = sum(b['report']['dropped_ticks'] for b in meta['bags'] if 'report' in b)
    skipped = sum('skipped' in b for b in meta['bags'])
    flagged = sum(int(e.intervention.sum()) for e in episodes)
    print(f'wrote {len(episodes)} episodes ({sum(len(e) for e in episodes)} ticks, '
          f'{flagged} operator-commanded, {dropped} dropped) from {len(meta["bags"])} bags '
          f'to {args.out}'
          + (f' ({skipped} labelled failure skipped)' if skipped else ''))
    advice = layout_advice(meta)
    if advice:
        print(advice)
    return 0


def layout_advice(meta: dict[str, Any]) -> str:
    """The action layout found at conversion as one line for the user ('' if none)."""
    found = meta.get('action_layout')
    if not found:
        return ''
    layout = ActionLayout([Mirror(*m) for m in found['mirrors']], found['discrete'])
    return layout.advice(meta['joint_names'])


if __name__ == '__main__':
    sys.exit(main())

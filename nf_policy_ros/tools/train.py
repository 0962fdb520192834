# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""train: fit NF-P on a dataset cache and write a deployable checkpoint.

    train --dataset data/pick --config config/train.yaml --out runs/pick
    train --dataset data/pick --out runs/pick --resume          # continue a run
    torchrun --nproc_per_node 4 -m nf_policy_ros.tools.train --dataset ... --out ...

State/action sizes, camera count, image size, fps and joint names come from the dataset;
a config that names other joint names or fps is refused.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
import sys
from typing import Any

from nf_policy_ros.config import NFPConfig
from nf_policy_ros.core.training import TrainingError, TrainResult, run_training
from nf_policy_ros.data.cache import DatasetError, load_dataset, split_episodes
from nf_policy_ros.data.windows import WindowDataset
from nf_policy_ros.tools.config_file import add_config_arguments, load_config

NODE_ONLY_KEYS = ('output_dir', 'dataset', 'device')


def fit_config_to_dataset(config: NFPConfig, meta: dict[str, Any]) -> NFPConfig:
    """Derive sizes from the dataset; refuse joint names or fps that contradict it."""
    joints = tuple(meta['joint_names'])
    if config.data.joint_names and config.data.joint_names != joints:
        raise DatasetError(f'data.joint_names={list(config.data.joint_names)} but the dataset '
                           f'has {list(joints)}: expected the same joints in the same order')
    if config.data.fps != meta['fps'] and config.data.fps != NFPConfig().data.fps:
        raise DatasetError(f'data.fps={config.data.fps} but the dataset was made at '
                           f"{meta['fps']} Hz: convert the bags again at the fps you want")
    height, width = meta['image_size']
    encoder = dataclasses.replace(config.encoder, state_dim=len(joints),
                                  num_cameras=len(meta['camera_topics']),
                                  image_height=height, image_width=width)
    actions = dataclasses.replace(config.actions, action_dim=len(joints))
    data = dataclasses.replace(config.data, joint_names=joints, fps=float(meta['fps']),
                               camera_topics=tuple(meta['camera_topics']))
    return dataclasses.replace(config, encoder=encoder, actions=actions, data=data)


def provenance(config: NFPConfig, meta: dict[str, Any], dataset: Path) -> dict[str, Any]:
    """Facts the policy node checks at configure, plus where the data came from."""
    return {'dataset': str(dataset.resolve()),
            'bags': [{'path': b['path'], 'sha256': b['sha256']} for b in meta['bags']],
            'joint_names': list(config.data.joint_names), 'fps': config.data.fps,
            'stride': config.actions.stride, 'horizon': config.actions.horizon,
            'camera_topics': list(config.data.camera_topics),
            'image_size': [config.encoder.image_height, config.encoder.image_width]}


def train_from_dataset(config: NFPConfig, dataset: str | Path, out_dir: str | Path,
                       **kwargs: Any) -> TrainResult:
    """Load, split by episode, train. ``kwargs`` go to ``run_training``."""
    dataset = Path(dataset)
    episodes, meta = load_dataset(dataset)
    config = fit_config_to_dataset(config, meta)
    train_eps, val_eps = split_episodes(episodes, config.train.val_fraction, config.train.seed)
    train_set = WindowDataset(train_eps, config.actions)
    val_set = WindowDataset(val_eps, config.actions) if val_eps else None
    return run_training(config, train_set, val_set, out_dir,
                        provenance(config, meta, dataset), **kwargs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='train', description=__doc__.split('\n')[0])
    parser.add_argument('--dataset', required=True, help='directory from bag_to_dataset')
    parser.add_argument('--out', required=True, help='run directory')
    parser.add_argument('--resume', action='store_true', help='continue the run in --out')
    parser.add_argument('--overwrite', action='store_true', help='replace the run in --out')
    parser.add_argument('--device', default='auto', help='auto | cpu | cuda | cuda:N')
    parser.add_argument('--no-progress', action='store_true')
    add_config_arguments(parser)
    args = parser.parse_args(argv)
    try:
        config = load_config(args, drop=NODE_ONLY_KEYS)
        result = train_from_dataset(config, args.dataset, args.out, device=args.device,
                                    resume=args.resume, overwrite=args.overwrite,
                                    progress=not args.no_progress)
    except (DatasetError, TrainingError, ValueError) as exc:
        print(f'train: error: {exc}', file=sys.stderr)
        return 2
    print(f'trained {result.steps} steps: train NLL/dim {result.train_loss:.3f}, validation '
          f'NLL/dim {result.val_nll:.3f}; checkpoint {result.policy_path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

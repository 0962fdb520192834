# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""train: fit NF-P on a dataset cache and write a deployable checkpoint.

    train --dataset data/pick --config config/train.yaml --out runs/pick
    train --dataset data/pick --out runs/pick --resume          # continue a run
    train --dataset data/pick --extra-dataset data/corrections --extra-weight 0.5 \
          --init-from runs/pick/policy.pt --out runs/pick_r1     # corrections (corrections.py)
    torchrun --nproc_per_node 4 -m nf_policy_ros.tools.train --dataset ... --out ...

State/action sizes, camera count, image size, fps and joint names come from the dataset;
a config that names other joint names or fps is refused.

Bad input (config, --out, --device, --resume without last.pt, dataset) is one line on stderr
naming the option or file, the value and the expectation; exit code 2, nothing written.
SIGINT (Ctrl-C) or SIGTERM stops after the current step, writes last.pt (then policy.pt from
the weights so far) and exits with 128 + the signal number (130 / 143); ``--resume``
continues from that step. A second signal quits at once.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
import sys
import threading
from typing import TYPE_CHECKING, Any, NamedTuple

from nf_policy_ros.config import NFPConfig
from nf_policy_ros.data.cache import TRAINING_FIELDS, DatasetError, load_dataset, split_episodes
from nf_policy_ros.data.windows import WindowDataset
from nf_policy_ros.node_config.train import NODE_ONLY_KEYS
from nf_policy_ros.tools.cli import CliError, StopOnSignal, check_output_dir, report
from nf_policy_ros.tools.config_file import add_config_arguments, load_config
from nf_policy_ros.tools.corrections import (
    CLI_CORRECTIONS,
    CorrectionOptions,
    add_correction_arguments,
    check_correction_options,
    init_weights_for,
    load_extra,
)

if TYPE_CHECKING:  # torch loads in seconds: imported only once the inputs are checked
    from nf_policy_ros.core.training import TrainResult

EXITS = ('exit codes: 0 trained, 2 bad input (one line, nothing written; an --out holding a '
         'run needs --resume or --overwrite), 130/143 stopped by SIGINT/SIGTERM after saving '
         'last.pt (continue with --resume)')


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


class Prepared(NamedTuple):
    """What ``run_training`` needs from a dataset directory (and a checkpoint to start
    from)."""

    config: NFPConfig
    train_set: WindowDataset
    val_set: WindowDataset | None
    provenance: dict[str, Any]
    init_weights: dict | None = None


def prepare(config: NFPConfig, dataset: str | Path, extra: str | Path | None = None,
            extra_weight: float | None = None, init_from: str | None = None,
            options: CorrectionOptions = CLI_CORRECTIONS) -> Prepared:
    """Load the dataset (and the ``extra`` one, mixed in at ``extra_weight``: see
    tools/corrections.py), fit the config to it and split each by episode; with
    ``init_from``, read that checkpoint's weights (checked against the fitted config:
    imports torch) and record the path in the provenance. ``options``: how the error lines
    name the inputs (CLI or node)."""
    dataset = Path(dataset)
    episodes, meta = load_dataset(dataset, required=TRAINING_FIELDS)
    config = fit_config_to_dataset(config, meta)
    train_eps, val_eps = split_episodes(episodes, config.train.val_fraction, config.train.seed)
    facts = provenance(config, meta, dataset)
    extra_train, extra_val = [], []
    if extra is not None:
        extra_train, extra_val, facts['extra'] = load_extra(
            extra, meta, config.train.val_fraction, config.train.seed, options)
        facts['extra']['weight'] = extra_weight
    init = init_weights_for(init_from, config)
    if init is not None:
        facts['init_from'] = init_from
    horizon = config.encoder.obs_horizon
    train_set = WindowDataset.mixed(train_eps, extra_train, config.actions, extra_weight,
                                    horizon)
    val_eps = val_eps + extra_val
    val_set = WindowDataset(val_eps, config.actions, horizon) if val_eps else None
    return Prepared(config, train_set, val_set, facts, init)


def train_from_dataset(config: NFPConfig, dataset: str | Path, out_dir: str | Path,
                       **kwargs: Any) -> TrainResult:
    """Load, split by episode, train. ``kwargs`` go to ``run_training``."""
    from nf_policy_ros.core.training import run_training

    ready = prepare(config, dataset)
    return run_training(ready.config, ready.train_set, ready.val_set, out_dir,
                        ready.provenance, **kwargs)


def check_device(name: str, option: str = '--device') -> None:
    """Refuse a device this machine cannot train on, before any data is read."""
    expected = 'expected auto, cpu, cuda or cuda:N'
    if name in ('auto', 'cpu'):
        return
    import torch

    try:
        device = torch.device(name)
    except RuntimeError:
        raise CliError(f'{option} {name!r} is not a device: {expected}') from None
    if device.type == 'cpu':
        return
    if device.type != 'cuda':
        raise CliError(f'{option} {name!r}: {device.type} is not supported: {expected}')
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        raise CliError(f'{option} {name!r}: no CUDA GPU is available on this machine: '
                       'expected auto or cpu')
    if device.index is not None and device.index >= count:
        raise CliError(f'{option} {name!r}: this machine has {count} CUDA device(s): '
                       f'expected cuda:0..cuda:{count - 1}')


class RunOptions(NamedTuple):
    """How the user spells the run directory, resume and overwrite (CLI or node)."""

    out: str = '--out'
    resume: str = '--resume'
    overwrite: str = '--overwrite'


CLI_OPTIONS = RunOptions()
NODE_OPTIONS = RunOptions('output_dir', 'resume:=true', 'overwrite:=true')


def check_run_dir(out_dir: str | Path, resume: bool, overwrite: bool,
                  options: RunOptions = CLI_OPTIONS) -> None:
    """Refuse, before anything is read or written, a resume without ``last.pt`` (no silent
    fresh start) and a new run over an earlier one's ``last.pt`` (naming the option that
    continues it, e.g. after Ctrl-C or a kill)."""
    last = Path(out_dir) / 'last.pt'
    if resume and not last.is_file():
        raise CliError(f'{options.resume}: {str(last)!r} does not exist: expected the run '
                       f'directory of an earlier train run (leave out {options.resume} to '
                       'start a new run)')
    if not resume and not overwrite and last.is_file():
        raise CliError(f'{options.out} {str(out_dir)!r} already holds a run (last.pt): add '
                       f'{options.resume} to continue it, {options.overwrite} to replace it, '
                       f'or pick another {options.out}')


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='train', description=__doc__.split('\n')[0],
                                     epilog=EXITS)
    parser.add_argument('--dataset', required=True, help='directory from bag_to_dataset')
    parser.add_argument('--out', required=True, help='run directory')
    parser.add_argument('--resume', action='store_true', help='continue the run in --out')
    parser.add_argument('--overwrite', action='store_true', help='replace the run in --out')
    parser.add_argument('--device', default='auto', help='auto | cpu | cuda | cuda:N')
    parser.add_argument('--no-progress', action='store_true')
    add_correction_arguments(parser)
    add_config_arguments(parser)
    return parser


def _summary(result: TrainResult, total: int, signals: StopOnSignal, out: Path) -> int:
    """Print the outcome line; the exit code (128 + signal if a signal cut the run short)."""
    if signals.signum is not None and result.steps < total:
        last = out / 'last.pt'
        saved = (f'resumable checkpoint {last} at step {result.steps}: continue with --resume'
                 if last.is_file() else 'no step was taken: nothing to resume')
        print(f'train: stopped by {signals.name} after step {result.steps} of {total}; '
              f'{saved}', file=sys.stderr)
        return signals.exit_code
    print(f'trained {result.steps} steps: train NLL/dim {result.train_loss:.3f}, validation '
          f'NLL/dim {result.val_nll:.3f}; checkpoint {result.policy_path}')
    return 0


def _checked_inputs(args: argparse.Namespace) -> tuple[NFPConfig, Path]:
    """The config and run directory, once every input that can be checked before reading
    the dataset is (config, --device, --out, --resume); nothing is written."""
    config = load_config(args, drop=NODE_ONLY_KEYS)
    check_device(args.device)
    out = check_output_dir('--out', args.out)
    check_run_dir(out, args.resume, args.overwrite)
    check_correction_options(args)
    return config, out


def _train(args: argparse.Namespace, config: NFPConfig, out: Path,
           signals: StopOnSignal) -> TrainResult:
    """Load the dataset, then train with the signals armed (a signal now saves last.pt)."""
    from nf_policy_ros.core.training import run_training

    ready = prepare(config, args.dataset, args.extra_dataset, args.extra_weight,
                    args.init_from)
    signals.arm()
    return run_training(ready.config, ready.train_set, ready.val_set, out, ready.provenance,
                        device=args.device, resume=args.resume, overwrite=args.overwrite,
                        progress=not args.no_progress, stop=signals.event,
                        init_weights=ready.init_weights)


def _input_errors() -> tuple[type[BaseException], ...]:
    """Errors that are the input's fault (one line), not a bug (traceback): config, dataset,
    checkpoint and CLI errors are ValueErrors; TrainingError once training was imported."""
    training = sys.modules.get('nf_policy_ros.core.training')
    return (ValueError, OSError) + ((training.TrainingError,) if training else ())


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signals = StopOnSignal(threading.Event(), 'train',
                           'stopping after the current step, saving last.pt')
    try:
        with signals:
            config, out = _checked_inputs(args)
            result = _train(args, config, out, signals)
    except KeyboardInterrupt:
        print(f'train: {signals.name or "SIGINT"} before training started: nothing written',
              file=sys.stderr)
        return signals.exit_code or 130
    except _input_errors() as exc:  # evaluated when an exception arrives
        return report('train', exc)
    return _summary(result, config.train.total_steps, signals, out)


if __name__ == '__main__':
    sys.exit(main())

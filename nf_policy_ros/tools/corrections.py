# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""train's options for learning from corrections (HG-DAgger): a second dataset of
operator-commanded segments mixed into every batch at a stated fraction, and a start from
an existing checkpoint (fine-tuning).

    train --dataset data/demos --extra-dataset data/corrections --extra-weight 0.5 \\
          --init-from runs/task/policy.pt --config config/train.yaml --out runs/task_r1

train_node has them as the parameters ``extra_dataset``, ``extra_weight`` and ``init_from``
(node_config/train.py: '' and -1.0 = left out), checked here with the same lines.

``--extra-weight W`` is the fraction of every training batch drawn from the corrections'
windows: round(W * batch size) of them, the rest from the demonstrations, each group
sampled uniformly (with replacement). Without it, every window of both datasets is equally
likely (the corrections' share then follows their window count). Validation and the
confidence calibration use the held-out episodes of both datasets.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NamedTuple

from nf_policy_ros.data.cache import TRAINING_FIELDS, DatasetError, load_dataset, split_episodes
from nf_policy_ros.data.windows import Episode
from nf_policy_ros.tools.cli import CliError

# dataset facts the corrections must share with the demonstrations
SHARED_META = ('joint_names', 'fps', 'camera_topics', 'image_size')


def add_correction_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--extra-dataset', metavar='DIR',
                        help='a second dataset (e.g. corrections from takeovers, '
                             'bag_to_dataset --set data.keep=interventions) trained on too')
    parser.add_argument('--extra-weight', type=float, metavar='W',
                        help='fraction in [0, 1] of every batch drawn from --extra-dataset '
                             '(default: every window of both equally likely)')
    parser.add_argument('--init-from', metavar='CKPT',
                        help="start from this checkpoint's weights and normalizers "
                             '(fine-tune; same joints, chunk, encoder and flow)')


class CorrectionOptions(NamedTuple):
    """How the user spells the dataset and correction options (CLI or node), for the
    error lines."""

    dataset: str = '--dataset'
    extra_dataset: str = '--extra-dataset'
    extra_weight: str = '--extra-weight'
    init_from: str = '--init-from'


CLI_CORRECTIONS = CorrectionOptions()
NODE_CORRECTIONS = CorrectionOptions('dataset', 'extra_dataset', 'extra_weight', 'init_from')


def check_corrections(extra_dataset: str | None, extra_weight: float | None,
                      init_from: str | None,
                      options: CorrectionOptions = CLI_CORRECTIONS) -> None:
    """Refuse, before anything is read, a weight without a dataset or outside [0, 1] and an
    init-from path that is not a file (None = the option left out)."""
    weight = extra_weight
    if weight is not None and extra_dataset is None:
        raise CliError(f'{options.extra_weight} {weight}: expected {options.extra_dataset} '
                       'too (the dataset it weights)')
    if weight is not None and not 0.0 <= weight <= 1.0:
        raise CliError(f'{options.extra_weight} {weight}: expected a fraction of the batch '
                       'in [0, 1]')
    if init_from is not None and not Path(init_from).is_file():
        raise CliError(f'{options.init_from} {init_from!r}: no such file: expected a '
                       'policy.pt or last.pt written by train')


def check_correction_options(args: argparse.Namespace) -> None:
    """``check_corrections`` of the train CLI's arguments."""
    check_corrections(args.extra_dataset, args.extra_weight, args.init_from)


def check_same_data(meta: dict[str, Any], extra: dict[str, Any], path: Path,
                    options: CorrectionOptions = CLI_CORRECTIONS) -> None:
    """The corrections must be recorded like the demonstrations (joints, clock, cameras,
    image size); the first difference is one line."""
    for name in SHARED_META:
        if extra[name] != meta[name]:
            raise DatasetError(f'{options.extra_dataset} {str(path)!r}: {name} is '
                               f'{extra[name]!r} but {options.dataset} has {meta[name]!r}: '
                               'expected datasets converted with the same config')


def load_extra(path: str | Path, meta: dict[str, Any], val_fraction: float, seed: int,
               options: CorrectionOptions = CLI_CORRECTIONS,
               ) -> tuple[list[Episode], list[Episode], dict[str, Any]]:
    """The extra dataset split by episode like the main one: (train, validation,
    provenance facts)."""
    path = Path(path)
    episodes, extra_meta = load_dataset(path, required=TRAINING_FIELDS)
    check_same_data(meta, extra_meta, path, options)
    train, val = split_episodes(episodes, val_fraction, seed)
    facts = {'dataset': str(path.resolve()),
             'bags': [{'path': b['path'], 'sha256': b['sha256']} for b in extra_meta['bags']],
             'episodes': len(episodes),
             'intervention_ticks': int(sum(e.intervention.sum() for e in episodes))}
    return train, val, facts


def init_weights_for(path: str | None, config) -> dict | None:
    """The --init-from checkpoint's state dict, checked against ``config`` (None: no
    --init-from). Imports torch."""
    if path is None:
        return None
    from nf_policy_ros.core.finetune import init_weights

    return init_weights(path, config)

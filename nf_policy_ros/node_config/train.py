# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""train_node's own parameters (besides the training config of config.py), ROS-free: the
node declares them, docs/reference.md lists them, and the CLIs that read a params file
shared with the node (config/train.yaml) ignore them (``NODE_ONLY_KEYS``).

The correction options are the train CLI's ``--extra-dataset``, ``--extra-weight`` and
``--init-from`` (tools/corrections.py); a ROS parameter has no "unset", so ``''`` and
``UNSET_WEIGHT`` stand for an option left out (``correction_values``).
"""

from __future__ import annotations

from typing import NamedTuple

UNSET_WEIGHT = -1.0  # extra_weight left out: every window of both datasets equally likely

# name -> (default, type, description)
TRAIN_NODE_PARAMETERS: dict[str, tuple[object, type, str]] = {
    'dataset': ('', str, 'Dataset directory written by bag_to_dataset.'),
    'output_dir': ('', str, 'Run directory (checkpoints, metrics).'),
    'device': ('auto', str, 'Training device: auto, cpu, cuda or cuda:N.'),
    'resume': (False, bool, 'Continue the run in output_dir.'),
    'overwrite': (False, bool, 'Replace a run in output_dir.'),
    'exit_when_done': (False, bool, 'Shut the node down when training ends.'),
    'extra_dataset': ('', str, 'A second dataset (e.g. corrections from takeovers, '
                      'bag_to_dataset --set data.keep=interventions) trained on too; '
                      "'' = none (the train CLI's --extra-dataset)."),
    'extra_weight': (UNSET_WEIGHT, float, 'Fraction in [0, 1] of every batch drawn from '
                     'extra_dataset (needs it); -1.0 = unset: every window of both datasets '
                     "equally likely (the train CLI's --extra-weight)."),
    'init_from': ('', str, "A policy.pt or last.pt to start from: its weights and "
                  'normalizers (fine-tune; same joints, chunk, encoder and flow); '
                  "'' = train from scratch (the train CLI's --init-from)."),
}
NODE_ONLY_KEYS = tuple(TRAIN_NODE_PARAMETERS)


class CorrectionValues(NamedTuple):
    """The correction options as the train CLI has them: None = left out."""

    extra_dataset: str | None
    extra_weight: float | None
    init_from: str | None


def correction_values(extra_dataset: str, extra_weight: float,
                      init_from: str) -> CorrectionValues:
    """The node's parameter values as the CLI's options: '' and exactly ``UNSET_WEIGHT``
    are None (any other value, e.g. -0.5, is kept for the checks to refuse)."""
    return CorrectionValues(extra_dataset or None,
                            None if extra_weight == UNSET_WEIGHT else float(extra_weight),
                            init_from or None)

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Fine-tuning: start a run from an existing checkpoint's weights and normalizers.

Only a checkpoint of the same architecture can be a starting point: the same joints (in
order) and policy clock, the same action chunk (dimensions, horizon, stride, mirrors),
encoder and flow. Anything else is refused in one line naming the first field that
differs, before a run directory is written.
"""

from __future__ import annotations

from dataclasses import asdict
import os
from typing import Any

import torch

from nf_policy_ros.config import NFPConfig, config_from_dict
from nf_policy_ros.core.checkpoint import CheckpointError, read_checkpoint

# config sections (and the fields of them left out) that decide the weights' shapes and
# meaning; data: only the joints and the clock
ARCHITECTURE: dict[str, tuple[str, ...]] = {
    'data': ('joint_names', 'fps'), 'actions': (), 'encoder': ('weights_path',), 'flow': ()}


def architecture(config: NFPConfig) -> dict[str, Any]:
    """Flat {'section.field': value} of what a fine-tuned checkpoint must share."""
    facts: dict[str, Any] = {}
    for section, fields in ARCHITECTURE.items():
        values = asdict(getattr(config, section))
        if section == 'data':
            facts.update({f'data.{k}': values[k] for k in fields})
        else:
            facts.update({f'{section}.{k}': v for k, v in values.items() if k not in fields})
    return facts


def first_difference(theirs: NFPConfig, ours: NFPConfig) -> tuple[str, Any, Any] | None:
    """(field, checkpoint value, this run's value) of the first architecture field that
    differs, or None."""
    mine = architecture(ours)
    for name, value in architecture(theirs).items():
        if value != mine[name]:
            return name, value, mine[name]
    return None


def init_weights(path: str | os.PathLike, config: NFPConfig) -> dict[str, torch.Tensor]:
    """The state dict (weights, normalizers, calibration) of the checkpoint at ``path``,
    once its architecture matches ``config`` (a run's config fitted to its dataset).

    :raises CheckpointError: unreadable file, or the first differing field, in one line.
    """
    payload = read_checkpoint(path)
    try:
        theirs = config_from_dict(NFPConfig, payload['config'])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f'checkpoint {str(path)!r}: its config cannot be read '
                              f'({" ".join(str(exc).split())}): expected a checkpoint '
                              'written by train') from exc
    differs = first_difference(theirs, config)
    if differs is not None:
        name, have, want = differs
        raise CheckpointError(f'checkpoint {str(path)!r} cannot be fine-tuned here: {name} is '
                              f'{have!r} in it but {want!r} in this run: expected the same '
                              'joints, clock, action chunk, encoder and flow (pass the '
                              'config it was trained with)')
    return payload['state_dict']


def load_init_weights(policy: torch.nn.Module, state: dict[str, torch.Tensor],
                      source: str = 'the --init-from checkpoint') -> None:
    """Copy ``state`` into ``policy`` (every key must match); a mismatch is one line."""
    try:
        policy.load_state_dict(state)
    except RuntimeError as exc:
        first = (str(exc).strip().splitlines() or [''])[0]
        raise CheckpointError(f'{source} does not fit this policy ({first}): expected a '
                              'checkpoint of the same architecture') from exc

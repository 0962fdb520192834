# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""One self-describing checkpoint file per policy, loadable without executing code.

Layout (plain dicts, lists, strings, numbers and tensors only)::

    {'format': 'nf_policy_ros.checkpoint', 'format_version': 2,
     'config': <NFPConfig as a dict>, 'state_dict': <weights, normalizers, calibration>,
     'provenance': {'git_sha', 'created_utc', 'joint_names', 'fps', 'stride', 'bags', ...},
     'training': <optional resume state: step, optimizer, EMA, RNG states>}

It is read with ``torch.load(weights_only=True)``: a file carrying pickled code is refused.
"""

from __future__ import annotations

from datetime import datetime, timezone
import os
from pathlib import Path
import subprocess
from typing import Any

import torch

from nf_policy_ros.config import NFPConfig, config_from_dict, config_to_dict
from nf_policy_ros.core.policy import NFPolicy

FORMAT = 'nf_policy_ros.checkpoint'
# 2: the camera path's standardized spatial softmax (a new parameter per keypoint head).
# Version-1 files without cameras hold the same weights and still load. A config field
# added since (encoder.obs_horizon) takes its default where an older file lacks it.
FORMAT_VERSION = 2


class CheckpointError(ValueError):
    """A checkpoint file is unreadable, unsafe, or not an NF-P checkpoint."""


def git_sha(root: str | os.PathLike | None = None) -> str:
    """Commit of the source tree: ``$NF_POLICY_GIT_SHA`` if set (copies without .git),
    else ``git rev-parse HEAD``, else ``'unknown'``."""
    if os.environ.get('NF_POLICY_GIT_SHA'):
        return os.environ['NF_POLICY_GIT_SHA']
    root = root or Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=root, capture_output=True,
                             text=True, timeout=5, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return 'unknown'


def make_provenance(**facts: Any) -> dict[str, Any]:
    """``facts`` plus the source commit and creation time (unless ``facts`` has them)."""
    created = datetime.now(timezone.utc).isoformat(timespec='seconds')
    return {'git_sha': git_sha(), 'created_utc': created, **facts}


def save_checkpoint(path: str | os.PathLike, policy: NFPolicy, provenance: dict[str, Any],
                    training: dict[str, Any] | None = None) -> None:
    """Write atomically (temp file + rename): a crash never leaves a half-written file."""
    payload = {
        'format': FORMAT,
        'format_version': FORMAT_VERSION,
        'config': config_to_dict(policy.config),
        'state_dict': {k: v.detach().cpu() for k, v in policy.state_dict().items()},
        'provenance': provenance,
    }
    if training is not None:
        payload['training'] = training
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + '.tmp')
    torch.save(payload, tmp)
    os.replace(tmp, path)


# How a torch.save file starts: a zip archive (the default since torch 1.6) or, for the
# legacy format, a pickle (protocol 2+ opcode PROTO)
TORCH_FILE_MAGIC = (b'PK\x03\x04', b'\x80')
EXPECTED_FILE = f'an {FORMAT} file written by train or train_node (a torch.save archive)'


def read_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load and check the raw payload (tensors on CPU); refuses pickled code. Every refusal
    is a CheckpointError of one line naming the path and what was expected."""
    _check_torch_file(path)
    try:
        payload = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError, ...
        first_line = (str(exc).strip().splitlines() or [''])[0]
        raise CheckpointError(f'checkpoint {str(path)!r} could not be loaded safely '
                              f'(weights_only=True): {type(exc).__name__}: '
                              f'{first_line}') from exc
    if not isinstance(payload, dict) or payload.get('format') != FORMAT:
        raise CheckpointError(f'checkpoint {str(path)!r} is not an {FORMAT} file')
    version = payload.get('format_version')
    if version == 1 and _num_cameras(payload) == 0:
        return payload
    if version == 1:
        raise CheckpointError(f'checkpoint {str(path)!r} has format_version=1 with cameras: '
                              'its image encoder predates the standardized spatial softmax '
                              '(it learned to ignore the camera); retrain it')
    if version != FORMAT_VERSION:
        raise CheckpointError(f'checkpoint {str(path)!r} has format_version={version!r}: '
                              f'expected {FORMAT_VERSION}')
    return payload


def _check_torch_file(path: str | os.PathLike) -> None:
    """Refuse a path that is missing, not a file, or not a torch.save file (a params YAML
    given as the checkpoint) before torch.load prints pages about weights_only."""
    file = Path(path)
    if not file.exists():
        raise CheckpointError(f'checkpoint {str(path)!r} does not exist')
    if not file.is_file():
        raise CheckpointError(f'checkpoint {str(path)!r} is not a file: expected '
                              f'{EXPECTED_FILE}')
    try:
        with file.open('rb') as handle:
            head = handle.read(4)
    except OSError as exc:
        raise CheckpointError(f'checkpoint {str(path)!r} cannot be read: {exc.strerror}'
                              ) from None
    if not head.startswith(TORCH_FILE_MAGIC):
        raise CheckpointError(f'checkpoint {str(path)!r} is not an NF-P checkpoint: '
                              f'expected {EXPECTED_FILE}, found {_file_kind(head)}')


def _file_kind(head: bytes) -> str:
    """What a file that starts with ``head`` looks like, for the refusal."""
    if not head:
        return 'an empty file'
    try:
        head.decode('utf-8')
    except UnicodeDecodeError:
        return f'other binary data (starting with {head!r})'
    return 'a text file (YAML, JSON, ...)'


def _num_cameras(payload: dict[str, Any]) -> int:
    encoder = payload.get('config', {}).get('encoder', {})
    return int(encoder.get('num_cameras', NFPConfig().encoder.num_cameras))


def load_policy(path: str | os.PathLike,
                device: str | torch.device = 'cpu') -> tuple[NFPolicy, dict[str, Any]]:
    """Rebuild the policy from a checkpoint; returns (policy in eval mode, provenance)."""
    payload = read_checkpoint(path)
    config = config_from_dict(NFPConfig, payload['config'])
    policy = NFPolicy(config)
    policy.load_state_dict(payload['state_dict'])
    policy.to(device).eval()
    return policy, payload['provenance']

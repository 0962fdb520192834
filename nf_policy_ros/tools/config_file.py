# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Load the config tree from a YAML file (a ROS params file works too) plus overrides."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from nf_policy_ros.config import NFPConfig, apply_overrides, config_from_dict


def read_yaml_params(path: str | Path | None) -> dict[str, Any]:
    """The parameter dict of ``path``; ``node: {ros__parameters: {...}}`` is unwrapped."""
    if not path:
        return {}
    data = yaml.safe_load(Path(path).read_text()) or {}
    if len(data) == 1:
        (inner,) = data.values()
        if isinstance(inner, dict) and 'ros__parameters' in inner:
            return inner['ros__parameters']
    return data


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--config', help='YAML config or ROS params file (config/train.yaml)')
    parser.add_argument('--set', dest='overrides', action='append', default=[],
                        metavar='DOTTED=VALUE', help='override, e.g. train.stage_steps=[500]')


def load_config(args: argparse.Namespace, drop: tuple[str, ...] = ()) -> NFPConfig:
    """NFPConfig from ``--config`` and ``--set``; top-level keys in ``drop`` are ignored
    (node-only parameters of a shared params file)."""
    data = {k: v for k, v in read_yaml_params(args.config).items() if k not in drop}
    return config_from_dict(NFPConfig, apply_overrides(data, args.overrides))

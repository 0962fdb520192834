# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Load the config tree from a YAML file (a ROS params file works too) plus overrides."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from nf_policy_ros.config import ConfigError, NFPConfig, apply_overrides, config_from_dict


def _yaml_problem(exc: Exception) -> str:
    """A YAML/OS error in one line: 'line L, column C: what' where YAML knows it."""
    mark, problem = getattr(exc, 'problem_mark', None), getattr(exc, 'problem', None)
    if mark is not None and problem:
        return f'line {mark.line + 1}, column {mark.column + 1}: {problem}'
    return getattr(exc, 'strerror', None) or ' '.join(str(exc).split())


def read_yaml_params(path: str | Path | None) -> dict[str, Any]:
    """The parameter dict of ``path``; ``node: {ros__parameters: {...}}`` is unwrapped.

    A missing or unreadable file, bad YAML or a top level that is not a mapping is a
    ConfigError naming the file.
    """
    if not path:
        return {}
    expected = 'expected a YAML config or ROS params file (config/train.yaml)'
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f'--config {str(path)!r}: {_yaml_problem(exc)}; {expected}'
                          ) from exc
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError(f'--config {str(path)!r}: top level is a {type(data).__name__}; '
                          f'{expected}, a mapping of sections (data, train, ...)')
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
    try:
        return config_from_dict(NFPConfig, apply_overrides(data, args.overrides))
    except ConfigError as exc:
        source = ' / '.join(([f'--config {str(args.config)!r}'] if args.config else [])
                            + (['--set'] if args.overrides else []))
        raise ConfigError(f'{source}: {exc}' if source else str(exc)) from exc

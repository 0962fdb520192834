# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The ``--ros-args`` part of a node's command line, checked before rcl reads it (ROS-free).

rcl refuses a missing or malformed ``--params-file`` with a traceback ending in a C source
location; ``check_params_files`` finds the same problems first and says them in one line
naming the file and what is wrong (``nodes/common/spin.py`` prints it and exits 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
import re
from typing import Any

import yaml

from nf_policy_ros.config_tree import ConfigError

ROS_ARGS, END_ROS_ARGS = '--ros-args', '--'
PARAMS_FILE_FLAG = '--params-file'
PARAMETERS_KEY = 'ros__parameters'
EXPECTED_LAYOUT = f'<node name>: {{{PARAMETERS_KEY}: {{name: value, ...}}}}'


class ParamsFileLoader(yaml.SafeLoader):
    """Safe YAML plus ``!!python/tuple`` read as a list: launch_ros writes a list parameter
    given in a launch file (e.g. ``image:=`` in policy.launch.py) with that tag, and rcl's
    own parser reads it as a sequence."""


ParamsFileLoader.add_constructor(
    'tag:yaml.org,2002:python/tuple',
    lambda loader, node: loader.construct_sequence(node))


def params_files(argv: Sequence[str]) -> list[str]:
    """The paths given as ``--params-file <path>`` inside ``--ros-args ... [--]`` sections
    of ``argv``, in order."""
    paths, inside = [], False
    for i, arg in enumerate(argv):
        if arg == ROS_ARGS:
            inside = True
        elif arg == END_ROS_ARGS:
            inside = False
        elif inside and arg == PARAMS_FILE_FLAG and i + 1 < len(argv):
            paths.append(argv[i + 1])
    return paths


def check_params_files(argv: Sequence[str]) -> None:
    """``check_params_file`` for each ``--params-file`` of ``argv``."""
    for path in params_files(argv):
        check_params_file(path)


def check_params_file(path: str) -> None:
    """Raise ConfigError (one line: the file, what is wrong, what was expected) unless
    ``path`` is a readable YAML file laid out as rcl reads it: ``EXPECTED_LAYOUT``, node
    names possibly nested under namespaces, every parameter with a value."""
    where = f'--params-file {path}'
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f'{where}: no such file' if not file.exists() else
                          f'{where}: not a file')
    try:
        tree = yaml.load(file.read_text(), Loader=ParamsFileLoader)
    except OSError as exc:
        raise ConfigError(f'{where}: cannot be read ({exc.strerror})') from None
    except yaml.YAMLError as exc:
        raise ConfigError(f'{where}: not valid YAML: {_yaml_problem(exc)}') from None
    if not isinstance(tree, dict) or not tree:
        raise ConfigError(f'{where}: holds {_kind(tree)}: expected {EXPECTED_LAYOUT}')
    _check_node_entries(tree, where, '')


def _check_node_entries(tree: dict[str, Any], where: str, path: str) -> None:
    """Every key leads, through namespaces, to a ``ros__parameters`` mapping."""
    for key, value in tree.items():
        dotted = f'{path}{key}'
        if key == PARAMETERS_KEY:
            if not isinstance(value, dict):
                raise ConfigError(f'{where}: {dotted} holds {_kind(value)}: expected a '
                                  'mapping of parameter names to values')
            _check_values(value, where, f'{dotted}.')
        elif not isinstance(value, dict):
            raise ConfigError(f'{where}: {dotted} holds {_kind(value)}: expected '
                              f'{EXPECTED_LAYOUT}')
        else:
            _check_node_entries(value, where, f'{dotted}/')


def _check_values(params: dict[str, Any], where: str, path: str) -> None:
    """Every parameter has a value (rcl: "No value"); a mapping is a dotted group."""
    for name, value in params.items():
        if value is None:
            raise ConfigError(f'{where}: {path}{name} has no value: expected a bool, number, '
                              'string or list')
        if isinstance(value, dict):
            _check_values(value, where, f'{path}{name}.')


def _kind(value: Any) -> str:
    return 'nothing' if value is None or value == {} else f'a {type(value).__name__}'


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's problem and its line, in one line."""
    mark = getattr(exc, 'problem_mark', None)
    problem = getattr(exc, 'problem', None) or str(exc).splitlines()[0]
    return f'{problem} at line {mark.line + 1}' if mark is not None else problem


def rcl_error_line(message: str) -> str:
    """rcl's error text (``failed to initialize rcl: ... at /project/src/parse.c:835, at
    ...``) without the source locations and line breaks: one line for the user."""
    message = message.replace('failed to initialize rcl: ', '')
    message = re.sub(r',?\s*at [^,\s]+\.c:\d+', '', message)
    return ' '.join(message.split())

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Declare a config dataclass tree as ROS 2 parameters and read it back, validated.

Parameter names are the dotted field paths (``sampling.mode``), descriptions are the fields'
help texts, and the values go through the same ``config_from_dict`` validation as the CLIs,
so a bad parameter is refused with the same message that names field, value and expectation.
"""

from __future__ import annotations

import dataclasses
from typing import Any, get_args, get_origin, get_type_hints

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.exceptions import ParameterUninitializedException
from rclpy.node import Node
from rclpy.parameter import Parameter

from nf_policy_ros.config import config_from_dict, flatten_config

_ARRAY_TYPES = {
    str: Parameter.Type.STRING_ARRAY,
    int: Parameter.Type.INTEGER_ARRAY,
    float: Parameter.Type.DOUBLE_ARRAY,
    bool: Parameter.Type.BOOL_ARRAY,
}


def _field_hints(cls: type, prefix: str = '') -> dict[str, Any]:
    """Dotted name -> type hint for every leaf field of a dataclass tree."""
    out: dict[str, Any] = {}
    for name, hint in get_type_hints(cls).items():
        if dataclasses.is_dataclass(hint):
            out.update(_field_hints(hint, f'{prefix}{name}.'))
        else:
            out[f'{prefix}{name}'] = hint
    return out


def declare_config(node: Node, default: Any, prefix: str = '') -> None:
    """Declare one parameter per leaf field of ``default`` (a config dataclass instance)."""
    hints = _field_hints(type(default))
    for dotted, (value, help_text) in flatten_config(default).items():
        descriptor = ParameterDescriptor(description=help_text)
        if isinstance(value, tuple):
            (item_type, _) = get_args(hints[dotted])
            node.declare_parameter(prefix + dotted, _ARRAY_TYPES[item_type], descriptor)
        else:
            node.declare_parameter(prefix + dotted, value, descriptor)


def read_config(node: Node, cls: type, default: Any, prefix: str = '') -> Any:
    """Build a validated ``cls`` from the node's parameters (unset arrays keep defaults)."""
    hints = _field_hints(cls)
    nested: dict[str, Any] = {}
    for dotted, (value, _) in flatten_config(default).items():
        try:
            param = node.get_parameter(prefix + dotted).value
        except ParameterUninitializedException:  # a typed array nobody set
            param = None
        if param is None:
            param = value
        if get_origin(hints[dotted]) is tuple:
            param = tuple(param)
        _set_dotted(nested, dotted, param)
    return config_from_dict(cls, nested)


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split('.')
    for key in keys[:-1]:
        tree = tree.setdefault(key, {})
    tree[keys[-1]] = value

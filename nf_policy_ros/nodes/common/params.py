# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Declare a config dataclass tree as ROS 2 parameters and read it back, validated.

Parameter names are the dotted field paths (``sampling.mode``), descriptions are the fields'
help texts, and the values go through the same ``config_from_dict`` validation as the CLIs,
so a bad parameter is refused with the same message that names field, value and expectation.

Every parameter is declared with a value of its type (an empty list too, as a typed array),
so ``ros2 param get`` / ``dump`` work. The descriptors come from the fields (``param`` in
config_tree.py): a number's ``bounds`` become its integer/floating-point range, a string's
``choices`` or a free-form field's ``form`` its ``additional_constraints``, which also say
when a parameter can be set (``read_only``: never after start-up; ``while_unconfigured``:
read at configure, settable only while the lifecycle node is unconfigured, which the node
enforces).
A start-up value that the descriptor refuses (wrong type, out of range) does not raise: the
parameter keeps its default and the refusal is returned, for the node to report.
``watch_config`` validates every later set against the whole would-be config.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
import dataclasses
from typing import Any, get_args, get_origin, get_type_hints

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.exceptions import (
    InvalidParameterTypeException,
    InvalidParameterValueException,
    ParameterUninitializedException,
)
from rclpy.node import Node
from rclpy.parameter import Parameter

from nf_policy_ros.config import config_from_dict, flatten_config
from nf_policy_ros.config_tree import (
    READ_AT_CONFIGURE,
    READ_AT_START_UP,
    constraint_text,
    flatten_constraints,
)

_ARRAY_TYPES = {
    str: Parameter.Type.STRING_ARRAY,
    int: Parameter.Type.INTEGER_ARRAY,
    float: Parameter.Type.DOUBLE_ARRAY,
    bool: Parameter.Type.BOOL_ARRAY,
}
_REFUSED = (InvalidParameterTypeException, InvalidParameterValueException)


def _field_hints(cls: type, prefix: str = '') -> dict[str, Any]:
    """Dotted name -> type hint for every leaf field of a dataclass tree."""
    out: dict[str, Any] = {}
    for name, hint in get_type_hints(cls).items():
        if dataclasses.is_dataclass(hint):
            out.update(_field_hints(hint, f'{prefix}{name}.'))
        else:
            out[f'{prefix}{name}'] = hint
    return out


def make_descriptor(help_text: str, constraints: Mapping[str, Any] | None = None,
                    read_only: bool = False, integer: bool = False,
                    when: str = '') -> ParameterDescriptor:
    """A descriptor with the help text, the read-only flag and, from ``constraints`` (a
    field's ``bounds`` / ``choices`` / ``form``, config_tree.param), an inclusive range and
    the ``additional_constraints`` text (plus ``when``: when it can be set)."""
    constraints = constraints or {}
    descriptor = ParameterDescriptor(description=help_text, read_only=read_only,
                                     additional_constraints=constraint_text(constraints, when))
    bounds = constraints.get('bounds')
    if bounds is not None and integer:
        descriptor.integer_range = [IntegerRange(from_value=int(bounds[0]),
                                                 to_value=int(bounds[1]), step=1)]
    elif bounds is not None:
        descriptor.floating_point_range = [FloatingPointRange(
            from_value=float(bounds[0]), to_value=float(bounds[1]), step=0.0)]
    return descriptor


def declare_config(node: Node, default: Any, prefix: str = '', *,
                   read_only: Collection[str] = (),
                   while_unconfigured: Collection[str] = ()) -> dict[str, str]:
    """Declare one parameter per leaf field of ``default`` (a config dataclass instance),
    with the descriptor its field defines (module docstring).

    :param read_only: dotted names that cannot be set once declared.
    :param while_unconfigured: dotted names read at configure (the node refuses a set
        outside the unconfigured state; the descriptor says so).
    :return: dotted name -> why its start-up value was refused (it keeps the default).
    """
    hints = _field_hints(type(default))
    specs = {prefix + dotted: (value, hints[dotted], help_text)
             for dotted, (value, help_text) in flatten_config(default).items()}
    when = {prefix + name: READ_AT_START_UP for name in read_only} | {
        prefix + name: READ_AT_CONFIGURE for name in while_unconfigured}
    constraints = {prefix + dotted: spec
                   for dotted, spec in flatten_constraints(default).items()}
    return {name[len(prefix):]: reason for name, reason in declare_parameters(
        node, specs, constraints=constraints, when=when,
        read_only={prefix + name for name in read_only}).items()}


def declare_parameters(node: Node, specs: Mapping[str, tuple[Any, Any, str]], *,
                       constraints: Mapping[str, Mapping[str, Any]] | None = None,
                       when: Mapping[str, str] | None = None,
                       read_only: Collection[str] | bool = ()) -> dict[str, str]:
    """Declare parameters by name: ``specs`` maps name -> (default, type hint, help text).
    ``declare_config`` uses it for a config tree; a node uses it directly for parameters
    whose names depend on other parameters (``groups.<name>.joints``).

    :param constraints: name -> ``bounds`` / ``choices`` / ``form`` (make_descriptor).
    :param when: name -> when it can be set, for the descriptor's text.
    :param read_only: names that cannot be set once declared, or True for all.
    :return: name -> why its start-up value was refused (it keeps the default).
    """
    refused: dict[str, str] = {}
    for name, (value, hint, help_text) in specs.items():
        fixed = read_only if isinstance(read_only, bool) else name in read_only
        descriptor = make_descriptor(help_text, (constraints or {}).get(name), fixed,
                                     hint is int, (when or {}).get(name, ''))
        array_type = (_ARRAY_TYPES[get_args(hint)[0]] if get_origin(hint) is tuple else None)
        try:
            _declare(node, name, value, descriptor, array_type)
        except _REFUSED as exc:
            refused[name] = f'{name}: {exc}'
            _declare(node, name, value, descriptor, array_type, ignore_override=True)
    return refused


def _declare(node: Node, name: str, value: Any, descriptor: ParameterDescriptor,
             array_type: Parameter.Type | None, ignore_override: bool = False) -> None:
    """Declare ``name`` with ``value``; a tuple as an ``array_type`` array (rclpy would type
    an empty list as a byte array), set to ``value`` when no override gave it one."""
    if array_type is None:
        node.declare_parameter(name, value, descriptor, ignore_override)
        return
    writable = ParameterDescriptor(description=descriptor.description,
                                   additional_constraints=descriptor.additional_constraints)
    node.declare_parameter(name, array_type, writable, ignore_override)
    if node.get_parameter_or(name).type_ == Parameter.Type.NOT_SET:
        node.set_parameters([Parameter(name, array_type, list(value))])
    if descriptor.read_only:
        descriptor.type = array_type.value
        node.set_descriptor(name, descriptor)


def read_config(node: Node, cls: type, default: Any, prefix: str = '',
                changes: Mapping[str, Any] | None = None) -> Any:
    """Build a validated ``cls`` from the node's parameters, with ``changes`` (dotted name ->
    value, e.g. a set being checked) applied on top; raises ValueError (ConfigError)."""
    hints = _field_hints(cls)
    nested: dict[str, Any] = {}
    for dotted, (value, _) in flatten_config(default).items():
        if changes is not None and dotted in changes:
            param = changes[dotted]
        else:
            try:
                param = node.get_parameter(prefix + dotted).value
            except ParameterUninitializedException:  # a typed array nobody set
                param = None
        if param is None:
            param = value
        if get_origin(hints[dotted]) is tuple and isinstance(param, (list, tuple)):
            param = tuple(param)
        _set_dotted(nested, dotted, param)
    return config_from_dict(cls, nested)


def watch_config(node: Node, cls: type, default: Any,
                 on_change: Callable[[Any, set[str]], None], prefix: str = '') -> None:
    """Check every parameter set against the whole would-be config (``cls.__post_init__``
    validation): refuse it with the ValueError's message (field, value, expectation), else
    call ``on_change(new_config, changed dotted names)`` before the values are stored.
    Parameters outside the config (``use_sim_time``) pass through untouched."""
    names = set(flatten_config(default))

    def on_set(params: list[Parameter]) -> SetParametersResult:
        changes = {p.name[len(prefix):]: p.value for p in params
                   if p.name.startswith(prefix) and p.name[len(prefix):] in names}
        if not changes:
            return SetParametersResult(successful=True)
        try:
            config = read_config(node, cls, default, prefix, changes)
            on_change(config, set(changes))
        except ValueError as exc:
            return SetParametersResult(successful=False, reason=str(exc))
        return SetParametersResult(successful=True)

    node.add_on_set_parameters_callback(on_set)


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split('.')
    for key in keys[:-1]:
        tree = tree.setdefault(key, {})
    tree[keys[-1]] = value

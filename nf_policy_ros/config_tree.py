# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Machinery of the config tree: field help, validation, dict/YAML conversion, overrides.

Config classes are frozen dataclasses whose leaf fields hold types a ROS 2 parameter can
hold (bool, int, float, str, or a tuple of one of those); see nf_policy_ros/config.py.
"""

from __future__ import annotations

from collections.abc import Iterator
import dataclasses
from dataclasses import field
from typing import Any, get_args, get_origin, get_type_hints


class ConfigError(ValueError):
    """A configuration value is invalid; the message names field, value and expectation."""


def param(text: str, default: Any, *, bounds: tuple[float, float] | None = None,
          choices: tuple[str, ...] | None = None, form: str | None = None) -> Any:
    """A config field with help ``text`` and ``default``. For the ROS parameter descriptor
    (nodes/common/params.py): ``bounds`` (low, high), the inclusive range of a number (the
    class's validation may be stricter: ``> 0`` for low 0); ``choices`` of a string (the
    tuple its validation checks); ``form``, what a free-form string or list must hold."""
    metadata = {'help': text, 'bounds': bounds, 'choices': choices, 'form': form}
    return field(default=default, metadata={k: v for k, v in metadata.items()
                                            if v is not None})


def require(ok: bool, name: str, value: Any, expected: str) -> None:
    if not ok:
        raise ConfigError(f'{name}={value!r} is invalid: expected {expected}')


def require_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    require(value in choices, name, value, f'one of {choices}')


def config_to_dict(config: Any) -> dict[str, Any]:
    """Nested plain dict (tuples become lists) — YAML- and checkpoint-safe."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            out[f.name] = config_to_dict(value)
        elif isinstance(value, tuple):
            out[f.name] = list(value)
        else:
            out[f.name] = value
    return out


def _coerce(name: str, value: Any, hint: Any) -> Any:
    """Convert a YAML/ROS value to the field's type or raise ConfigError."""
    if get_origin(hint) is tuple:
        (item_type, _) = get_args(hint)
        require(isinstance(value, (list, tuple)), name, value, 'a list')
        return tuple(_coerce(f'{name}[{i}]', v, item_type) for i, v in enumerate(value))
    if hint is bool:
        require(isinstance(value, bool), name, value, 'a bool')
        return value
    if hint is int:
        require(isinstance(value, int) and not isinstance(value, bool), name, value,
                 'an integer')
        return value
    if hint is float:
        value = _yaml_float(value)
        require(isinstance(value, (int, float)) and not isinstance(value, bool), name, value,
                 'a number')
        return float(value)
    if hint is str:
        require(isinstance(value, str), name, value, 'a string')
        return value
    raise ConfigError(f'{name}: unsupported field type {hint!r}')


def _yaml_float(value: Any) -> Any:
    """PyYAML reads ``1e-3`` (no dot) as a string; accept what ``float()`` accepts."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def config_from_dict(cls: type, data: dict[str, Any] | None, prefix: str = '') -> Any:
    """Build dataclass ``cls`` from a nested dict; unknown keys are refused by name."""
    data = dict(data or {})
    hints = get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data.pop(f.name)
        hint = hints[f.name]
        dotted = f'{prefix}{f.name}'
        if dataclasses.is_dataclass(hint):
            require(isinstance(value, dict), dotted, value, 'a mapping')
            kwargs[f.name] = config_from_dict(hint, value, prefix=f'{dotted}.')
        else:
            kwargs[f.name] = _coerce(dotted, value, hint)
    if data:
        unknown = ', '.join(sorted(f'{prefix}{k}' for k in data))
        raise ConfigError(f'unknown config keys: {unknown}')
    return cls(**kwargs)


def _leaf_fields(config: Any, prefix: str = '') -> Iterator[tuple[str, Any, dataclasses.Field]]:
    """(dotted name, value, field) of every leaf field of a config tree, in field order."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            yield from _leaf_fields(value, prefix=f'{prefix}{f.name}.')
        else:
            yield f'{prefix}{f.name}', value, f


def flatten_config(config: Any, prefix: str = '') -> dict[str, tuple[Any, str]]:
    """Map dotted name -> (value, help text), e.g. ``'flow.num_layers' -> (10, '...')``."""
    return {name: (value, f.metadata.get('help', ''))
            for name, value, f in _leaf_fields(config, prefix)}


def flatten_constraints(config: Any, prefix: str = '') -> dict[str, dict[str, Any]]:
    """Map dotted name -> the field's ``bounds`` / ``choices`` / ``form`` (those it has)."""
    return {name: {k: v for k, v in f.metadata.items() if k != 'help'}
            for name, _, f in _leaf_fields(config, prefix)}


READ_AT_START_UP = 'read at start-up: read-only'
READ_AT_CONFIGURE = 'read at configure: settable only while unconfigured'


def constraint_text(constraints: dict[str, Any], when: str = '') -> str:
    """A field's constraints for people: ``in [low, high]`` / ``one of: a, b`` / its form,
    and ``when`` (when it can be set), joined by '; ' (empty if none)."""
    parts = []
    if constraints.get('bounds') is not None:
        low, high = constraints['bounds']
        parts.append(f'in [{low}, {high}]')
    if constraints.get('choices') is not None:
        parts.append(f'one of: {", ".join(constraints["choices"])}')
    if constraints.get('form') is not None:
        parts.append(constraints['form'])
    return '; '.join(parts + ([when] if when else []))


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``'a.b=value'`` overrides (value parsed as YAML) to a nested dict copy."""
    import yaml

    result = _deep_copy(data)
    for item in overrides:
        if '=' not in item:
            raise ConfigError(f'override {item!r} is invalid: expected dotted.name=value')
        dotted, raw = item.split('=', 1)
        node = result
        keys = dotted.strip().split('.')
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            require(isinstance(node, dict), dotted, raw, 'a path through mappings')
        node[keys[-1]] = yaml.safe_load(raw)
    return result


def _deep_copy(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in data.items()}

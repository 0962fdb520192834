# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The config tree: defaults, validation messages, dict/YAML round trips, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nf_policy_ros.config import (
    ConfigError,
    NFPConfig,
    apply_overrides,
    config_from_dict,
    config_to_dict,
    flatten_config,
)

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_follow_the_paper():
    config = NFPConfig()
    assert (config.actions.horizon, config.actions.stride) == (8, 4)
    assert config.flow.num_layers == 10
    assert config.sampling.latent_std == 0.5
    assert (config.sampling.mode, config.sampling.num_candidates) == ('best_of_n', 128)
    assert len(config.train.stage_steps) == 3


def test_dict_round_trip_is_lossless():
    config = NFPConfig()
    assert config_from_dict(NFPConfig, yaml.safe_load(yaml.safe_dump(
        config_to_dict(config)))) == config


@pytest.mark.parametrize('data, message', [
    ({'flow': {'num_bins': 1}}, r'flow.num_bins=1 is invalid: expected >= 2'),
    ({'sampling': {'mode': 'fast'}}, r"sampling.mode='fast' is invalid: expected one of"),
    ({'actions': {'stride': 'x'}}, r"actions.stride='x' is invalid: expected an integer"),
    ({'train': {'stage_lr': [1e-3]}}, r'train.stage_lr=\(0.001,\) is invalid: expected 3'),
    ({'encoder': {'imgsize': 3}}, r'unknown config keys: encoder.imgsize'),
    ({'actions': {'execute_points': 9}},
     r'actions.execute_points=9 is invalid: expected 1 to horizon \(8\)'),
])
def test_bad_values_name_field_value_and_expectation(data, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(NFPConfig, data)


def test_dotted_overrides_parse_yaml_values():
    data = apply_overrides({'flow': {'num_layers': 10}},
                           ['flow.num_layers=6', 'train.stage_lr=[1e-3, 1e-4, 1e-5]'])
    config = config_from_dict(NFPConfig, data)
    assert config.flow.num_layers == 6
    assert config.train.stage_lr == (1e-3, 1e-4, 1e-5)
    with pytest.raises(ConfigError, match='expected dotted.name=value'):
        apply_overrides({}, ['flow.num_layers'])


def test_every_field_has_help_text():
    missing = [name for name, (_, text) in flatten_config(NFPConfig()).items() if not text]
    assert missing == []


def test_shipped_yaml_files_are_valid_configs():
    for path in sorted((ROOT / 'config').glob('*.yaml')):
        params = yaml.safe_load(path.read_text())
        assert isinstance(params, dict) and params, path

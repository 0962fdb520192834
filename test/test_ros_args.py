# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The params-file check before rclpy starts reads what launch_ros writes."""

from __future__ import annotations

import pytest
import yaml

from nf_policy_ros.config_tree import ConfigError
from nf_policy_ros.node_config.ros_args import check_params_file


def test_a_list_parameter_written_by_launch_ros_is_accepted(tmp_path):
    """launch_ros dumps a list given in a launch file as a tuple (``!!python/tuple``)."""
    path = tmp_path / 'launch_params.yaml'
    path.write_text(yaml.dump({'/**': {'ros__parameters': {
        'camera_topics': ('/cam/other', '/cam/wrist'), 'use_sim_time': False}}}))
    assert '!!python/tuple' in path.read_text()
    check_params_file(str(path))  # no ConfigError


def test_other_python_tags_stay_refused(tmp_path):
    path = tmp_path / 'evil.yaml'
    path.write_text("n:\n  ros__parameters:\n    x: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match='not valid YAML'):
        check_params_file(str(path))

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A configure that fails for a reason nobody foresaw (a bug) still says why in one line:
rclpy's lifecycle turns a transition callback's exception into a silent ERROR transition."""

from __future__ import annotations

import rclpy
from rclpy.lifecycle import TransitionCallbackReturn

from nf_policy_ros.nodes.policy import node as policy_node


def test_an_unexpected_error_in_configure_is_one_error_line_and_the_reason(
        monkeypatch, tmp_path, capfd):
    def broken(*args, **kwargs):
        raise TypeError('a bug while loading')

    monkeypatch.setattr(policy_node, 'configure_policy', broken)
    checkpoint = tmp_path / 'policy.pt'
    checkpoint.write_bytes(b'')
    rclpy.init(args=['--ros-args', '-p', f'checkpoint:={checkpoint}', '-p', 'autostart:=false'])
    node = policy_node.PolicyNode()
    try:
        assert node.trigger_configure() == TransitionCallbackReturn.FAILURE
        assert policy_node.lifecycle_state(node) == 'unconfigured'
        assert node.reason.startswith('unexpected TypeError: a bug while loading'), node.reason
        errors = [line for line in capfd.readouterr().err.splitlines() if '[ERROR]' in line]
        assert len(errors) == 1 and 'a bug while loading' in errors[0], errors
    finally:
        node.destroy_node()
        rclpy.try_shutdown()

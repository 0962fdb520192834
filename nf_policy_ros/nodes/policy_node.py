# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``policy_node`` (node name ``nf_policy``): NF-P on the control loop.

Without a loadable checkpoint the node stays up, publishes no trajectory and reports the
reason on /diagnostics at 1 Hz (fail safe: the robot's controller keeps holding).
"""

from __future__ import annotations

import sys

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node

from nf_policy_ros.nodes.params import declare_config, read_config
from nf_policy_ros.nodes.policy_config import PolicyNodeConfig
from nf_policy_ros.nodes.spin import spin_node

NODE_NAME = 'nf_policy'


class PolicyNode(Node):
    """Declares and validates the parameters, then reports its state on /diagnostics."""

    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        declare_config(self, PolicyNodeConfig())
        self.config = read_config(self, PolicyNodeConfig, PolicyNodeConfig())
        self.diagnostics = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.state = 'unconfigured'
        self.reason = 'no checkpoint configured (parameter checkpoint is empty)'
        self.create_timer(1.0, self.publish_diagnostics)
        self.get_logger().info(f'{self.state}: {self.reason}; control_rate_hz='
                               f'{self.config.control_rate_hz}')

    def publish_diagnostics(self) -> None:
        status = DiagnosticStatus(level=DiagnosticStatus.ERROR, name=f'{NODE_NAME}: policy',
                                  hardware_id=NODE_NAME, message=f'{self.state}: {self.reason}')
        status.values = [KeyValue(key='state', value=self.state),
                         KeyValue(key='control_rate_hz', value=str(self.config.control_rate_hz)),
                         KeyValue(key='device', value=self.config.device)]
        msg = DiagnosticArray(status=[status])
        msg.header.stamp = self.get_clock().now().to_msg()
        self.diagnostics.publish(msg)


def main(argv: list[str] | None = None) -> int:
    return spin_node(PolicyNode, argv if argv is not None else sys.argv)


if __name__ == '__main__':
    sys.exit(main())

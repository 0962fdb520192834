# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``train_node`` (node name ``nf_policy_train``): the train CLI as a ROS node.

Takes the training config as parameters (config/train.yaml), runs the same
``train_from_dataset`` in a worker thread, and stays responsive: ``~/status``
(std_msgs/String, JSON), ``/diagnostics``, and ``~/stop`` (std_srvs/Trigger: stop after the
current step, keep a resumable checkpoint).
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
import rclpy
from rclpy.node import Node
from std_msgs.msg import String
from std_srvs.srv import Trigger

from nf_policy_ros.config import NFPConfig
from nf_policy_ros.nodes.params import declare_config, read_config
from nf_policy_ros.nodes.spin import spin_node

NODE_NAME = 'nf_policy_train'
STATUS_PERIOD_S = 0.5
LEVELS = {'training': DiagnosticStatus.OK, 'done': DiagnosticStatus.OK,
          'stopped': DiagnosticStatus.WARN, 'failed': DiagnosticStatus.ERROR,
          'starting': DiagnosticStatus.OK}


class TrainNode(Node):
    """Training in a worker thread; status published from a timer on the executor."""

    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        for name, default, text in (
                ('dataset', '', 'Dataset directory written by bag_to_dataset.'),
                ('output_dir', '', 'Run directory (checkpoints, metrics).'),
                ('device', 'auto', 'auto | cpu | cuda | cuda:N.'),
                ('resume', False, 'Continue the run in output_dir.'),
                ('overwrite', False, 'Replace a run in output_dir.'),
                ('exit_when_done', False, 'Shut the node down when training ends.')):
            self.declare_parameter(name, default, _descriptor(text))
        declare_config(self, NFPConfig())
        self._status: dict[str, Any] = {'state': 'starting', 'step': 0}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._finished = threading.Event()
        self.exit_code = 0
        self.status_pub = self.create_publisher(String, '~/status', 10)
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.create_service(Trigger, '~/stop', self._on_stop)
        self.create_timer(STATUS_PERIOD_S, self._publish)
        self.create_timer(STATUS_PERIOD_S, self._exit_if_finished)
        self._worker = threading.Thread(target=self._train, daemon=True)
        self._worker.start()

    def _param(self, name: str) -> Any:
        return self.get_parameter(name).value

    def _update(self, **fields: Any) -> None:
        with self._lock:
            self._status.update(fields)

    def _train(self) -> None:
        from nf_policy_ros.tools.train import train_from_dataset  # heavy: torch
        try:
            config = read_config(self, NFPConfig, NFPConfig())
            self._update(state='training', total=config.train.total_steps)
            result = train_from_dataset(
                config, self._param('dataset'), self._param('output_dir'),
                device=self._param('device'), resume=self._param('resume'),
                overwrite=self._param('overwrite'), progress=False,
                on_metrics=self._on_metrics, stop=self._stop)
            state = 'stopped' if self._stop.is_set() else 'done'
            self._update(state=state, step=result.steps, checkpoint=str(result.policy_path),
                         val_nll_per_dim=result.val_nll)
        except Exception as exc:  # report any failure, keep the node up
            self.exit_code = 1
            self._update(state='failed', error=f'{type(exc).__name__}: {exc}')
            self.get_logger().error(f'training failed: {type(exc).__name__}: {exc}')
        self._publish()
        self._finished.set()

    def _exit_if_finished(self) -> None:
        """On the executor thread: shut down once training ended, if asked to."""
        if self._finished.is_set() and self._param('exit_when_done'):
            self._publish()
            rclpy.try_shutdown(context=self.context)

    def close(self) -> None:
        self._stop.set()
        self._worker.join(timeout=60)

    def _on_metrics(self, step: int, metrics: dict[str, float]) -> None:
        fields = {'step': step, 'nll_per_dim': metrics['train/nll_per_dim']}
        if 'val/nll_per_dim' in metrics:
            fields['val_nll_per_dim'] = metrics['val/nll_per_dim']
        self._update(**fields)

    def _on_stop(self, request: Trigger.Request, response: Trigger.Response):
        self._stop.set()
        response.success = True
        response.message = 'stopping after the current step; last.pt allows --resume'
        return response

    def _publish(self) -> None:
        with self._lock:
            status = dict(self._status)
        self.status_pub.publish(String(data=json.dumps(status)))
        diag = DiagnosticStatus(level=LEVELS.get(status['state'], DiagnosticStatus.ERROR),
                                name=f'{NODE_NAME}: training', hardware_id=NODE_NAME,
                                message=status.get('error', status['state']))
        diag.values = [KeyValue(key=k, value=str(v)) for k, v in status.items()]
        msg = DiagnosticArray(status=[diag])
        msg.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(msg)


def _descriptor(text: str):
    from rcl_interfaces.msg import ParameterDescriptor
    return ParameterDescriptor(description=text)


def main(argv: list[str] | None = None) -> int:
    holder: dict[str, TrainNode] = {}

    def make() -> TrainNode:
        holder['node'] = TrainNode()
        return holder['node']
    spin_node(make, argv if argv is not None else sys.argv)
    return holder['node'].exit_code if 'node' in holder else 1


if __name__ == '__main__':
    sys.exit(main())

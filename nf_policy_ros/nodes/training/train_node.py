# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``train_node`` (node name ``nf_policy_train``): the train CLI as a ROS node.

Takes the training config as parameters (config/train.yaml), runs the same training as the
CLI in a worker thread, and stays responsive: ``~/status`` (std_msgs/String, JSON),
``/diagnostics``, and ``~/stop`` (std_srvs/Trigger: stop after the current step, keep a
resumable checkpoint). Logs progress to the console every ``train.val_every`` steps. Ctrl-C
(SIGINT) or SIGTERM stops the same way: last.pt is written, the node exits with 0, and
``resume:=true`` continues. Bad parameters (a value of the wrong type, device, output_dir,
resume without last.pt, an output_dir holding a run without resume or overwrite, the
correction options below) put the node in state ``failed`` with one error line, nothing
written.

Learning from corrections: ``extra_dataset``, ``extra_weight`` and ``init_from`` are the
train CLI's ``--extra-dataset``, ``--extra-weight`` and ``--init-from`` (tools/corrections.py;
'' and -1.0 = left out: node_config/train.py), with the same checks, error lines and
checkpoint provenance.
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

from nf_policy_ros.config import ConfigError, NFPConfig
from nf_policy_ros.node_config.train import TRAIN_NODE_PARAMETERS, correction_values
from nf_policy_ros.nodes.common.params import declare_config, declare_parameters, read_config
from nf_policy_ros.nodes.common.spin import spin_node

NODE_NAME = 'nf_policy_train'
STATUS_PERIOD_S = 0.5
LEVELS = {'training': DiagnosticStatus.OK, 'done': DiagnosticStatus.OK,
          'stopped': DiagnosticStatus.WARN, 'failed': DiagnosticStatus.ERROR,
          'starting': DiagnosticStatus.OK}


class TrainNode(Node):
    """Training in a worker thread; status published from a timer on the executor."""

    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        # start-up values of the wrong type (resume:=1, extra_weight:=1): reported by _run
        self._startup_errors = declare_parameters(self, TRAIN_NODE_PARAMETERS)
        self._startup_errors.update(declare_config(self, NFPConfig()))
        self._status: dict[str, Any] = {'state': 'starting', 'step': 0}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._total, self._log_every = 0, 1  # set from the config when training starts
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
        try:
            result = self._run()
            if result is None:
                self._update(state='stopped')
                self._log('stopped before training started: nothing written')
            else:
                self._report(result)
        except Exception as exc:  # report any failure, keep the node up
            self.exit_code = 1
            self._update(state='failed', error=f'{type(exc).__name__}: {exc}')
            self._log(f'training failed: {type(exc).__name__}: {exc}', error=True)
        self._publish_while_up()
        self._finished.set()

    def _log(self, text: str, error: bool = False) -> None:
        """A console line (and /rosout while the node is up: after Ctrl-C the context is
        down, so the line goes to the console only)."""
        logger = (self.get_logger() if self.context.ok()
                  else rclpy.logging.get_logger(f'{NODE_NAME}.shutdown'))
        (logger.error if error else logger.info)(text)

    def _run(self):
        """Check the parameters, load the dataset, train; None if stopped before training."""
        from nf_policy_ros.core.training import run_training  # heavy: torch
        from nf_policy_ros.tools.cli import check_output_dir
        from nf_policy_ros.tools.corrections import NODE_CORRECTIONS, check_corrections
        from nf_policy_ros.tools.train import NODE_OPTIONS, check_device, check_run_dir, prepare

        if self._startup_errors:  # refused when declared: they kept their defaults
            raise ConfigError('; '.join(self._startup_errors.values()))
        config = read_config(self, NFPConfig, NFPConfig())
        check_device(self._param('device'), 'device')
        out = check_output_dir('output_dir', self._param('output_dir'))
        check_run_dir(out, self._param('resume'), self._param('overwrite'), NODE_OPTIONS)
        extra = correction_values(self._param('extra_dataset'), self._param('extra_weight'),
                                  self._param('init_from'))
        check_corrections(*extra, NODE_CORRECTIONS)
        self._total, self._log_every = config.train.total_steps, config.train.val_every
        self._update(state='training', total=self._total)
        ready = prepare(config, self._param('dataset'), *extra, NODE_CORRECTIONS)
        if self._stop.is_set():
            return None
        start = f', starting from {extra.init_from}' if extra.init_from else ''
        self._log(
            f'training {self._total} steps on {len(ready.train_set)} windows '
            f'(device {self._param("device")}{start}) into {out}')
        return run_training(ready.config, ready.train_set, ready.val_set, out,
                            ready.provenance, device=self._param('device'),
                            resume=self._param('resume'), overwrite=self._param('overwrite'),
                            progress=False, on_metrics=self._on_metrics, stop=self._stop,
                            init_weights=ready.init_weights)

    def _report(self, result) -> None:
        """Status and one console line for a run that ended (done or stopped)."""
        stopped = self._stop.is_set() and result.steps < self._total
        self._update(state='stopped' if stopped else 'done', step=result.steps,
                     checkpoint=str(result.policy_path), val_nll_per_dim=result.val_nll)
        if stopped:
            self._log(
                f'stopped at step {result.steps} of {self._total}; resumable checkpoint '
                f'{result.policy_path.parent / "last.pt"} (resume:=true continues)')
        else:
            self._log(f'trained {result.steps} steps: checkpoint '
                                   f'{result.policy_path}')

    def _exit_if_finished(self) -> None:
        """On the executor thread: shut down once training ended, if asked to."""
        if self._finished.is_set() and self._param('exit_when_done'):
            self._publish_while_up()
            rclpy.try_shutdown(context=self.context)

    def close(self) -> None:
        self._stop.set()
        self._worker.join(timeout=60)

    def _on_metrics(self, step: int, metrics: dict[str, float]) -> None:
        """Status every step; a console line every ``train.val_every`` steps and at the end."""
        # the first train.encoder_warmup_steps report a regression error, then the NLL
        loss = 'warmup_mse' if 'train/warmup_mse' in metrics else 'nll_per_dim'
        fields = {'step': step, loss: metrics[f'train/{loss}']}
        if 'val/nll_per_dim' in metrics:
            fields['val_nll_per_dim'] = metrics['val/nll_per_dim']
        self._update(**fields)
        if step % self._log_every == 0 or step == self._total:
            val = (f', validation NLL/dim {fields["val_nll_per_dim"]:.3f}'
                   if 'val_nll_per_dim' in fields else '')
            label = 'encoder warm-up MSE' if loss == 'warmup_mse' else 'train NLL/dim'
            self._log(f'step {step}/{self._total}: {label} {fields[loss]:.3f}{val}')

    def _on_stop(self, request: Trigger.Request, response: Trigger.Response):
        self._stop.set()
        response.success = True
        response.message = 'stopping after the current step; last.pt allows --resume'
        return response

    def _publish_while_up(self) -> None:
        """Publish the status unless a signal already shut the context down."""
        try:
            self._publish()
        except Exception:  # the context went down between the check and the publish
            if self.context.ok():
                raise

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


def main(argv: list[str] | None = None) -> int:
    holder: dict[str, TrainNode] = {}

    def make() -> TrainNode:
        holder['node'] = TrainNode()
        return holder['node']
    spin_node(make, argv if argv is not None else sys.argv)
    return holder['node'].exit_code if 'node' in holder else 1


if __name__ == '__main__':
    sys.exit(main())

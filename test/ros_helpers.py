# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Real processes on real DDS: start installed executables, talk to them from the test."""

from __future__ import annotations

from collections.abc import Callable
import os
from pathlib import Path
import signal
import subprocess
import threading
import time

from lifecycle_msgs.srv import ChangeState
import rclpy
from rclpy.executors import SingleThreadedExecutor

from nf_policy_ros.nodes.clients.ros_client import RESEND_AFTER_S, answered_call, open_reply_path

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ROOT / 'install' / 'nf_policy_ros'
EXECUTABLES = INSTALL / 'lib' / 'nf_policy_ros'
SHARE = INSTALL / 'share' / 'nf_policy_ros'


def executable(name: str) -> Path:
    path = EXECUTABLES / name
    if not path.exists():
        raise FileNotFoundError(f'{path} is missing: build first (make test runs colcon build)')
    return path


class NodeProcess:
    """An installed executable started with ``--ros-args``; output captured to a file."""

    def __init__(self, name: str, ros_args: list[str], log_dir: Path,
                 env: dict[str, str] | None = None) -> None:
        self.log_path = log_dir / f'{name}.log'
        self._log = self.log_path.open('w')
        self.proc = subprocess.Popen([str(executable(name)), '--ros-args', *ros_args],
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     # a crash prints every thread's Python stack
                                     env={**os.environ, 'PYTHONFAULTHANDLER': '1',
                                          **(env or {})})

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> int:
        """SIGINT, then wait; returns the exit code (kills and fails on a hang)."""
        if self.alive():
            self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f'process did not exit on SIGINT:\n{self.output()}') from None
        self._log.close()
        if code != 0:  # shown by pytest beside the failing assertion on the code
            print(f'{self.log_path.name} exited with {code}:\n{self.output()}')
        return code


class RosTestNode:
    """An rclpy node of the test process, spun in a background thread."""

    def __init__(self, name: str = 'nf_policy_test') -> None:
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self.executor.spin, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)
        self._thread.join(timeout=5)


def wait_for(condition: Callable[[], bool], timeout: float, what: str,
              process: NodeProcess | None = None, period: float = 0.05) -> None:
    """Poll ``condition`` until true; on timeout fail with ``what`` and the process log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and not process.alive():
            raise AssertionError(f'process exited while waiting for {what}:\n'
                                 f'{process.output()}')
        time.sleep(period)
    log = f'\n--- process output ---\n{process.output()}' if process else ''
    raise AssertionError(f'timed out after {timeout} s waiting for {what}{log}')


def call_service(node: rclpy.node.Node, srv_type: type, name: str, request=None,
                 process: NodeProcess | None = None, timeout: float = 30.0,
                 repeat_safe: bool = True):
    """Call service ``name`` from ``node`` (spun elsewhere) and return the response.

    As the product's clients do (nf_policy_ros.nodes.clients.ros_client says why): a
    repeat-safe request is resent until answered, a ChangeState goes once after a probe.
    Fails naming the service, with the process log.
    """
    log = f'\n--- process output ---\n{process.output()}' if process else ''
    client = node.create_client(srv_type, name)
    try:
        assert client.wait_for_service(timeout_sec=timeout), f'no service {name}{log}'
        if srv_type is ChangeState:
            assert open_reply_path(client, timeout), f'{name} did not answer a probe{log}'
            repeat_safe = False
        response = answered_call(client, request if request is not None else
                                 srv_type.Request(), timeout,
                                 RESEND_AFTER_S if repeat_safe else None)
    finally:
        node.destroy_client(client)
    if response is None:
        log = f'\n--- process output ---\n{process.output()}' if process else ''
        raise AssertionError(f'timed out after {timeout} s waiting for the {name} response'
                             f'{log}')
    return response

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A script's handle on the ROS graph: a node spun in a background thread, with blocking
service calls and remote parameter sets that fail with a message naming what timed out."""

from __future__ import annotations

import threading
from typing import Any

from rcl_interfaces.srv import SetParameters
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter


class RosCallError(RuntimeError):
    """A service that was not there, did not answer, or refused."""


class RosClient:
    """``with RosClient('name') as ros:`` ... ``ros.call(Trigger, '/sim_robot/reset')``."""

    def __init__(self, name: str, argv: list[str] | None = None) -> None:
        self.context = rclpy.Context()
        rclpy.init(args=argv, context=self.context)
        self.node = rclpy.create_node(name, context=self.context)
        self._executor = SingleThreadedExecutor(context=self.context)
        self._executor.add_node(self.node)
        self._thread = threading.Thread(target=self._executor.spin, daemon=True)
        self._thread.start()
        self._clients: dict[str, Any] = {}

    def __enter__(self) -> RosClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def call(self, srv_type: type, name: str, request: Any = None,
             timeout_s: float = 10.0) -> Any:
        """Call service ``name`` and return its response (waits for the server first)."""
        client = self._clients.get(name)
        if client is None:
            client = self._clients[name] = self.node.create_client(srv_type, name)
        if not client.wait_for_service(timeout_sec=timeout_s):
            raise RosCallError(f'service {name} ({srv_type.__name__}) not available after '
                               f'{timeout_s} s: is the node running?')
        future = client.call_async(request if request is not None else srv_type.Request())
        done = threading.Event()
        future.add_done_callback(lambda _: done.set())
        if not done.wait(timeout_s):
            raise RosCallError(f'service {name} did not answer within {timeout_s} s')
        return future.result()

    def set_parameters(self, node_name: str, values: dict[str, Any],
                       timeout_s: float = 10.0) -> None:
        """Set parameters of a running node (as ``ros2 param set``); raise if refused."""
        request = SetParameters.Request(parameters=[
            Parameter(k, value=v).to_parameter_msg() for k, v in values.items()])
        response = self.call(SetParameters, f'{node_name}/set_parameters', request, timeout_s)
        refused = [f'{p.name}: {r.reason}' for p, r in zip(request.parameters,
                                                          response.results)
                   if not r.successful]
        if refused:
            raise RosCallError(f'{node_name} refused parameters: {refused}')

    def close(self) -> None:
        self._executor.shutdown()
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)
        self._thread.join(timeout=5)

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A script's handle on the ROS graph: a node spun in a background thread, with blocking
service calls and remote parameter sets that fail with a message naming what timed out.

Why calls resend: a server answering a client it has only just discovered can drop the
answer. Fast DDS waits ``max_blocking_time`` (100 ms) for the client's reply reader to match,
then logs "failed to send response (timeout): client will not receive response" and the
client waits forever (ros2/ros2#1253; seen in our CI on a loaded machine, where a failing
configure answers within 0.1 s). ``wait_for_service`` cannot see that match: it is the
server's. So a request that is safe to repeat is sent again until answered, and a lifecycle
transition, which is not, is preceded by a probe that changes nothing (``open_reply_path``).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState
from rcl_interfaces.srv import SetParameters
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter

RESEND_AFTER_S = 1.0
"""Seconds a repeat-safe request waits for its answer before it is sent again."""

PROBE = Transition(label='reply-path probe (refused on purpose)')
"""A ChangeState that names no transition: the lifecycle node refuses it and changes
nothing (rclpy answers ``success=False`` for an unknown label; rcl_lifecycle logs one
warning naming this label)."""


class RosCallError(RuntimeError):
    """A service that was not there, did not answer, or refused."""


def answered_call(client: Any, request: Any, timeout_s: float,
                  resend_after_s: float | None = None) -> Any | None:
    """Send ``request`` on rclpy ``client`` (spun elsewhere) and wait up to ``timeout_s``.

    With ``resend_after_s``, the request is sent again each time that many seconds pass
    unanswered (only for requests that are safe to repeat); the first answer wins and the
    others are dropped. Returns the response, or None when none came within ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        future = client.call_async(request)
        left = deadline - time.monotonic()
        if _answered_within(future, max(0.0, min(left, resend_after_s or left))):
            return future.result()
        client.remove_pending_request(future)
        if resend_after_s is None or time.monotonic() >= deadline:
            return None


def _answered_within(future: Any, seconds: float) -> bool:
    done = threading.Event()
    future.add_done_callback(lambda _: done.set())
    return done.wait(seconds)


def open_reply_path(client: Any, timeout_s: float) -> bool:
    """Make sure a lifecycle node's ChangeState answers can reach ``client``: send ``PROBE``
    (refused, changes nothing) until one answer arrives. True when one did."""
    return answered_call(client, ChangeState.Request(transition=PROBE), timeout_s,
                         RESEND_AFTER_S) is not None


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
             timeout_s: float = 10.0, repeat_safe: bool = False) -> Any:
        """Call service ``name`` and return its response (waits for the server first).

        ``repeat_safe``: the request may run twice (a query, a reset, setting a value), so it
        is resent until answered. A ChangeState is sent once, after ``open_reply_path``.
        """
        client = self._clients.get(name)
        if client is None:
            client = self.node.create_client(srv_type, name)
            if not client.wait_for_service(timeout_sec=timeout_s):
                self.node.destroy_client(client)
                raise RosCallError(f'service {name} ({srv_type.__name__}) not available '
                                   f'after {timeout_s} s: is the node running?')
            if srv_type is ChangeState and not open_reply_path(client, timeout_s):
                self.node.destroy_client(client)
                raise RosCallError(f'service {name} did not answer a probe within '
                                   f'{timeout_s} s')
            self._clients[name] = client
        response = answered_call(client, request if request is not None else
                                 srv_type.Request(), timeout_s,
                                 RESEND_AFTER_S if repeat_safe else None)
        if response is None:
            raise RosCallError(f'service {name} did not answer within {timeout_s} s')
        return response

    def set_parameters(self, node_name: str, values: dict[str, Any],
                       timeout_s: float = 10.0) -> None:
        """Set parameters of a running node (as ``ros2 param set``); raise if refused."""
        request = SetParameters.Request(parameters=[
            Parameter(k, value=v).to_parameter_msg() for k, v in values.items()])
        response = self.call(SetParameters, f'{node_name}/set_parameters', request, timeout_s,
                             repeat_safe=True)
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

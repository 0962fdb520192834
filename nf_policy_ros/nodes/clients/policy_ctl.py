# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A script's handle on the ROS graph: a node spun in a background thread, with blocking
service calls and remote parameter sets that fail with a message naming what timed out.

Also ``policy_ctl``, the policy node's controls for a venv without the ``ros2`` CLI:

    policy_ctl configure|activate|deactivate|cleanup   # lifecycle transitions
    policy_ctl arm|disarm                              # ~/enable_output
    policy_ctl status                                  # lifecycle state and /diagnostics
    policy_ctl --node /robot1/nf_policy status         # another node (default /nf_policy)

Exit status 0 when the node did it, 1 when it refused or did not answer (message on stderr).
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
from rcl_interfaces.srv import SetParameters
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from std_srvs.srv import SetBool


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



TRANSITIONS = {
    'configure': Transition.TRANSITION_CONFIGURE,
    'activate': Transition.TRANSITION_ACTIVATE,
    'deactivate': Transition.TRANSITION_DEACTIVATE,
    'cleanup': Transition.TRANSITION_CLEANUP,
}
COMMANDS = (*TRANSITIONS, 'arm', 'disarm', 'status')


def change_state(ros: RosClient, node: str, transition: str, timeout_s: float) -> str:
    """Run a lifecycle transition of ``node``; returns the state it ends in."""
    request = ChangeState.Request(transition=Transition(id=TRANSITIONS[transition]))
    if not ros.call(ChangeState, f'{node}/change_state', request, timeout_s).success:
        state = lifecycle_state(ros, node, timeout_s)
        raise RosCallError(f'{node} refused {transition} (state: {state}; the node log '
                           'says why)')
    return lifecycle_state(ros, node, timeout_s)


def lifecycle_state(ros: RosClient, node: str, timeout_s: float) -> str:
    return ros.call(GetState, f'{node}/get_state', timeout_s=timeout_s).current_state.label


def enable_output(ros: RosClient, node: str, on: bool, timeout_s: float) -> str:
    """Arm or disarm the policy node's output (``~/enable_output``)."""
    response = ros.call(SetBool, f'{node}/enable_output', SetBool.Request(data=on), timeout_s)
    if not response.success:
        raise RosCallError(f'{node} refused to {"arm" if on else "disarm"}: '
                           f'{response.message}')
    return response.message


def status(ros: RosClient, node: str, timeout_s: float) -> str:
    """The lifecycle state and the node's next /diagnostics status (1 Hz)."""
    name = node.rstrip('/').rsplit('/', 1)[-1]
    received: list[str] = []
    done = threading.Event()

    def on_diagnostics(msg: DiagnosticArray) -> None:
        for item in msg.status:
            if item.name.startswith(f'{name}:') and not done.is_set():
                values = ', '.join(f'{v.key}={v.value}' for v in item.values
                                   if v.key in ('armed', 'plan_rate_hz', 'num_candidates'))
                received.append(f'{item.message} ({values})')
                done.set()

    ros.node.create_subscription(DiagnosticArray, '/diagnostics', on_diagnostics, 10)
    state = lifecycle_state(ros, node, timeout_s)
    done.wait(min(timeout_s, 3.0))
    return f'{state}: {received[0] if received else "no /diagnostics within 3 s"}'


def run(args: argparse.Namespace) -> str:
    with RosClient('policy_ctl') as ros:
        if args.command in TRANSITIONS:
            return change_state(ros, args.node, args.command, args.timeout)
        if args.command in ('arm', 'disarm'):
            return enable_output(ros, args.node, args.command == 'arm', args.timeout)
        return status(ros, args.node, args.timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='policy_ctl', description='Lifecycle transitions, '
                                     'arm/disarm and status of the NF-P policy node.')
    parser.add_argument('command', choices=COMMANDS)
    parser.add_argument('--node', default='/nf_policy', help='the node (default /nf_policy)')
    parser.add_argument('--timeout', type=float, default=60.0,
                        help='seconds to wait for the node (configure loads the model)')
    args = parser.parse_args(argv)
    try:
        print(run(args))
    except RosCallError as exc:
        print(f'policy_ctl: {exc}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

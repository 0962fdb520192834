# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``policy_ctl``: the policy node's controls for a venv without the ``ros2`` CLI:

    policy_ctl configure|activate|deactivate|cleanup   # lifecycle transitions
    policy_ctl shutdown                                # to finalized, from any state
    policy_ctl arm|disarm                              # ~/enable_output
    policy_ctl status                                  # lifecycle state and ~/status
    policy_ctl --node /robot1/nf_policy status         # another node (default /nf_policy)

``--node`` is the node's fully qualified name (namespace and name, after any ``__node:=``
remap). A refusal prints the node's reason, read from its latched ``~/status`` (the
/diagnostics status of that node alone). Exit status 0 when the node did it, 1 when it
refused or did not answer (message on stderr).
"""

from __future__ import annotations

import argparse
import sys
import threading

from diagnostic_msgs.msg import DiagnosticStatus
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_srvs.srv import SetBool

from nf_policy_ros.nodes.clients.ros_client import RosCallError, RosClient

TRANSITIONS = {
    'configure': Transition.TRANSITION_CONFIGURE,
    'activate': Transition.TRANSITION_ACTIVATE,
    'deactivate': Transition.TRANSITION_DEACTIVATE,
    'cleanup': Transition.TRANSITION_CLEANUP,
}
SHUTDOWN_FROM = {  # the shutdown transition leaving each primary state
    'unconfigured': Transition.TRANSITION_UNCONFIGURED_SHUTDOWN,
    'inactive': Transition.TRANSITION_INACTIVE_SHUTDOWN,
    'active': Transition.TRANSITION_ACTIVE_SHUTDOWN,
}
COMMANDS = (*TRANSITIONS, 'shutdown', 'arm', 'disarm', 'status')
STATUS_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                        durability=DurabilityPolicy.TRANSIENT_LOCAL)
STATUS_WAIT_S = 3.0  # [s] for the node's latched ~/status


def node_name(name: str) -> str:
    """``name`` as a fully qualified node name: ``robot1/nf_policy`` -> ``/robot1/nf_policy``."""
    return '/' + name.strip('/')


def change_state(ros: RosClient, node: str, transition: str, timeout_s: float) -> str:
    """Run a lifecycle transition of ``node``; returns the state it ends in. A refusal
    raises RosCallError with the node's reason (its ~/status)."""
    if transition == 'shutdown':
        state = lifecycle_state(ros, node, timeout_s)
        if state not in SHUTDOWN_FROM:
            raise RosCallError(f'{node} cannot shut down from state {state}')
        transition_id = SHUTDOWN_FROM[state]
    else:
        transition_id = TRANSITIONS[transition]
    request = ChangeState.Request(transition=Transition(id=transition_id))
    if not ros.call(ChangeState, f'{node}/change_state', request, timeout_s).success:
        # the status message starts with the state the node stays in
        raise RosCallError(f'{node} refused {transition}: {node_status(ros, node)}')
    return lifecycle_state(ros, node, timeout_s)


def lifecycle_state(ros: RosClient, node: str, timeout_s: float) -> str:
    return ros.call(GetState, f'{node}/get_state', timeout_s=timeout_s,
                    repeat_safe=True).current_state.label


def node_status(ros: RosClient, node: str, keys: tuple[str, ...] = ()) -> str:
    """The message of ``node``'s latched ``~/status`` (the latest, whenever published),
    with the values named in ``keys``."""
    received: list[DiagnosticStatus] = []
    done = threading.Event()

    def on_status(msg: DiagnosticStatus) -> None:
        if not done.is_set():
            received.append(msg)
            done.set()

    subscription = ros.node.create_subscription(DiagnosticStatus, f'{node}/status',
                                                on_status, STATUS_QOS)
    try:
        if not done.wait(STATUS_WAIT_S):
            return f'no {node}/status within {STATUS_WAIT_S:.0f} s'
    finally:
        ros.node.destroy_subscription(subscription)
    status = received[0]
    values = ', '.join(f'{v.key}={v.value}' for v in status.values if v.key in keys)
    return f'{status.message} ({values})' if values else status.message


def enable_output(ros: RosClient, node: str, on: bool, timeout_s: float) -> str:
    """Arm or disarm the policy node's output (``~/enable_output``)."""
    response = ros.call(SetBool, f'{node}/enable_output', SetBool.Request(data=on), timeout_s,
                        repeat_safe=True)
    if not response.success:
        raise RosCallError(f'{node} refused to {"arm" if on else "disarm"}: '
                           f'{response.message}')
    return response.message


def status(ros: RosClient, node: str, timeout_s: float) -> str:
    """The lifecycle state and the node's latest status (its ~/status)."""
    state = lifecycle_state(ros, node, timeout_s)
    return f'{state}: {node_status(ros, node, ("armed", "plan_rate_hz", "num_candidates"))}'


def run(args: argparse.Namespace) -> str:
    node = node_name(args.node)
    with RosClient('policy_ctl') as ros:
        if args.command in (*TRANSITIONS, 'shutdown'):
            return change_state(ros, node, args.command, args.timeout)
        if args.command in ('arm', 'disarm'):
            return enable_output(ros, node, args.command == 'arm', args.timeout)
        return status(ros, node, args.timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='policy_ctl', description='Lifecycle transitions, '
                                     'arm/disarm and status of the NF-P policy node.')
    parser.add_argument('command', choices=COMMANDS)
    parser.add_argument('--node', default='/nf_policy',
                        help='fully qualified name of the node: namespace and name, after '
                             'any __node:= remap (default /nf_policy)')
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

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``policy_ctl``: the policy node's controls for a venv without the ``ros2`` CLI:

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

from diagnostic_msgs.msg import DiagnosticArray
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
from std_srvs.srv import SetBool

from nf_policy_ros.nodes.clients.ros_client import RosCallError, RosClient

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
    return ros.call(GetState, f'{node}/get_state', timeout_s=timeout_s,
                    repeat_safe=True).current_state.label


def enable_output(ros: RosClient, node: str, on: bool, timeout_s: float) -> str:
    """Arm or disarm the policy node's output (``~/enable_output``)."""
    response = ros.call(SetBool, f'{node}/enable_output', SetBool.Request(data=on), timeout_s,
                        repeat_safe=True)
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

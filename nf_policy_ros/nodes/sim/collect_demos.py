# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``collect_demos``: scripted-expert demonstrations recorded through ROS, one bag each.

For each seed: the Meta-World expert plans the episode in this process (its own simulator,
same seed, so the same start), the sim robot is reset to that seed, the recorder opens a bag,
and the expert's joint path goes to the robot as one JointTrajectory (a point per physics
step), which the robot executes like joint_trajectory_controller. The bag is kept, labelled
success, when the robot reports success; otherwise discarded (or kept labelled failure).

    collect_demos --task drawer-open --demos 20 --first-seed 0

Needs ``sim_robot_node`` and ``demo_recorder`` running (see scripts/demo.sh).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from std_srvs.srv import SetBool, Trigger
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from nf_policy_ros.nodes.clients.ros_client import RosClient
from nf_policy_ros.nodes.common.time_msgs import duration
from nf_policy_ros.sim.experts import JointDemo, run_expert
from nf_policy_ros.sim.task import JointTask, TaskConfig

POLL_S = 0.05


def path_message(demo: JointDemo, joint_names: tuple[str, ...], step_s: float,
                 lead_steps: int) -> JointTrajectory:
    """The demo's per-step joint targets, point k due k steps after arrival (zero stamp)."""
    msg = JointTrajectory(joint_names=list(joint_names))
    for k, target in enumerate(demo.path(lead_steps)):
        msg.points.append(JointTrajectoryPoint(positions=target.tolist(),
                                               time_from_start=duration(k * step_s)))
    return msg


def wait_for_episode(ros: RosClient, sim: str, steps: int, timeout_s: float) -> dict:
    """Poll the robot until it reports success or has run ``steps`` steps; its last report."""
    deadline = time.monotonic() + timeout_s
    while True:
        reply = ros.call(Trigger, f'{sim}/success', repeat_safe=True)
        report = json.loads(reply.message)
        if report['success'] or report['steps'] >= steps or time.monotonic() > deadline:
            return report
        time.sleep(POLL_S)


def record_one(ros: RosClient, args: argparse.Namespace, demo: JointDemo,
               task: JointTask, publisher) -> dict:
    """Reset, record, execute the demo; keep or discard the bag; returns a report."""
    ros.set_parameters(args.sim, {'seed': demo.seed})
    ros.call(Trigger, f'{args.sim}/reset', repeat_safe=True)
    ros.set_parameters(args.recorder, {'episode_label': f'{args.task} seed {demo.seed}'})
    started = ros.call(Trigger, f'{args.recorder}/start')
    if not started.success:
        raise RuntimeError(f'recorder refused to start: {started.message}')
    msg = path_message(demo, task.joint_names, task.dt, args.lead_steps)
    publisher.publish(msg)
    report = wait_for_episode(ros, args.sim, len(msg.points) + 5, args.episode_timeout)
    if report['success'] or args.keep_failures:
        stopped = ros.call(SetBool, f'{args.recorder}/stop',
                           SetBool.Request(data=bool(report['success'])))
        if not stopped.success:
            raise RuntimeError(f'recorder refused the episode: {stopped.message}')
        report['bag'] = json.loads(stopped.message)
    else:
        ros.call(Trigger, f'{args.recorder}/discard', repeat_safe=True)
    return report


def collect(args: argparse.Namespace) -> int:
    task = JointTask(TaskConfig(task=args.task))
    kept, seed = 0, args.first_seed
    with RosClient('collect_demos') as ros:
        publisher = ros.node.create_publisher(JointTrajectory, args.trajectory_topic, 10)
        while kept < args.demos and seed < args.first_seed + args.max_seeds:
            demo = run_expert(task, seed)
            seed += 1
            if not demo.expert_success:
                print(json.dumps({'seed': demo.seed, 'skipped': 'expert failed'}), flush=True)
                continue
            report = record_one(ros, args, demo, task, publisher)
            kept += report['success']
            print(json.dumps(report), flush=True)
    task.close()
    print(f'{kept}/{args.demos} successful demonstrations recorded (seeds '
          f'{args.first_seed}..{seed - 1})', flush=True)
    return 0 if kept >= args.demos else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--task', default='drawer-open')
    parser.add_argument('--demos', type=int, default=20, help='successful demos to record')
    parser.add_argument('--first-seed', type=int, default=0)
    parser.add_argument('--max-seeds', type=int, default=200, help='give up after this many')
    parser.add_argument('--sim', default='/sim_robot', help='sim robot node name')
    parser.add_argument('--recorder', default='/demo_recorder', help='recorder node name')
    parser.add_argument('--trajectory-topic', default='/joint_trajectory')
    parser.add_argument('--lead-steps', type=int, default=1,
                        help='target = the expert position this many steps ahead')
    parser.add_argument('--episode-timeout', type=float, default=120.0, help='[s] wall')
    parser.add_argument('--keep-failures', action='store_true',
                        help='keep failed episodes, labelled failure')
    args = parser.parse_args(argv)
    if args.demos < 1:
        parser.error(f'--demos={args.demos}: expected >= 1')
    return args


def main(argv: list[str] | None = None) -> int:
    return collect(parse_args(sys.argv[1:] if argv is None else argv))


if __name__ == '__main__':
    raise SystemExit(main())

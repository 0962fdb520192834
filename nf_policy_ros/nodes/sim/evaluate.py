# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``evaluate``: closed-loop success of the running policy node on the running sim robot,
entirely over ROS topics and services.

For each seed: reset the robot (``seed`` parameter + ``~/reset``), reset and arm the policy
(``~/reset``, ``~/enable_output``), let it drive until the robot reports success or
``--max-steps`` physics steps, disarm. Confidence comes from the policy's ``~/confidence``
topic, latency from its /diagnostics (model and node-overhead percentiles, wall time).
Writes a JSON report and a plot (success per episode, confidence traces). ``--hold`` runs
the same episodes with the policy left disarmed: the do-nothing baseline, on the same path.
``--record`` bags each episode with ``demo_recorder`` (started after the resets, stopped
after the disarm, labelled with the episode's outcome): with the policy's takeover gate and
the robot's scripted operator, these bags are the corrections (docs/robot.md, section 8).

    evaluate --episodes 10 --first-seed 10000 --out results/eval.json
    evaluate --episodes 5 --record --out results/corrections.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys
import threading
import time
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
import numpy as np
from std_msgs.msg import Float32
from std_srvs.srv import SetBool, Trigger

from nf_policy_ros.nodes.clients.ros_client import RosCallError, RosClient
from nf_policy_ros.tools import plots

POLL_S = 0.05
DISCOVERY_TIMEOUT_S = 20.0
LATENCY_KEYS = ('model_p50_ms', 'model_p95_ms', 'overhead_p50_ms', 'overhead_p95_ms',
                'plan_rate_hz')


class PolicyMonitor:
    """Collects the policy's confidence values and latest diagnostics while armed."""

    def __init__(self, ros: RosClient, policy: str) -> None:
        self._lock = threading.Lock()
        self.confidence: list[float] = []
        self.diagnostics: dict[str, str] = {}
        name = policy.strip('/').split('/')[-1]
        topic = f'{policy}/confidence'
        self._confidence_sub = ros.node.create_subscription(Float32, topic,
                                                            self._on_confidence, 100)
        ros.node.create_subscription(
            DiagnosticArray, '/diagnostics',
            lambda msg: self._on_diagnostics(msg, name), 10)
        deadline = time.monotonic() + DISCOVERY_TIMEOUT_S
        while self._confidence_sub.get_publisher_count() == 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f'nobody publishes {topic} after {DISCOVERY_TIMEOUT_S} s: '
                                   'is the policy node running (--policy)?')
            time.sleep(POLL_S)

    def _on_confidence(self, msg: Float32) -> None:
        with self._lock:
            self.confidence.append(float(msg.data))

    def _on_diagnostics(self, msg: DiagnosticArray, name: str) -> None:
        for status in msg.status:
            if status.name.startswith(f'{name}:'):
                with self._lock:
                    self.diagnostics = {kv.key: kv.value for kv in status.values}

    def take(self) -> tuple[list[float], dict[str, str]]:
        with self._lock:
            out = (self.confidence, dict(self.diagnostics))
            self.confidence = []
        return out


def arm_policy(ros: RosClient, args: argparse.Namespace, on: bool) -> None:
    if not args.hold:
        ros.call(SetBool, f'{args.policy}/enable_output', SetBool.Request(data=on),
                 repeat_safe=True)


def start_recording(ros: RosClient, args: argparse.Namespace, label: str) -> None:
    ros.set_parameters(args.recorder, {'episode_label': label})
    started = ros.call(Trigger, f'{args.recorder}/start')
    if not started.success:
        raise RosCallError(f'{args.recorder} refused to start: {started.message}')


def run_episode(ros: RosClient, monitor: PolicyMonitor | None, args: argparse.Namespace,
                seed: int) -> dict[str, Any]:
    ros.set_parameters(args.sim, {'seed': seed})
    ros.call(Trigger, f'{args.sim}/reset', repeat_safe=True)
    if monitor is not None:
        ros.call(Trigger, f'{args.policy}/reset', repeat_safe=True)
        monitor.take()
    if args.record:  # after the resets: the bag holds this episode only
        start_recording(ros, args, f'evaluate seed {seed}')
    arm_policy(ros, args, True)
    start = time.monotonic()
    while True:
        report = json.loads(ros.call(Trigger, f'{args.sim}/success', repeat_safe=True).message)
        if report['success'] or report['steps'] >= args.max_steps:
            break
        if time.monotonic() - start > args.episode_timeout:
            report['timed_out'] = True
            break
        time.sleep(POLL_S)
    arm_policy(ros, args, False)
    if args.record:
        stopped = ros.call(SetBool, f'{args.recorder}/stop',
                           SetBool.Request(data=bool(report['success'])))
        if not stopped.success:
            raise RosCallError(f'{args.recorder} refused the episode: {stopped.message}')
        report['bag'] = json.loads(stopped.message)
    confidence, diagnostics = monitor.take() if monitor is not None else ([], {})
    report.update(wall_s=time.monotonic() - start, confidence=confidence,
                  latency={k: float(diagnostics[k]) for k in LATENCY_KEYS if k in diagnostics})
    return report


def summarize(episodes: list[dict[str, Any]]) -> dict[str, Any]:
    """Success rate, episode length, confidence and latency over the episodes."""
    conf = [e['confidence'] for e in episodes]
    latency = {k: float(np.mean([e['latency'][k] for e in episodes if k in e['latency']]))
               for k in LATENCY_KEYS if any(k in e['latency'] for e in episodes)}
    return {
        'episodes': len(episodes),
        'successes': sum(bool(e['success']) for e in episodes),
        'success_rate': float(np.mean([bool(e['success']) for e in episodes])),
        'mean_steps': float(np.mean([e['steps'] for e in episodes])),
        'mean_confidence': float(np.mean(np.concatenate(conf))) if any(conf) else None,
        'mean_confidence_success': _mean_of(episodes, True),
        'mean_confidence_failure': _mean_of(episodes, False),
        'plans': int(sum(len(c) for c in conf)),
        'latency_ms_mean_over_episodes': latency,
        **_operator_effort(episodes),
    }


def _operator_effort(episodes: list[dict[str, Any]]) -> dict[str, int]:
    """Total simulated-operator command ticks and takeovers (sim_robot_node with an
    ``operator``), to compare runs at equal expert effort; {} without an operator."""
    if not any('expert_ticks' in e for e in episodes):
        return {}
    return {name: int(sum(e.get(name, 0) for e in episodes))
            for name in ('expert_ticks', 'takeovers')}


def _mean_of(episodes: list[dict[str, Any]], success: bool) -> float | None:
    values = [v for e in episodes if bool(e['success']) == success for v in e['confidence']]
    return float(np.mean(values)) if values else None


def plot(episodes: list[dict[str, Any]], summary: dict[str, Any], path: Path) -> None:
    """Confidence trace per episode (green success, red failure) and successes."""
    fig, (traces, bars) = plots.pyplot().subplots(1, 2, figsize=(11, 4),
                                                  gridspec_kw={'width_ratios': [3, 1]})
    plots.draw_confidence_traces(traces, [e['success'] for e in episodes],
                                 [e['confidence'] for e in episodes], 'plan index in episode')
    traces.set(title='NF-P confidence per plan (green: success, red: failure)')
    bars.bar(['success', 'failure'], [summary['successes'],
                                      summary['episodes'] - summary['successes']],
             color=['tab:green', 'tab:red'])
    bars.set(title=f"success {summary['successes']}/{summary['episodes']}", ylabel='episodes')
    fig.tight_layout()
    plots.save(fig, path, dpi=100)


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    with RosClient('nf_policy_evaluate') as ros:
        if args.real_time_factor is not None:
            ros.set_parameters(args.sim, {'real_time_factor': args.real_time_factor})
        monitor = None if args.hold else PolicyMonitor(ros, args.policy)
        if args.record:  # the recorder's first start discovers its topics (seconds), which
            # would count against the first episode's steps: do that once, now
            start_recording(ros, args, 'evaluate: topic discovery')
            ros.call(Trigger, f'{args.recorder}/discard', repeat_safe=True)
        episodes = []
        for seed in range(args.first_seed, args.first_seed + args.episodes):
            episodes.append(run_episode(ros, monitor, args, seed))
            e = episodes[-1]
            print(f"seed {seed}: {'success' if e['success'] else 'failure'} after "
                  f"{e['steps']} steps, {len(e['confidence'])} plans, mean confidence "
                  f"{np.mean(e['confidence']) if e['confidence'] else float('nan'):.2f}",
                  flush=True)
    return {'summary': summarize(episodes), 'episodes': episodes, 'args': vars(args)}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--episodes', type=int, default=10)
    parser.add_argument('--first-seed', type=int, default=10_000,
                        help='evaluation seeds; keep them apart from demo seeds')
    parser.add_argument('--max-steps', type=int, default=200, help='physics steps')
    parser.add_argument('--sim', default='/sim_robot')
    parser.add_argument('--policy', default='/nf_policy')
    parser.add_argument('--episode-timeout', type=float, default=300.0, help='[s] wall')
    parser.add_argument('--real-time-factor', type=float, default=None,
                        help="set the sim robot's real_time_factor first (slower than real "
                             'time lets a slow CPU keep up; the report says which)')
    parser.add_argument('--record', action='store_true',
                        help='bag each episode with demo_recorder (--recorder)')
    parser.add_argument('--recorder', default='/demo_recorder', help='recorder node name')
    parser.add_argument('--hold', action='store_true',
                        help='do-nothing baseline: the robot holds its start pose (no policy)')
    parser.add_argument('--out', type=Path, default=Path('results/eval.json'))
    parser.add_argument('--plot', type=Path, default=None,
                        help='plot path (default: --out with .png)')
    args = parser.parse_args(argv)
    if args.episodes < 1:
        parser.error(f'--episodes={args.episodes}: expected >= 1')
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        result = evaluate(args)
    except RosCallError as exc:  # a node missing, silent or refusing: one line
        print(f'evaluate: error: {exc}', file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str))
    plot_path = args.plot or args.out.with_suffix('.png')
    plot(result['episodes'], result['summary'], plot_path)
    s = result['summary']
    print(f"success {s['successes']}/{s['episodes']}, mean steps {s['mean_steps']:.0f}, "
          f"mean confidence {s['mean_confidence']}, latency {s['latency_ms_mean_over_episodes']}"
          f"; wrote {args.out} and {plot_path}", flush=True)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())

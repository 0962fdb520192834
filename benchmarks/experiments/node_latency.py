# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""End-to-end latency of the installed policy_node over real DDS, per camera size.

    source scripts/env.sh
    OMP_NUM_THREADS=1 python -m benchmarks.node_latency --duration 300 --write-docs

This process publishes a camera at 30 Hz and 7-joint states at 500 Hz and receives the
node's trajectories. end-to-end = trajectory received - header.stamp (the camera stamp of
the frame the plan used), which includes the frame's age when the control tick took it.
The node reports per plan the model time and its own overhead = (tick -> publish) - model.
Memory is the node's resident set after warm-up and at the end. Appends
docs/benchmarks/node.json and rewrites node.md.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import sys
import tempfile
import threading
import time
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
import numpy as np
import rclpy
from rclpy.executors import MultiThreadedExecutor
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image, JointState
import torch
from trajectory_msgs.msg import JointTrajectory

from benchmarks.experiments.core_latency import paper_config
from benchmarks.pages import report
from nf_policy_ros.core.checkpoint import make_provenance, save_checkpoint
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.nodes.common.spin import EXECUTOR_ENV, EXECUTORS

NAME = 'node'  # docs/benchmarks/node.json and .md

JOINTS = tuple(f'joint{i}' for i in range(14))
SIZES = {'96x96': (96, 96), '640x480': (480, 640)}
ROOT = Path(__file__).resolve().parents[2]  # the repository (benchmarks/ is at its root)
EXECUTABLE = ROOT / 'install' / 'nf_policy_ros' / 'lib' / 'nf_policy_ros' / 'policy_node'


NODE_EXECUTOR = 'events'  # policy_node's default (node.py main)
TIMING_FPS = 40.0  # [Hz] the timing checkpoint's policy clock


def timing_checkpoint(path: Path) -> Path:
    """Paper-size 96x96 model with random weights and a calibration: timing only. Its
    policy clock (40 Hz, stride 4) puts one chunk point in each 10 Hz control tick, so the
    node (one point per plan) publishes a plan every tick."""
    torch.manual_seed(0)
    policy = NFPolicy(paper_config(96, 'fast'))
    policy.calibration.fit(torch.randn(512) - 1.0)
    save_checkpoint(path, policy, make_provenance(joint_names=list(JOINTS), fps=TIMING_FPS))
    return path


class Rig:
    """Fake robot in this process: camera + joint states out, trajectories and diagnostics in."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node('nf_policy_bench', context=self.context)
        self.image = Image(height=shape[0], width=shape[1], encoding='rgb8', step=shape[1] * 3)
        self.image.data = np.random.default_rng(0).integers(0, 255, (*shape, 3),
                                                            np.uint8).tobytes()
        self.joints = JointState(name=list(JOINTS), position=[0.0] * len(JOINTS))
        self.latencies: list[float] = []
        self.diagnostics: dict[str, str] = {}
        self.sent = {'image': 0, 'joint_states': 0}
        self.lock = threading.Lock()
        self.image_pub = self.node.create_publisher(Image, 'image', qos_profile_sensor_data)
        self.joint_pub = self.node.create_publisher(JointState, 'joint_states',
                                                    qos_profile_sensor_data)
        self.node.create_subscription(JointTrajectory, 'joint_trajectory', self._on_plan, 10)
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diag, 10)
        self.node.create_timer(1 / 30, self._send_image)
        self.node.create_timer(1 / 500, self._send_joints)
        self.executor = MultiThreadedExecutor(num_threads=2, context=self.context)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def _send_image(self) -> None:
        self.image.header.stamp = self.node.get_clock().now().to_msg()
        self.image_pub.publish(self.image)
        self.sent['image'] += 1

    def _send_joints(self) -> None:
        self.joints.header.stamp = self.node.get_clock().now().to_msg()
        self.joint_pub.publish(self.joints)
        self.sent['joint_states'] += 1

    def _on_plan(self, msg: JointTrajectory) -> None:
        now = self.node.get_clock().now().nanoseconds
        stamp = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
        if len(msg.points) > 1:
            with self.lock:
                self.latencies.append((now - stamp) / 1e6)

    def _on_diag(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name == '/nf_policy: policy':
                with self.lock:
                    self.diagnostics = {v.key: v.value for v in status.values}

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)


def rss_mb(pid: int) -> float:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    return float('nan')


def run_size(name: str, shape: tuple[int, int], checkpoint: Path, duration: float,
             warmup: float, mode: str, compile_path: str = 'eager',
             min_candidates: int | None = None, precision: str = 'auto',
             executor: str = '') -> dict[str, Any]:
    """One run of the node; ``min_candidates`` None = the params file's (degrading
    allowed), = N to pin best-of-N (the old behaviour: late ticks are overruns);
    ``precision``: sampling.candidate_precision (fp32 = what a CPU without native bf16
    runs); ``executor``: NF_POLICY_EXECUTOR for the node ('' = its default)."""
    import subprocess

    rig = Rig(shape)
    args = [str(EXECUTABLE), '--ros-args', '--params-file', str(ROOT / 'config/policy.yaml'),
            '-p', f'checkpoint:={checkpoint}', '-p', 'output_enabled:=true',
            '-p', f'sampling.mode:={mode}', '-p', f'compile:={compile_path}',
            '-p', 'sampling.confidence:=plan',  # a random-weight model: no context support
            '-p', f'sampling.candidate_precision:={precision}']
    if min_candidates is not None:
        args += ['-p', f'min_candidates:={min_candidates}']
    env = {**os.environ, EXECUTOR_ENV: executor}
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env)
    try:
        deadline = time.monotonic() + 240  # a compiled node compiles at configure
        while not rig.latencies and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(warmup)
        with rig.lock:
            rig.latencies.clear()
        sent0 = dict(rig.sent)
        rss0 = rss_mb(proc.pid)
        overhead_p95 = []
        end = time.monotonic() + duration
        while time.monotonic() < end:
            time.sleep(min(20.0, max(0.0, end - time.monotonic())))
            with rig.lock:
                if 'overhead_p95_ms' in rig.diagnostics:
                    overhead_p95.append(float(rig.diagnostics['overhead_p95_ms']))
        rss1 = rss_mb(proc.pid)
        with rig.lock:
            lat = np.asarray(rig.latencies)
            diag = dict(rig.diagnostics)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        rig.close()
    return {'camera': name, 'mode': mode, 'compile': diag.get('inference_path', compile_path),
            'executor': executor or NODE_EXECUTOR,
            'num_candidates_end': diag.get('num_candidates'),
            'candidate_precision': diag.get('candidate_precision'),
            'degraded_ticks': int(diag.get('count.degraded_ticks', 0)),
            'duration_s': duration, 'plans': int(lat.size),
            'plan_rate_hz': lat.size / duration,
            'camera_rate_hz': (rig.sent['image'] - sent0['image']) / duration,
            'joint_rate_hz': (rig.sent['joint_states'] - sent0['joint_states']) / duration,
            'e2e_p50_ms': float(np.percentile(lat, 50)),
            'e2e_p95_ms': float(np.percentile(lat, 95)),
            'model_p50_ms': float(diag.get('model_p50_ms', 'nan')),
            'model_p95_ms': float(diag.get('model_p95_ms', 'nan')),
            'overhead_p50_ms': float(diag.get('overhead_p50_ms', 'nan')),
            'overhead_p95_ms_worst_window': max(overhead_p95) if overhead_p95 else float('nan'),
            'overruns': int(diag.get('count.overruns', 0)), 'rss_start_mb': rss0,
            'rss_end_mb': rss1}


def _blank(value: Any) -> Any:
    """'' for a value the run did not measure (None), else the value."""
    return '' if value is None else value


HEADER = ['camera', 'mode', 'inference', 'precision', 'executor', 'N at end', 'degraded ticks',
          'run [s]', 'plans/s', 'camera Hz', 'joints Hz', 'e2e p50', 'e2e p95', 'model p50',
          'overhead p50', 'overhead p95', 'overruns', 'RSS [MB]']


def _row(r: dict[str, Any]) -> list[Any]:
    return [r['camera'], r['mode'], r['compile'], _blank(r.get('candidate_precision')),
            _blank(r.get('executor')),
            _blank(r['num_candidates_end']), _blank(r['degraded_ticks']), r['duration_s'],
            r['plan_rate_hz'], r['camera_rate_hz'], r['joint_rate_hz'], r['e2e_p50_ms'],
            r['e2e_p95_ms'], r['model_p50_ms'], r['overhead_p50_ms'],
            r['overhead_p95_ms_worst_window'], r['overruns'],
            f"{r['rss_start_mb']:.0f} -> {r['rss_end_mb']:.0f}"]


def render_page(records: list[dict[str, Any]]) -> str:
    """Every record's runs, newest first, each under its machine, commit and load."""
    lines = [
        '# policy_node end-to-end latency (generated by `python -m benchmarks.node_latency`)\n',
        'Control 10 Hz, camera 30 Hz rgb8, joint states 500 Hz, paper-size model (96x96 input, '
        '14 joints), one CPU thread; every run of the script below, newest first.\n',
        '*e2e* = trajectory received minus the camera stamp it was planned from (includes the '
        "frame's age at the control tick, up to one camera period, and the model). "
        '*overhead* = tick to publish minus model, measured in the node (conversion, '
        'resize, hand-off, plan, message); its p95 is the worst 200-plan window of the run. '
        'Memory: node resident set after warm-up -> at the end.\n',
        '*N at end* / *degraded ticks*: best-of-N keeps the rate by halving N when '
        'model time passes 0.8 of the period (policy_node min_candidates; since 2026-12-07 at '
        'once past the period, else at the second such tick within 10; before, at each); '
        'the ticks planned with fewer than the configured candidates are counted. '
        "*precision*: the candidates' conditioner matmuls (sampling.candidate_precision "
        'auto: bf16 where the CPU has it natively; blank: a run from before it was '
        "recorded). *executor*: the node's rclpy executor (NF_POLICY_EXECUTOR; events is "
        'its default since 2026-12-07, single before; blank: not recorded).\n']
    for record in reversed(records):
        lines += [f"## {record['machine'].get('date_utc', '')[:16].replace('T', ' ')} UTC\n",
                  f"{report.describe_machine(record['machine'])}\n",
                  report.markdown_table(HEADER, [_row(r) for r in record['runs']]), '']
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--duration', type=float, default=300.0, help='seconds per size')
    parser.add_argument('--warmup', type=float, default=10.0)
    parser.add_argument('--modes', nargs='+', default=['best_of_n'])
    parser.add_argument('--sizes', nargs='+', default=list(SIZES), choices=list(SIZES))
    parser.add_argument('--compile', nargs='+', default=['eager'],
                        choices=['eager', 'inductor'])
    parser.add_argument('--precisions', nargs='+', default=['auto'],
                        choices=['auto', 'fp32', 'bf16'],
                        help='sampling.candidate_precision per run (fp32: as on a CPU '
                             'without native bf16)')
    parser.add_argument('--executors', nargs='+', default=[NODE_EXECUTOR], choices=EXECUTORS,
                        help="the node's rclpy executor per run (NF_POLICY_EXECUTOR)")
    parser.add_argument('--pin-candidates', action='store_true',
                        help='never degrade best-of-N (min_candidates = num_candidates)')
    parser.add_argument('--write-docs', action='store_true')
    args = parser.parse_args(argv)
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    sys.setswitchinterval(0.0005)  # this process's receive callbacks compete for the GIL too
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = timing_checkpoint(Path(tmp) / 'timing.pt')
        runs = [run_size(name, SIZES[name], checkpoint, args.duration, args.warmup, mode,
                         path, 128 if args.pin_candidates else None, precision, executor)
                for mode in args.modes for path in args.compile for precision in
                args.precisions for executor in args.executors for name in args.sizes]
    record = {'machine': report.machine_info(torch.device('cpu')), 'runs': runs}
    report.publish(NAME, record, render_page, args.write_docs)
    return 0

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Seconds per training step of the camera recipe, by phase (what a 2-core demo waits for).

    OMP_NUM_THREADS=1 python -m benchmarks.train_step --threads 1 --write-docs

The vision tier's model (vision_tier.vision_config: 9 joints, horizon 8, stride 4, ResNet18
at trunk stride 16) at batch 64 and ``--image`` px, random data. Phases:
- encoder warm-up step (regression of the chunk), trunks in float32, and in bf16
  (train.warmup_precision; on a CPU without native bf16 it is emulated and slow);
- likelihood step with the trunks frozen for autograd (what training does after the
  warm-up), and with them frozen by learning rate 0 only (training before that change:
  their convolution backward still ran).
Appends to docs/benchmarks/train_step.json and rewrites train_step.md.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from benchmarks.experiments.vision_tier import vision_config
from benchmarks.pages import report
from nf_policy_ros.core.encoder_warmup import FROZEN, EncoderWarmup, freeze_image_groups
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.core.precision import native_bf16
from nf_policy_ros.core.training import build_optimizer, train_step

NAME = 'train_step'
BATCH = 64
PHASES = ('warm-up, trunks fp32', 'warm-up, trunks bf16',
          'likelihood, trunks frozen for autograd', 'likelihood, trunks at lr 0 (before)')


def random_batch(image: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A (BATCH,) batch in the dataset's layout: uint8 images, float32 state and chunk."""
    return {'images': rng.integers(0, 256, (BATCH, 1, 3, image, image), dtype=np.uint8),
            'state': rng.standard_normal((BATCH, 9), dtype=np.float32),
            'actions': rng.standard_normal((BATCH, 8, 9), dtype=np.float32)}


def phase_step(phase: str, image: int,
               device: torch.device) -> tuple[NFPolicy, Callable[[], object]]:
    """The policy and a zero-argument callable that runs one training step of ``phase``."""
    precision = 'bf16' if 'bf16' in phase else 'fp32'
    config = vision_config(3000, 0, image, 16, encoder_warmup_steps=1000,
                           warmup_precision=precision)
    policy = NFPolicy(config).to(device).train()
    optimizer = build_optimizer(policy, config.train)
    batch = random_batch(image, np.random.default_rng(0))
    generator = torch.Generator().manual_seed(0)
    if phase.startswith('warm-up'):
        warmup = EncoderWarmup.of(policy, device)
        return policy, lambda: warmup.step(0, policy, optimizer, batch, 1e-3, generator,
                                           device, 1.0)
    if 'autograd' in phase:
        freeze_image_groups(optimizer)
    else:
        for group in optimizer.param_groups[1:]:
            group['lr_scale'] = FROZEN
    return policy, lambda: train_step(policy, policy, optimizer, batch, 1e-3, generator,
                                      device, 1.0)


def run(args: argparse.Namespace) -> dict[str, Any]:
    device = torch.device('cpu')
    torch.manual_seed(0)
    steps = {phase: phase_step(phase, args.image, device)[1] for phase in PHASES}
    times: dict[str, list[float]] = {phase: [] for phase in PHASES}
    for _ in range(args.rounds):  # interleaved: a load change hits every phase alike
        for phase, step in steps.items():
            times[phase].append(report.time_calls(step, args.repeats, 1, device)['p50_ms'])
    return {'machine': report.machine_info(device), 'image': args.image, 'batch': BATCH,
            'native_bf16': native_bf16(device), 'rounds': args.rounds,
            'step_ms': {phase: float(np.median(t)) for phase, t in times.items()},
            'step_ms_per_round': times}


def recipe_minutes(step_ms: dict[str, float], warmup_phase: str, steps: int = 3000,
                   warmup: int = 1000) -> float:
    """Training time [min] of the camera recipe (``steps`` with ``warmup`` warm-up steps)."""
    return (warmup * step_ms[warmup_phase]
            + (steps - warmup) * step_ms['likelihood, trunks frozen for autograd']) / 6e4


def render_page(records: list[dict[str, Any]]) -> str:
    sections = []
    for r in records[-4:]:
        ms = r['step_ms']
        rows = [[phase, f'{ms[phase]:.0f}'] for phase in PHASES]
        before = (1000 * ms[PHASES[0]] + 2000 * ms[PHASES[3]]) / 6e4
        sections += [
            f"## {r['image']} px, batch {r['batch']}\n",
            f"Machine: {report.describe_machine(r['machine'])}; native bf16: "
            f"{'yes' if r['native_bf16'] else 'no (emulated)'}; median of {r['rounds']} "
            'interleaved rounds.\n',
            report.markdown_table(['phase', 'step p50 [ms]'], rows), '',
            f'The camera recipe (3000 steps, warm-up 1000): {before:.1f} min before, '
            f'{recipe_minutes(ms, PHASES[0]):.1f} min with the autograd freeze, '
            f'{recipe_minutes(ms, PHASES[1]):.1f} min with a bf16 warm-up as well.\n']
    return '\n'.join([
        '# Training step time of the camera recipe (generated by '
        '`python -m benchmarks.train_step`)\n',
        "The vision tier's model at batch 64, random data, by phase of training. Latest "
        'four records. A load average above the thread count means the CPU was shared and '
        'the times are inflated alike (the phases are interleaved).\n',
        *sections])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--image', type=int, default=48)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--write-docs', action='store_true')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    report.publish(NAME, run(args), render_page, args.write_docs)
    return 0

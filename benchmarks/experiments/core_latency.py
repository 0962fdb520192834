# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""NF-P core benchmark: tick latency per sampling mode, FLOPs, training throughput.

    OMP_NUM_THREADS=1 python -m benchmarks.core_latency --write-docs
    OMP_NUM_THREADS=1 python -m benchmarks.core_latency --compile eager inductor \
        --backends fast --write-docs                                  # compiled vs eager
    python -m benchmarks.core_latency --device cuda --compile eager inductor \
        reduce-overhead --train-precision fp32 bf16 --write-docs     # on a GPU

Batch 1, one camera, 14-D state and action, horizon 8, stride 4 (the paper's bimanual
setup). A tick = encode the observation once + draw one chunk. "flow" = the draw alone, on
a precomputed context. The one-pass modes are timed in rounds, one call of each per
round. Appends to docs/benchmarks/core.json and rewrites core.md.
"""

from __future__ import annotations

import argparse
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.pages import report
from nf_policy_ros.config import ActionConfig, EncoderConfig, FlowConfig, NFPConfig, SamplingConfig
from nf_policy_ros.core import sampling
from nf_policy_ros.core.compiled import compile_for_inference
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.core.precision import native_bf16
from nf_policy_ros.structs import Observation

NAME = 'core'  # docs/benchmarks/core.json and .md

MODES: list[tuple[str, SamplingConfig]] = [
    ('zero_latent', SamplingConfig(mode='zero_latent')),
    ('best_of_1', SamplingConfig(mode='best_of_n', num_candidates=1)),
    ('best_of_32', SamplingConfig(mode='best_of_n', num_candidates=32)),
    ('best_of_128', SamplingConfig(mode='best_of_n', num_candidates=128)),
    ('best_of_128_bf16', SamplingConfig(mode='best_of_n', num_candidates=128,
                                        candidate_precision='bf16')),
    ('refine_latent_5', SamplingConfig(mode='refine', refine_steps=5)),
    ('refine_latent_10', SamplingConfig(mode='refine', refine_steps=10)),
    ('refine_action_10', SamplingConfig(mode='refine', refine_steps=10, refine_space='action')),
]


def paper_config(image_size: int, backend: str) -> NFPConfig:
    return NFPConfig(encoder=EncoderConfig(image_height=image_size, image_width=image_size,
                                           state_dim=14),
                     actions=ActionConfig(action_dim=14, horizon=8, stride=4),
                     flow=FlowConfig(backend=backend))


def count_flops(fn) -> float:
    with FlopCounterMode(display=False) as counter:
        fn()
    return float(counter.get_total_flops())


# --compile choices: eager, inductor (torch.compile with frozen weights), reduce-overhead
# (torch.compile's CUDA-graph mode, for a GPU)
COMPILE_MODES = {'eager': None, 'inductor': 'default', 'reduce-overhead': 'reduce-overhead'}


def example_observation(image_size: int, device: torch.device) -> Observation:
    return Observation(torch.rand(1, 1, 3, image_size, image_size, device=device),
                       torch.randn(1, 14, device=device))


def bench_modes(policy: NFPolicy, device: torch.device, image_size: int, repeats: int,
                peak_gflops: float, flops: dict[str, float] | None = None
                ) -> list[dict[str, Any]]:
    """Tick and flow timings per sampling mode; ``flops`` (mode -> FLOP per tick) skips
    counting (a compiled policy is counted on its eager twin)."""
    obs = example_observation(image_size, device)
    gen = torch.Generator(device=device).manual_seed(0)
    with torch.no_grad():
        context = policy.encode(obs)
    encode = report.time_calls(lambda: policy.encode(obs), repeats, 3, device)
    ticks, flows = {}, {}
    for name, config in MODES:
        if config.candidate_precision != 'fp32' and policy.config.flow.backend != 'fast':
            continue  # reduced-precision candidates exist in the fast backend only
        ticks[name] = lambda config=config: policy.predict(obs, config, gen)

        def flow_only(config=config):
            with torch.no_grad():
                return sampling.draw(policy.flow, context, config, gen)
        flows[name] = flow_only
    # one-pass modes in rounds (their ratios are the page's point); refinement, ~10x
    # slower, alone with fewer calls
    fast = [n for n, c in MODES if n in ticks and c.mode != 'refine']
    timed = {'tick': report.time_interleaved({n: ticks[n] for n in fast}, repeats, 3, device),
             'flow': report.time_interleaved({n: flows[n] for n in fast}, repeats, 3, device)}
    for name in ticks:
        if name not in fast:
            reps = max(5, repeats // 4)
            timed['tick'][name] = report.time_calls(ticks[name], reps, 3, device)
            timed['flow'][name] = report.time_calls(flows[name], reps, 3, device)
    rows = []
    for name in ticks:
        full = timed['tick'][name]
        count = flops[name] if flops else count_flops(ticks[name])
        rows.append({'mode': name, 'tick': full, 'flow': timed['flow'][name],
                     'encode': encode, 'gflop': count / 1e9,
                     'peak_fraction': count / (full['p50_ms'] * 1e-3) / 1e9 / peak_gflops})
    return rows


def bench_training(policy: NFPolicy, device: torch.device, image_size: int,
                   batch: int = 64, repeats: int = 5, precision: str = 'fp32'
                   ) -> dict[str, Any]:
    """Optimizer steps per second at ``batch``; ``precision='bf16'`` runs the loss under
    bf16 autocast with channels_last images (the encoder's convolutions in bf16, the
    flow's spline arithmetic where autocast keeps float32)."""
    policy.train()
    optimizer = torch.optim.AdamW(policy.parameters(), lr=1e-4)
    images = torch.rand(batch, 1, 3, image_size, image_size, device=device)
    if precision == 'bf16':
        policy.encoder.to(memory_format=torch.channels_last)
    obs = Observation(images, torch.randn(batch, 14, device=device))
    actions = torch.randn(batch, 8, 14, device=device)

    def step():
        optimizer.zero_grad()
        with torch.autocast(device.type, torch.bfloat16, enabled=precision == 'bf16'):
            loss = policy.loss(actions, obs)
        loss.backward()
        optimizer.step()
    timing = report.time_calls(step, repeats, 2, device)
    policy.eval()
    return {'batch': batch, 'step_ms': timing['p50_ms'], 'precision': precision,
            'samples_per_s': batch / (timing['p50_ms'] * 1e-3)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    device = torch.device(args.device)
    torch.manual_seed(0)
    peak = report.matmul_peak_gflops(device)
    results: dict[str, Any] = {'machine': report.machine_info(device),
                               'matmul_peak_gflops': peak, 'runs': []}
    for backend in args.backends:
        for size in args.image_sizes:
            flops: dict[str, float] = {}
            for compile_mode in args.compile:
                entry = bench_one(args, backend, size, compile_mode, device, peak, flops)
                results['runs'].append(entry)
                print(render_run(entry), flush=True)
    return results


def bench_one(args: argparse.Namespace, backend: str, size: int, compile_mode: str,
              device: torch.device, peak: float, flops: dict[str, float]) -> dict[str, Any]:
    """One (backend, image size, compile mode) entry; fills ``flops`` on the eager pass."""
    torch.manual_seed(0)
    policy = NFPolicy(paper_config(size, backend)).to(device).eval()
    entry = {'backend': backend, 'image_size': size, 'compile': compile_mode,
             'params_m': sum(p.numel() for p in policy.parameters()) / 1e6,
             'native_bf16': native_bf16(device)}
    if COMPILE_MODES[compile_mode]:
        mode = COMPILE_MODES[compile_mode]
        result = compile_for_inference(policy, example_observation(size, device),
                                       dict(MODES)['best_of_128'],
                                       None if mode == 'default' else mode)
        entry['compile_error'] = result.reason
        entry['compiled_vs_eager_rel_error'] = result.max_rel_error
    entry['modes'] = bench_modes(policy, device, size, args.repeats, peak, flops or None)
    flops.update({m['mode']: m['gflop'] * 1e9 for m in entry['modes']})
    entry['training'] = []
    if not args.skip_training and backend == 'fast' and compile_mode == 'eager':
        entry['training'] = [bench_training(NFPolicy(paper_config(size, backend)).to(device),
                                            device, size, precision=p)
                             for p in args.train_precision]
    return entry


def render_run(entry: dict[str, Any]) -> str:
    rows = []
    zero = entry['modes'][0]['tick']['p50_ms']
    for m in entry['modes']:
        rows.append([m['mode'], m['tick']['p50_ms'], m['tick']['p95_ms'], m['flow']['p50_ms'],
                     m['flow']['p95_ms'], m['tick']['p50_ms'] / zero, m['gflop'],
                     f"{100 * m['peak_fraction']:.0f}%"])
    compiled = entry['compile']
    if entry.get('compile_error'):
        compiled += f" (fell back to eager: {entry['compile_error']})"
    head = (f"backend `{entry['backend']}`, {entry['image_size']}x{entry['image_size']} "
            f"image, {compiled}, {entry['params_m']:.1f} M parameters, encoder alone p50 "
            f"{entry['modes'][0]['encode']['p50_ms']:.1f} ms")
    table = report.markdown_table(
        ['mode', 'tick p50 [ms]', 'tick p95 [ms]', 'flow p50 [ms]', 'flow p95 [ms]',
         'x zero_latent', 'GFLOP/tick', 'of matmul peak'], rows)
    text = f'{head}\n\n{table}\n'
    if any(m['mode'] == 'best_of_128_bf16' for m in entry['modes']):
        text += ("\nbest_of_128_bf16: the candidates' conditioner matmuls in bfloat16 "
                 '(`sampling.candidate_precision`; spline, mixing and log p in float32; what '
                 'it changes in a trained policy: candidate_precision.md); bf16 is '
                 f"{'native' if entry['native_bf16'] else 'emulated (slower than float32)'} "
                 'here.\n')
    for t in entry['training']:
        text += (f"\nTraining step at batch {t['batch']} ({t['precision']}): "
                 f"{t['step_ms']:.0f} ms p50 = {t['samples_per_s']:.0f} samples/s.\n")
    return text


def render_page(records: list[dict[str, Any]]) -> str:
    latest: dict[str, dict[str, Any]] = {}
    for record in records:
        latest[record['machine']['device'].split(':')[0]] = record
    parts = ['# NF-P core latency (generated by `python -m benchmarks.core_latency`)\n',
             'Batch 1, one camera, 14-D state and action, horizon 8, stride 4. A *tick* '
             'encodes the observation once and draws one chunk; *flow* is the draw alone. '
             'Warm-up excluded. Since 2026-12-02 the one-pass modes (all but refine) are '
             'timed in rounds, one call of each per round, so a slow spell of the machine '
             'hits them alike; earlier records timed each mode alone. Do not edit: rerun '
             'the script.\n']
    for device, record in sorted(latest.items()):
        parts.append(f"## {device}: {report.describe_machine(record['machine'])}\n")
        parts.append(f"Measured float32 matmul peak: {record['matmul_peak_gflops']:.0f} "
                     'GFLOP/s.\n')
        parts.extend(render_run(entry) for entry in record['runs'])
    return '\n'.join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--image-sizes', type=int, nargs='+', default=[96, 224])
    parser.add_argument('--backends', nargs='+', default=['fast', 'normflows'])
    parser.add_argument('--repeats', type=int, default=40)
    parser.add_argument('--compile', nargs='+', default=['eager'], choices=list(COMPILE_MODES),
                        help='inference paths to time (inductor = torch.compile, frozen '
                        'weights; reduce-overhead = its CUDA-graph mode)')
    parser.add_argument('--train-precision', nargs='+', default=['fp32'],
                        choices=['fp32', 'bf16'])
    parser.add_argument('--skip-training', action='store_true')
    parser.add_argument('--write-docs', action='store_true')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    report.publish(NAME, run(args), render_page, args.write_docs)
    return 0

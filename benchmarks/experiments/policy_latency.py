# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Latency per chunk: NF-P (best-of-128, one sample, zero latent, refine) against the
Diffusion Policy baseline (DDIM-10, DDPM-100, DDIM-10 eta 1), same process, same encoder and
chunk, batch 1. The rows are the kinds marked ``timed`` in benchmarks/protocol/kinds.py, and
refine.

    OMP_NUM_THREADS=1 python -m benchmarks.policy_latency --write-docs
    python -m benchmarks.policy_latency --device cuda --threads 4 --write-docs

The setup of the simulated robot: one 84x84 camera, 9 joints, horizon 8, stride 4. Two
Diffusion Policy sizes: the published U-Net (channels 256/512/1024) and a small one
(64/128/256). Weights are untrained (latency does not depend on them); warm-up calls are
excluded. Appends docs/benchmarks/policy_latency.json and rewrites policy_latency.md.
"""

from __future__ import annotations

import argparse
from typing import Any

import torch

from benchmarks.baselines.diffusion import SMALL_UNET, DiffusionConfig, DiffusionPolicy
from benchmarks.baselines.diffusion import compile_for_inference as compile_diffusion
from benchmarks.pages import report
from benchmarks.protocol import kinds, networks
from benchmarks.protocol.actors import NFPActor
from nf_policy_ros.config import ActionConfig, EncoderConfig, NFPConfig, SamplingConfig
from nf_policy_ros.core.compiled import compile_for_inference
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.structs import Observation

NAME = 'policy_latency'  # docs/benchmarks/policy_latency.json and .md

REFERENCE = kinds.get(kinds.NFP).actor_name  # 'NF-P best-of-128'
# NF-P's gradient refinement: timed here, not (yet) a kind the tiers evaluate
REFINE = ('NF-P refine-10', SamplingConfig(mode='refine', refine_steps=10))
DP_SIZES = {'DP (published U-Net)': DiffusionConfig(), 'DP (small U-Net)': SMALL_UNET}


def sim_config(image_size: int) -> NFPConfig:
    return NFPConfig(encoder=EncoderConfig(image_height=image_size, image_width=image_size,
                                           state_dim=9),
                     actions=ActionConfig(action_dim=9, horizon=8, stride=4))


def actors(config: NFPConfig, device: torch.device,
           dp_sizes: tuple[str, ...] = tuple(DP_SIZES),
           compiled: bool = False) -> list[tuple[str, Any]]:
    """(label, actor) of every row, NF-P first; ``compiled``: both policies' encoders and
    networks through torch.compile (frozen weights), NF-P checked against eager."""
    gen = torch.Generator(device=device).manual_seed(0)
    nfp = NFPolicy(config).to(device).eval()
    if compiled:
        size = config.encoder.image_height
        example = Observation(torch.rand(1, 1, 3, size, size, device=device),
                              torch.zeros(1, config.encoder.state_dim, device=device))
        result = compile_for_inference(nfp, example,
                                       SamplingConfig(mode='best_of_n', num_candidates=128))
        if not result.compiled:
            raise RuntimeError(f'NF-P did not compile: {result.reason}')
    rows = [(kind.actor_name, networks.sampled_actor(kind, nfp, gen))
            for kind in kinds.timed(kinds.NFP)]
    rows.append((REFINE[0], NFPActor(nfp, REFINE[1], gen, REFINE[0])))
    for label in dp_sizes:
        dp = DiffusionPolicy(config, DP_SIZES[label]).to(device).eval()
        if compiled:
            compile_diffusion(dp)
        params = sum(p.numel() for p in dp.denoiser.parameters()) / 1e6
        rows += [(f'{label} {kind.label} ({params:.0f} M denoiser)',
                  networks.sampled_actor(kind, dp, gen)) for kind in kinds.timed(kinds.DP)]
    return rows


def run(args: argparse.Namespace) -> dict[str, Any]:
    device = torch.device(args.device)
    config = sim_config(args.image_size)
    obs = Observation(torch.rand(1, 1, 3, args.image_size, args.image_size, device=device),
                      torch.randn(1, 9, device=device))
    rows = []
    sizes = tuple(k for k in DP_SIZES if any(f'({n} ' in k for n in args.dp_sizes))
    for label, actor in actors(config, device, sizes, args.compile == 'inductor'):
        slow = 'DDPM' in label or 'refine' in label
        timing = report.time_calls(lambda a=actor: a.act(obs), args.repeats // 4 if slow
                                   else args.repeats, 2, device)
        rows.append({'policy': label, **timing})
        print(f"{label}: p50 {timing['p50_ms']:.1f} ms", flush=True)
    reference = next(r['p50_ms'] for r in rows if r['policy'] == REFERENCE)
    for r in rows:
        r['vs_best_of_128'] = r['p50_ms'] / reference
    return {'machine': report.machine_info(device), 'image_size': args.image_size,
            'compile': args.compile, 'rows': rows}


def render_page(records: list[dict[str, Any]]) -> str:
    sections = []
    for r in records:
        rows = [[x['policy'], x['p50_ms'], x['p95_ms'], x['n'], f"{x['vs_best_of_128']:.1f}x"]
                for x in r['rows']]
        sections += [f"## {report.describe_machine(r['machine'])}, {r['image_size']}x"
                     f"{r['image_size']} image, {r['compile']}\n",
                     report.markdown_table(['policy', 'p50 [ms]', 'p95 [ms]', 'calls',
                                            'time / NF-P best-of-128'], rows), '']
    return '\n'.join([
        '# Latency per chunk: NF-P against Diffusion Policy (generated by '
        '`python -m benchmarks.policy_latency`)\n',
        'Batch 1, same process and thread count, one camera + 9 joints, chunk 8 x 9 (stride '
        '4), encoder included, warm-up excluded. Every run appended, newest last. The state '
        'and vision tiers train the small U-Net.\n',
        *sections, '## Targets, checked by this script (newest run per device)\n',
        *target_lines(records), ''])


# the benchmark issue's bars: DP time / NF-P best-of-128 time, (bar, inclusive)
TARGET_SPEEDUP = {'DDPM-100': (30.0, True), 'DDIM-10': (1.0, False),
                  'DDIM-10 eta 1': (1.0, False)}


def target_lines(records: list[dict[str, Any]]) -> list[str]:
    """One line per (device, DP size, DP sampler) of the newest record per device and
    inference path (eager / inductor: both policies compiled alike)."""
    newest = {(r['machine']['device'], r['compile']): r for r in records}
    lines = []
    for (device, path), record in newest.items():
        for size in DP_SIZES:
            for sampler, (bar, inclusive) in TARGET_SPEEDUP.items():
                row = next((x for x in record['rows']
                            if x['policy'].startswith(f'{size} {sampler} (')), None)
                if row is None:
                    continue
                ratio = row['vs_best_of_128']
                verdict = 'met' if ratio > bar or (inclusive and ratio == bar) else 'not met'
                where = device if path == 'eager' else f'{device} {path}'
                lines.append(f"- {where}, {record['image_size']}x{record['image_size']}: "
                             f"{size} {sampler} takes {ratio:.1f}x the time of NF-P "
                             f"best-of-128. Target {'>=' if inclusive else '>'} {bar:g}x: "
                             f"**{verdict}**.")
    return lines or ['- No run recorded.']


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--image-size', type=int, default=84)
    parser.add_argument('--repeats', type=int, default=40)
    parser.add_argument('--compile', choices=['eager', 'inductor'], default='eager',
                        help='inductor: both policies through torch.compile, frozen weights')
    parser.add_argument('--dp-sizes', nargs='+', default=['published', 'small'],
                        choices=['published', 'small'])

    def run_and_publish(args: argparse.Namespace) -> None:
        torch.manual_seed(0)
        report.publish(NAME, run(args), render_page, args.write_docs)

    return report.run_script(parser, argv, run_and_publish)

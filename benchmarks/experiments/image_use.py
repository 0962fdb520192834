# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Does a trained camera policy use its image? Offline probes on cached demos (issue 18).

No simulator: for each NF-P camera checkpoint and each tick t of ``--ticks``, the frames and
joint states of every demo long enough for a chunk at t, and

- *keypoint spread*: the std across episodes of each of the encoder's image features (the
  spatial-softmax keypoints, ``encoder.image_features``) of the frame at t, averaged over
  the features; beside it the same for a freshly initialized policy of the same config
  (seed ``INIT_SEED``): what an untrained encoder tells the images apart by;
- *R^2* of the zero-latent chunk (the flow's image of z = 0 given the encoded observation;
  robot units, flattened over T_a x D_a) against the demo's chunk a(t), a(t+S), ...,
  with the camera on, off (all-zero frames) and shuffled (each episode shown another
  episode's frame of the same tick, one fixed derangement);
- *on - shuffled*: mean |chunk(camera on) - chunk(camera shuffled)| [robot units], beside
  *demo - shuffled*: the same for the demos' own chunks under the same pairing (what a
  policy that reproduced each episode's chunk would show).

NF-P checkpoints only: a Diffusion Policy checkpoint holds no config and has no latent
mode to probe.

    OMP_NUM_THREADS=1 python -m benchmarks.image_use \\
        runs/vision_tier/drawer-open/50demos_seed0_*/nfp/policy.pt \\
        --dataset runs/vision_tier/drawer-open/demos_50_48px_range2 --ticks 0 10 20 \\
        --write-docs
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
import re
from typing import Any

import numpy as np
import torch

from benchmarks.pages import report
from nf_policy_ros.chunks import window_indices, window_starts
from nf_policy_ros.core.checkpoint import CheckpointError, load_policy
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.data.cache import DatasetError, load_dataset
from nf_policy_ros.data.image_task import r_squared
from nf_policy_ros.data.windows import Episode
from nf_policy_ros.structs import Observation

NAME = 'image_use'
INIT_SEED = 0  # torch seed of the freshly initialized reference encoder
SHUFFLE_SEED = 0  # numpy seed of the episode -> other episode frame pairing
MIN_EPISODES = 2  # a spread and a shuffle need two episodes
RUN_HASH = re.compile(r'_seed\d+_([0-9a-f]{10})(?:_|$)')  # benchmarks' run directory names
RANGE_TAG = re.compile(r'_range([0-9.]+)$')  # vision_tier.cached_demos' dataset names


@dataclass(frozen=True)
class Probe:
    """The demos at one tick t: N episodes long enough for a chunk at t.

    :param images: (N, N_c, 3, H, W) float in [0, 1], the frames at t.
    :param state: (N, D_s) joint positions at t [robot units].
    :param last_action: (N, D_a) the demo's action at t - 1 (at t = 0 its first).
    :param chunk: (N, T_a, D_a) the demo's chunk a(t), a(t+S), ... [robot units].
    :param shuffle: (N,) episode whose frame each episode is shown, never its own.
    """

    images: torch.Tensor
    state: torch.Tensor
    last_action: torch.Tensor
    chunk: torch.Tensor
    shuffle: torch.Tensor


def probe_at(episodes: list[Episode], tick: int, policy: NFPolicy) -> Probe:
    """The demos of ``episodes`` that have a window at ``tick`` under ``policy``'s chunk
    layout (at least MIN_EPISODES: checked by ``check_ticks``)."""
    actions = policy.config.actions
    usable = [e for e in episodes if tick in window_starts(len(e), actions)]
    chunks = [e.actions[window_indices(tick, len(e), actions)] for e in usable]
    return Probe(
        images=torch.from_numpy(np.stack([e.images[tick] for e in usable])).float() / 255.0,
        state=torch.from_numpy(np.stack([e.state[tick] for e in usable])).float(),
        last_action=torch.from_numpy(np.stack([e.actions[max(tick - 1, 0)]
                                               for e in usable])).float(),
        chunk=torch.from_numpy(np.stack(chunks)).float(),
        shuffle=torch.from_numpy(derangement(len(usable), SHUFFLE_SEED)))


def derangement(n: int, seed: int) -> np.ndarray:
    """(n,) a fixed permutation without fixed points: i -> the next one in a random cycle."""
    order = np.random.default_rng(seed).permutation(n)
    out = np.empty(n, dtype=np.int64)
    out[order] = np.roll(order, -1)
    return out


def keypoint_spread(policy: NFPolicy, images: torch.Tensor) -> float:
    """Mean over image features of their std across the N images (B, N_c, 3, H, W)
    [keypoint units: the image spans -1..1]."""
    return float(policy.encoder.image_features(images).std(0, unbiased=False).mean())


def zero_latent_chunk(policy: NFPolicy, probe: Probe, images: torch.Tensor) -> torch.Tensor:
    """(N, T_a, D_a) robot units: the flow's image of z = 0 given ``images`` and the
    probe's joint states."""
    last = probe.last_action if policy.config.encoder.use_last_action else None
    context = policy.encode(Observation(images, probe.state, last))
    x, _ = policy.flow.from_latent(context.new_zeros(len(context), policy.flow.dim), context)
    return policy.unflatten_actions(x)


def flat_r2(chunk: torch.Tensor, demo: torch.Tensor) -> float:
    return r_squared(chunk.flatten(1), demo.flatten(1))


@torch.no_grad()
def measure(policy: NFPolicy, fresh: NFPolicy, probe: Probe) -> dict[str, Any]:
    """The metrics of one checkpoint at one tick (both policies in eval mode)."""
    on = zero_latent_chunk(policy, probe, probe.images)
    off = zero_latent_chunk(policy, probe, torch.zeros_like(probe.images))
    shuffled = zero_latent_chunk(policy, probe, probe.images[probe.shuffle])
    return {'episodes': len(probe.chunk),
            'keypoint_spread': keypoint_spread(policy, probe.images),
            'keypoint_spread_init': keypoint_spread(fresh, probe.images),
            'r2_on': flat_r2(on, probe.chunk), 'r2_off': flat_r2(off, probe.chunk),
            'r2_shuffled': flat_r2(shuffled, probe.chunk),
            'on_vs_shuffled': float((on - shuffled).abs().mean()),
            'demo_vs_shuffled': float((probe.chunk - probe.chunk[probe.shuffle]).abs().mean())}


def fresh_policy(policy: NFPolicy) -> NFPolicy:
    """An untrained policy of ``policy``'s config, seeded (INIT_SEED), in eval mode."""
    torch.manual_seed(INIT_SEED)
    return NFPolicy(policy.config).eval()


def checkpoint_fields(path: Path, provenance: dict[str, Any],
                      policy: NFPolicy) -> dict[str, Any]:
    """What identifies the checkpoint: its path, the run's config hash (from a benchmark
    run directory's name '<demos>demos_seed<s>_<hash>_...'; None elsewhere), seed, steps."""
    found = [m.group(1) for part in path.parts if (m := RUN_HASH.search(part))]
    return {'checkpoint': str(path), 'config_hash': found[-1] if found else None,
            'seed': policy.config.train.seed,
            'steps': provenance.get('training', {}).get('steps'),
            'horizon': policy.config.actions.horizon, 'stride': policy.config.actions.stride}


def dataset_fields(path: Path, episodes: list[Episode], meta: dict[str, Any]) -> dict[str, Any]:
    """What the demos are: task (the episodes' common name prefix 'task/...'), count, image
    size [px], and the object placement scale (meta's ``object_range_scale``, else the
    '_range<x>' tag of vision_tier's cache names; None: not recorded)."""
    prefixes = {e.name.split('/')[0] for e in episodes if '/' in e.name}
    tag = RANGE_TAG.search(path.resolve().name)
    scale = meta.get('object_range_scale', float(tag.group(1)) if tag else None)
    return {'dataset': str(path), 'task': prefixes.pop() if len(prefixes) == 1 else None,
            'demos': len(episodes), 'image_size': list(episodes[0].images.shape[-2:]),
            'object_range_scale': scale}


def check_inputs(path: Path, policy: NFPolicy, episodes: list[Episode]) -> None:
    """A camera policy whose cameras, image size and joint count match the demos."""
    enc, image = policy.config.encoder, episodes[0].images.shape[1:]
    if enc.num_cameras == 0:
        raise ValueError(f'checkpoint {str(path)!r}: encoder.num_cameras=0: expected a '
                         'camera policy')
    wanted = (enc.num_cameras, 3, enc.image_height, enc.image_width)
    if tuple(image) != wanted:
        raise ValueError(f'checkpoint {str(path)!r}: expects frames (N_c, 3, H, W)={wanted}, '
                         f'the dataset has {tuple(image)}: expected the demos it was trained on')
    for name, have, want in (('encoder.state_dim', episodes[0].state.shape[1], enc.state_dim),
                             ('actions.action_dim', episodes[0].actions.shape[1],
                              policy.config.actions.action_dim)):
        if have != want:
            raise ValueError(f'checkpoint {str(path)!r}: {name}={want}, the dataset has '
                             f'{have} joints: expected equal')


def check_ticks(ticks: list[int], policy: NFPolicy, episodes: list[Episode]) -> None:
    for tick in ticks:
        usable = sum(tick in window_starts(len(e), policy.config.actions) for e in episodes)
        if tick < 0 or usable < MIN_EPISODES:
            raise ValueError(f'--ticks {tick}: {usable} of {len(episodes)} episodes have a '
                             f'chunk there: expected a tick >= 0 that >= {MIN_EPISODES} reach')


def load_inputs(args: argparse.Namespace) -> tuple[list, list[Episode], dict[str, Any]]:
    """Every checkpoint (path, policy, provenance) and the demos, all checked before any
    measurement (a bad input writes nothing)."""
    episodes, meta = load_dataset(args.dataset)
    if len(episodes) < MIN_EPISODES:
        raise ValueError(f'--dataset {str(args.dataset)!r}: {len(episodes)} episode(s): '
                         f'expected >= {MIN_EPISODES}')
    loaded = []
    for path in args.checkpoints:
        try:
            policy, provenance = load_policy(path)
        except CheckpointError as error:
            raise ValueError(f'{error} (expected an NF-P checkpoint, policy.pt)') from None
        check_inputs(path, policy, episodes)
        check_ticks(args.ticks, policy, episodes)
        loaded.append((path, policy, provenance))
    return loaded, episodes, meta


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    try:
        loaded, episodes, meta = load_inputs(args)
    except (DatasetError, ValueError) as error:
        parser.error(str(error))
    demos = dataset_fields(args.dataset, episodes, meta)
    results = []
    for path, policy, provenance in loaded:
        fresh = fresh_policy(policy)
        for tick in args.ticks:
            metrics = measure(policy, fresh, probe_at(episodes, tick, policy))
            results.append({**checkpoint_fields(path, provenance, policy), **demos,
                            'tick': tick, **metrics, 'init_seed': INIT_SEED,
                            'shuffle_seed': SHUFFLE_SEED,
                            'machine': report.machine_info(torch.device('cpu'))})
    for record in results:
        report.publish(NAME, record, render_page, args.write_docs)


def _g(value: float | None) -> str:
    return '' if value is None else f'{value:.2g}'


def _placement(scale: float | None) -> str:
    return 'not recorded' if scale is None else f'x{scale:g}'


def render_table(runs: list[dict[str, Any]]) -> str:
    rows = [[r['tick'], r['episodes'], _g(r['keypoint_spread']),
             _g(r['keypoint_spread_init']), f"{r['r2_on']:.2f}", f"{r['r2_off']:.2f}",
             f"{r['r2_shuffled']:.2f}", _g(r['on_vs_shuffled']), _g(r['demo_vs_shuffled']),
             f"{100 * r['on_vs_shuffled'] / r['demo_vs_shuffled']:.2g}"
             if r['demo_vs_shuffled'] else '']
            for r in sorted(runs, key=lambda r: r['tick'])]
    return report.markdown_table(
        ['tick', 'episodes', 'keypoint spread', 'keypoint spread, fresh init', 'R² on',
         'R² off', 'R² shuffled', 'on - shuffled', 'demo - shuffled',
         'on - shuffled / demo - shuffled [%]'], rows)


def render_section(runs: list[dict[str, Any]]) -> str:
    r = runs[-1]
    hash_text = f"config `{r['config_hash']}`, " if r['config_hash'] else ''
    return (f"## `{r['checkpoint']}`\n\n{hash_text}seed {r['seed']}, {r['steps']} steps; "
            f"chunk of {r['horizon']} points, stride {r['stride']}. Demos `{r['dataset']}`: "
            f"{r['task'] or 'task not recorded'}, {r['demos']} episodes, "
            f"{r['image_size'][0]}x{r['image_size'][1]} px, object placement "
            f"{_placement(r['object_range_scale'])}. Measured "
            f"{report.describe_machine(r['machine'])}.\n\n{render_table(runs)}\n")


MEANING = (
    "Offline probes of a trained NF-P camera policy on its demos, no simulator. *keypoint "
    "spread*: the std across episodes of each spatial-softmax keypoint of the frame at the "
    "tick (image spans -1..1), averaged over keypoints; *fresh init*: the same encoder "
    "architecture untrained (seed 0). *R²*: the zero-latent chunk (robot units, all "
    "points and joints) against the demo's chunk at that tick, with the camera on, off "
    "(black frames) and shuffled (each episode shown another episode's frame of the same "
    "tick); 1 = every episode's chunk, 0 = no better than the mean chunk. *on - shuffled*: "
    "mean |chunk on - chunk shuffled| [rad or m]; *demo - shuffled*: the demos' own chunks "
    "compared under the same pairing. A policy that uses its camera has on - shuffled "
    "comparable to demo - shuffled, and R² on above R² shuffled at tick 0, where every "
    "episode starts from the same joint state and only the image tells the episodes "
    "apart. A trained keypoint spread far below the fresh encoder's, on - shuffled near 0 "
    "and R² on ≈ off ≈ shuffled say the policy acts from its joint state alone: an R² near "
    "1 at later ticks then comes from the state the arm has already reached.")


def render_page(records: list[dict[str, Any]]) -> str:
    latest: dict[tuple, dict[str, Any]] = {}
    for r in records:
        latest[(r['checkpoint'], r['dataset'], r['tick'])] = r
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for (checkpoint, dataset, _), r in latest.items():
        groups.setdefault((checkpoint, dataset), []).append(r)
    sections = [render_section(runs) for _, runs in sorted(groups.items())]
    return ('# Does the camera policy use its image? (generated by '
            '`python -m benchmarks.image_use`)\n\n' + MEANING + ' Do not edit: rerun the '
            'script.\n\n' + '\n'.join(sections))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoints', nargs='+', type=Path,
                        help='NF-P camera checkpoints (policy.pt)')
    parser.add_argument('--dataset', type=Path, required=True,
                        help='dataset directory of the demos to probe on (data.cache)')
    parser.add_argument('--ticks', nargs='+', type=int, default=[0, 10, 20],
                        help='ticks of each episode to probe at')
    return report.run_script(parser, argv, lambda args: run(args, parser))

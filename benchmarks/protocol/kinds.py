# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Every policy kind the benchmarks run, declared once.

A kind is what a record's ``policy`` field names: a network (NF-P, the Diffusion Policy
baseline, or a floor that needs no training), trained with the tier's recipe changed by
``training`` (and, for DP's own recipe, its chunk layout ``actions``, observation horizon
and re-planning interval), and sampled one way. Kinds of one network without such changes
share one training (their run directory is the network's); kinds with the same changes
share the training of the first of them declared. Each network has one reference kind,
keyed by the network's name: the policy as compared, whose column is the policy's name.

What the kinds of one network share is its ``Network`` here (its name, whether it trains,
whether it is the baseline); how it trains, loads and acts is its adapter in
benchmarks.protocol.networks, keyed by the same name. Everything else is derived, so adding
a kind is one entry in ``KINDS``: the table columns and CLI choices of each tier
(``columns``, ``keys``), the vision tier's camera checks (``camera_columns``), the sampler
studies (``sampler_studies``), the head-to-head targets (``head_to_head``), the rows of the
latency page (``timed``), the learning curves run by default (``curve_defaults``) and the
test-split headline's choices (``headline_recipes``, ``fast_samplers``, ``slow_samplers``).
No torch here.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from benchmarks.protocol import recipes
from nf_policy_ros.config import NFPConfig, SamplingConfig

NFP, DP, FLOOR = 'nfp', 'dp', 'floor'
STATE, VISION = 'state', 'vision'
# the vision tier's camera checks of a trained policy: its camera blacked out ('off') or
# frozen on one frame of another episode ('frozen')
CAMERA_MODES = ('off', 'frozen')
CAMERA_SEPARATOR = '-camera-'


@dataclass(frozen=True)
class DPSampler:
    """How Diffusion Policy denoises: ``scheduler`` 'ddim' or 'ddpm' over ``steps`` steps
    placed 'leading' (Diffusion Policy's) or 'trailing'; DDIM noise ``eta`` (0 =
    deterministic)."""

    scheduler: str
    steps: int
    spacing: str = 'leading'
    eta: float = 0.0


@dataclass(frozen=True)
class Network:
    """What every kind of one network shares.

    :param key: the network's name (NFP, DP, FLOOR), the key of its reference kind and of
        its adapter (benchmarks.protocol.networks).
    :param policy: the policy's name in columns and actor names; '' for the floors, whose
        kinds are named by their keys.
    :param trains: False for the floors, which need no training.
    :param baseline: the policy NF-P is compared against.
    :param obs_history: it may be conditioned on several observations (``Kind.obs_horizon``).
    """

    key: str
    policy: str
    trains: bool = True
    baseline: bool = False
    obs_history: bool = False


# in column order: NF-P's kinds, DP's, the floors
NETWORKS: dict[str, Network] = {network.key: network for network in (
    Network(NFP, 'NF-P', obs_history=True),
    Network(DP, 'DP', baseline=True, obs_history=True),
    Network(FLOOR, '', trains=False),
)}
# a kind's part in the test-split headline (``Kind.headline``)
MINE, FAST, SLOW = 'mine', 'fast', 'slow'


@dataclass(frozen=True)
class Kind:
    """:param key: the records' and the CLI's name, e.g. 'dp-ddim-eta1'.
    :param network: NFP, DP (the baseline) or FLOOR.
    :param label: what follows the policy name in a column and an actor name
        ('DDIM-10 eta 1' -> 'DP DDIM-10 eta 1'); a floor's column and name are its key.
    :param sampler: SamplingConfig (NF-P), DPSampler (DP) or None (floor).
    :param training: TrainConfig fields changed from the tier's recipe (a network of its own).
    :param tiers: the tiers that run it (STATE, VISION).
    :param camera_checks: the vision tier also evaluates it with its camera off / frozen.
    :param timed: a row of the latency page (policy_latency).
    :param actions: ActionConfig fields changed from the tier's (a network of its own).
    :param obs_horizon: observations the network is conditioned on, one chunk point apart
        (a network with ``obs_history``; a network of its own when > 1): NF-P's
        ``encoder.obs_horizon`` (``trained_config``), DP's denoiser's
        (benchmarks.protocol.networks.kind_dp_size).
    :param execute_points: chunk points followed before re-planning (0 = the config's
        actions.execute_points).
    :param title: the policy with its recipe where recipes are compared (learning curves);
        '' = the column.
    :param curve: its place in the learning curves' default ``--policies`` (1, 2, ...; 0 =
        not by default).
    :param headline: its part in the test-split headline: MINE (an NF-P recipe the headline
        is about, each against the same opponent; ``recipe_number`` orders them), FAST (a
        fast sampler of the opponent's training; the one chosen on the tuning split is
        compared, and the first declared keeps a tie), SLOW (the opponent's slow sampler,
        compared where it was run); '' none.
    :param headline_demos: the demo counts the headline compares it at.
    :param recipe_number: a MINE kind's NF-P recipe, numbered in the order the recipes were
        frozen (1: the paper's, before issue 32); the headline shows the newest first.
    :param headline_title: a MINE kind's headline title once the headline shows several
        recipes ('' = ``title_or_column``).
    :param calibrated_on_sampler: its training calibrates the confidence with its own
        ``sampler`` (NF-P; the config's sampling, so a network of its own), as a deployed
        checkpoint is; else with the tier's best-of-128."""

    key: str
    network: str
    label: str
    sampler: SamplingConfig | DPSampler | None = None
    training: Mapping[str, Any] = field(default_factory=dict)
    tiers: tuple[str, ...] = (STATE, VISION)
    camera_checks: bool = False
    timed: bool = False
    actions: Mapping[str, Any] = field(default_factory=dict)
    obs_horizon: int = 1
    execute_points: int = 0
    title: str = ''
    curve: int = 0
    headline: str = ''
    headline_demos: tuple[int, ...] = (50, 10)
    calibrated_on_sampler: bool = False
    recipe_number: int = 0
    headline_title: str = ''

    def __post_init__(self) -> None:
        if self.network not in NETWORKS:
            raise ValueError(f'{self.key}: network={self.network!r}: expected one of '
                             f'{", ".join(NETWORKS)}')
        if self.obs_horizon < 1 or (self.obs_horizon > 1 and not self.net.obs_history):
            raise ValueError(f'{self.key}: obs_horizon={self.obs_horizon!r}: expected 1 '
                             '(or more for a network with an observation history: '
                             f'{", ".join(k for k, n in NETWORKS.items() if n.obs_history)})')
        if not self.net.trains and self.trained_otherwise:
            raise ValueError(f'{self.key}: a floor trains nothing: expected no training, '
                             'actions or obs_horizon changes')
        if self.headline not in ('', MINE, FAST, SLOW):
            raise ValueError(f'{self.key}: headline={self.headline!r}: expected one of '
                             f"'', {MINE}, {FAST}, {SLOW}")
        if (self.headline == MINE) != (self.recipe_number > 0):
            raise ValueError(f'{self.key}: recipe_number={self.recipe_number!r}: expected one '
                             f'(1, 2, ...) exactly for a headline={MINE!r} kind')

    @property
    def net(self) -> Network:
        """Its network's shared declaration."""
        return NETWORKS[self.network]

    @property
    def baseline(self) -> bool:
        """A kind of the policy NF-P is compared against."""
        return self.net.baseline

    @property
    def reference(self) -> bool:
        """The policy as compared: the network's own kind."""
        return self.key == self.network

    @property
    def policy(self) -> str:
        """'NF-P', 'DP', or a floor's key."""
        return self.net.policy or self.key

    @property
    def column(self) -> str:
        """The table column: 'NF-P', 'DP DDIM-10 eta 1', 'hold'."""
        if self.reference or not self.net.trains:
            return self.policy
        return f'{self.policy} {self.label}'

    @property
    def actor_name(self) -> str:
        """'NF-P best-of-128', 'DP DDIM-10 eta 1', 'hold'."""
        return self.policy if not self.net.trains else f'{self.policy} {self.label}'

    @property
    def title_or_column(self) -> str:
        """'DP (shared recipe)': the policy with its recipe (``title``), else the column."""
        return self.title or self.column

    @property
    def trained_otherwise(self) -> bool:
        """Its network is trained away from the tier's recipe or model."""
        return (bool(self.training or self.actions) or self.obs_horizon != 1
                or self.calibrated_on_sampler)

    @property
    def recipe(self) -> tuple:
        """What makes its training: network, training and chunk changes, obs horizon."""
        return (self.network, sorted(self.training.items()), sorted(self.actions.items()),
                self.obs_horizon, self.sampler if self.calibrated_on_sampler else None)

    @property
    def run_name(self) -> str:
        """The training a kind evaluates: the network's for a sampler of it, the first
        declared kind's of the same recipe for a kind trained otherwise (and its own key
        for a floor, which trains nothing)."""
        if not self.net.trains:
            return self.key
        if not self.trained_otherwise:
            return self.network
        same = [k.key for k in KINDS.values() if k.recipe == self.recipe]
        return same[0] if same else self.key


BEST_OF_128 = SamplingConfig(mode='best_of_n', num_candidates=128)
# Diffusion Policy's published recipe (Chi et al. 2023; its low-dimensional U-Net configs):
# AdamW at 1e-4, betas (0.95, 0.999), weight decay 1e-6, no gradient clipping, cosine decay
# after 500 warm-up steps; EMA with the power warm-up (0.75, at most 0.9999); observation
# horizon 2; 16 predicted points of which 8 are followed. At the tier's stride 4 (50 ms at
# Meta-World's 12.5 ms step) the points are 20 Hz, the control rate of DP's robomimic runs
# (docs/decisions.md). Batch size stays the tier's 64 (DP's image configs; its low-dim
# configs use 256).
DP_PUBLISHED: dict[str, Any] = {
    'training': {'stage_lr': (1e-4,), 'lr_schedule': 'cosine', 'warmup_steps': 500,
                 'weight_decay': 1e-6, 'adam_betas': (0.95, 0.999), 'grad_clip_norm': 0.0,
                 'ema_power': 0.75, 'ema_decay': 0.9999},
    'actions': {'horizon': 16}, 'obs_horizon': 2, 'execute_points': 8}

KINDS: dict[str, Kind] = {kind.key: kind for kind in (
    # NF-P as compared: the paper's best-of-128 at latent std 0.5 (mode-seeking)
    Kind(NFP, NFP, 'best-of-128', BEST_OF_128, camera_checks=True, timed=True, curve=1,
         headline=MINE, recipe_number=1, headline_title='NF-P (recipe 1, before issue 32)'),
    # the same NF-P network, sampled by its stochastic counterpart (one exact sample of the
    # learned density) and its deterministic one (the latent's mode)
    Kind('nfp-sample', NFP, 'sample std 1', SamplingConfig(mode='sample', latent_std=1.0),
         timed=True),
    Kind('nfp-zero', NFP, 'zero latent', SamplingConfig(mode='zero_latent'), timed=True),
    # NF-P trained otherwise: what we tried where NF-P trails DP with 10 demos (one value,
    # fixed before its results, on every task). Once a kind has records its settings stay
    # as they are (a new setting is a new kind).
    Kind('nfp-noise', NFP, 'action noise 0.1', BEST_OF_128, {'action_noise_std': 0.1},
         tiers=(STATE,)),
    # NF-P on the recipe the recipe study froze (issue 32; nfp_recipe.md `selected-zero`):
    # mirrored finger derived, gripper dequantized, state noise, cosine decay, four chunk
    # points per plan (recorded in its checkpoints: the policy node follows as many), the
    # zero latent (its confidence calibrated on zero-latent plans, as the node runs it);
    # held-out NLL every VAL_EVERY steps on the tier's validation demos. The vision tier runs
    # the same recipe over its camera settings (its recipe fields win over the tier's
    # command line: ``recipe_conflicts``), with its camera checked off / frozen.
    Kind('nfp2', NFP, 'recipe 2, zero latent', SamplingConfig(mode='zero_latent'),
         {**recipes.FROZEN_TRAINING, 'val_every': recipes.VAL_EVERY}, camera_checks=True,
         timed=True, actions=recipes.FROZEN_ACTIONS, title='NF-P (recipe 2)', curve=4,
         calibrated_on_sampler=True, headline=MINE, recipe_number=2),
    # DP as compared: Diffusion Policy's own fast setting (deterministic DDIM-10, leading),
    # trained on the tier's (NF-P's) recipe
    Kind(DP, DP, 'DDIM-10', DPSampler('ddim', 10), camera_checks=True, timed=True,
         title='DP (shared recipe)', curve=3),
    # the same DP network sampled otherwise: how much of DP's result is its sampler's
    Kind('dp-ddpm', DP, 'DDPM-100', DPSampler('ddpm', 100), timed=True),
    Kind('dp-ddim-trailing', DP, 'DDIM-10 trailing', DPSampler('ddim', 10, 'trailing')),
    Kind('dp-ddim50', DP, 'DDIM-50', DPSampler('ddim', 50)),
    Kind('dp-ddim-eta1', DP, 'DDIM-10 eta 1', DPSampler('ddim', 10, eta=1.0), timed=True),
    # DP on its own published recipe, sampled as published (DDIM-10); which fast sampler
    # suits it best is a tuning-split study (a sampler of it is a kind with the same recipe)
    Kind('dp-own', DP, '(own recipe)', DPSampler('ddim', 10), tiers=(STATE,), curve=2,
         headline=FAST, **DP_PUBLISHED),
    # the same DP (own recipe) training sampled otherwise: the tuning-split sampler study
    # that picks the headline's fast sampler, and the published slow one
    Kind('dp-own-eta1', DP, 'DDIM-10 eta 1 (own recipe)', DPSampler('ddim', 10, eta=1.0),
         tiers=(STATE,), headline=FAST, **DP_PUBLISHED),
    # DDPM-100 is evaluated at 50 demos only (scripts/headline.sh; docs/decisions.md)
    Kind('dp-own-ddpm', DP, 'DDPM-100 (own recipe)', DPSampler('ddpm', 100), tiers=(STATE,),
         headline=SLOW, headline_demos=(50,), **DP_PUBLISHED),
    # floors (no label: the column is the key): the arm held still with the gripper open;
    # each target uniform in the demonstrated range of its joint
    Kind('hold', FLOOR, '', tiers=(STATE,)),
    Kind('random', FLOOR, '', tiers=(STATE,)),
)}


def get(key: str) -> Kind:
    """The kind ``key``; a ValueError naming the known ones otherwise."""
    if key not in KINDS:
        raise ValueError(f'policy={key!r}: expected one of {", ".join(KINDS)}')
    return KINDS[key]


def of_tier(tier: str) -> list[Kind]:
    """The kinds ``tier`` runs, by network (``NETWORKS``), then in declaration order."""
    return sorted((kind for kind in KINDS.values() if tier in kind.tiers),
                  key=lambda kind: list(NETWORKS).index(kind.network))


def keys(tier: str) -> list[str]:
    """The ``--policies`` choices of ``tier`` (the vision tier's camera checks included)."""
    return list(columns(tier))


def references() -> list[str]:
    """The reference kinds (the default ``--policies``): NF-P and DP as compared."""
    return [kind.key for kind in KINDS.values() if kind.reference]


def camera_key(kind: Kind, mode: str) -> str:
    """'nfp-camera-off': ``kind`` evaluated with its camera ``mode``."""
    return f'{kind.key}{CAMERA_SEPARATOR}{mode}'


def split_camera(key: str) -> tuple[Kind, str]:
    """'dp-camera-frozen' -> (the 'dp' kind, 'frozen'); 'dp' -> (the 'dp' kind, '')."""
    trained, _, mode = key.partition(CAMERA_SEPARATOR)
    if mode and mode not in CAMERA_MODES:
        raise ValueError(f'policy={key!r}: camera mode {mode!r} is not one of '
                         f'{", ".join(CAMERA_MODES)}')
    return get(trained), mode


def camera_checked() -> list[Kind]:
    """The vision tier's kinds that are also evaluated with their camera off / frozen."""
    return [kind for kind in of_tier(VISION) if kind.camera_checks]


def camera_columns() -> dict[str, str]:
    """'<kind>-camera-<mode>' -> 'NF-P camera off', every mode, then every kind with
    camera checks."""
    return {camera_key(kind, mode): f'{kind.column} camera {mode}' for mode in CAMERA_MODES
            for kind in camera_checked()}


def columns(tier: str) -> dict[str, str]:
    """kind key -> column label of ``tier``'s table, in column order."""
    out = {kind.key: kind.column for kind in of_tier(tier)}
    return {**out, **camera_columns()} if tier == VISION else out


def reference_of(kind: Kind) -> Kind:
    """The reference kind of ``kind``'s network."""
    return KINDS[kind.network]


@dataclass(frozen=True)
class Study:
    """Two kinds of one policy on the same data and seeds that differ in one thing: the
    sampler of one training, or (``other`` has training changes) the training."""

    base: Kind
    other: Kind

    @property
    def same(self) -> str:
        """What the two share: 'DP training', or 'demos and seed'."""
        if self.base.run_name != self.other.run_name:
            return 'demos and seed'
        return f'{self.other.policy} training'


def sampler_studies() -> list[Study]:
    """Every trained kind but the references against its reference: first the baseline's
    other samplers, then NF-P's, then the kinds trained otherwise."""
    others = [kind for kind in KINDS.values() if kind.net.trains and not kind.reference]
    others.sort(key=lambda kind: (kind.trained_otherwise, not kind.baseline))
    return [Study(study_base(kind), kind) for kind in others]


def study_base(kind: Kind) -> Kind:
    """What ``kind`` is compared with: the kind whose training it samples otherwise (DP
    (own recipe) for its other samplers), else its network's reference."""
    if kind.run_name != kind.key:
        return KINDS[kind.run_name]
    return reference_of(kind)


def head_to_head() -> list[tuple[Kind, Kind]]:
    """(mine, opponent) pairs of the head-to-head targets: NF-P as compared and each NF-P
    trained otherwise (sampled as compared), against every DP kind."""
    mines = [kind for kind in KINDS.values() if kind.net.trains and not kind.baseline
             and (kind.reference or kind.trained_otherwise)]
    opponents = [kind for kind in KINDS.values() if kind.baseline]
    return [(mine, opponent) for mine in mines for opponent in opponents]


def timed(network: str | None = None) -> list[Kind]:
    """The kinds the latency page times (of ``network``; None: all, NF-P's first)."""
    return [kind for kind in KINDS.values()
            if kind.timed and network in (None, kind.network)]


def trained(tier: str) -> list[Kind]:
    """The kinds of ``tier`` whose network trains (no floor)."""
    return [kind for kind in of_tier(tier) if kind.net.trains]


def curve_defaults() -> list[str]:
    """The learning curves' default ``--policies``, in their ``curve`` order."""
    return [kind.key for kind in sorted((k for k in KINDS.values() if k.curve),
                                        key=lambda k: k.curve)]


def headline_recipes() -> list[Kind]:
    """The NF-P recipes the test-split headline is about, newest first (``recipe_number``
    descending; 'nfp2', then 'nfp' as compared). ValueError if two share a number."""
    mine = [kind for kind in KINDS.values() if kind.headline == MINE]
    numbers = [kind.recipe_number for kind in mine]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f'recipe_number: {numbers}: expected one kind per NF-P recipe')
    return sorted(mine, key=lambda kind: -kind.recipe_number)


def fast_samplers() -> list[str]:
    """The opponent's fast samplers the headline chooses from, the published one first (it
    keeps a tie); all sample one training."""
    return [kind.key for kind in KINDS.values() if kind.headline == FAST]


def slow_samplers() -> list[str]:
    """The opponent's slow samplers, compared where they were run."""
    return [kind.key for kind in KINDS.values() if kind.headline == SLOW]


def headline_trainings() -> list[str]:
    """The trainings the test split compares: each NF-P recipe's, newest first, and the
    opponent's (the one its fast samplers share)."""
    return [*(kind.run_name for kind in headline_recipes()), KINDS[fast_samplers()[0]].run_name]


def trained_config(config: NFPConfig, kind: Kind) -> NFPConfig:
    """``config`` with ``kind``'s training and chunk changes, its sampler for a kind
    ``calibrated_on_sampler``, and, for NF-P, its observation horizon (DP's is its
    denoiser's, so DP's config and hash stay as they were)."""
    sampling = kind.sampler if kind.calibrated_on_sampler else config.sampling
    config = replace(config, train=replace(config.train, **kind.training),
                     actions=replace(config.actions, **kind.actions), sampling=sampling)
    if kind.network != NFP:
        return config
    return replace(config, encoder=replace(config.encoder, obs_horizon=kind.obs_horizon))


def recipe_conflicts(kind: Kind, given: Mapping[str, Any]) -> list[str]:
    """Where a tier's command line and ``kind``'s recipe disagree. ``given``: the TrainConfig
    fields the command line set away from the tier's default -> their value. A kind's
    recipe wins over the tier's settings (``trained_config`` applies it last); a tier
    refuses a command that sets a field the recipe sets otherwise, rather than silently run
    another recipe than the one asked for (a field at the tier's default is the tier's
    recipe, which the kind changes as declared). Each conflict as
    "train.state_noise_std=0.05 (nfp2's recipe: 0.1)"."""
    return [f"train.{name}={value!r} ({kind.key}'s recipe: {kind.training[name]!r})"
            for name, value in given.items()
            if name in kind.training and kind.training[name] != value]


def execute_steps(kind: Kind, config: NFPConfig) -> int:
    """Policy ticks ``kind`` follows a chunk before re-planning: its ``execute_points``, or
    else its trained config's ``actions.execute_points``, at its trained stride."""
    actions = trained_config(config, kind).actions
    return (kind.execute_points or actions.execute_points) * actions.stride


def refuse_recipe_conflicts(parser: argparse.ArgumentParser, conflicts: list[str]) -> None:
    """Exit through ``parser`` with one line when a tier option contradicts a kind's
    recipe (``recipe_conflicts``): the kind's recipe wins, so the option would be ignored."""
    if conflicts:
        parser.error(f"{'; '.join(conflicts)}: a kind's recipe wins over the tier's options; "
                     'run that kind without the option, or the option without it')

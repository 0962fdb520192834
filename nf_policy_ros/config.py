# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Typed configuration tree for NF-P (no torch, no ROS).

Every field has a type a ROS 2 parameter can hold (bool, int, float, str, or a tuple of one
of those), a default, and a help text in ``field(metadata={'help': ...})``. The same tree
drives the CLIs (YAML + dotted overrides) and the nodes (ROS parameters named by the dotted
path). Validation happens in ``__post_init__`` and names the field, the value and what was
expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nf_policy_ros.config_tree import (
    ConfigError,
    apply_overrides,
    config_from_dict,
    config_to_dict,
    flatten_config,
    param,
    require,
    require_choice,
)

__all__ = [
    'ActionConfig',
    'ConfigError',
    'DataConfig',
    'EncoderConfig',
    'FlowConfig',
    'NFPConfig',
    'SamplingConfig',
    'TrainConfig',
    'apply_overrides',
    'config_from_dict',
    'config_to_dict',
    'flatten_config',
]

TRUNK_STRIDES = (0, 8, 16, 32)
SAMPLING_MODES = ('zero_latent', 'sample', 'best_of_n', 'refine')
REFINE_SPACES = ('latent', 'action')
PADDING_RULES = ('drop', 'repeat_last')
PERMUTATIONS = ('lu', 'reverse')
FLOW_BACKENDS = ('fast', 'normflows')
EPISODE_SPLITS = ('bag', 'gap', 'topic')
KEEP_TICKS = ('episodes', 'interventions')
LR_SCHEDULES = ('stages', 'cosine')
PRECISIONS = ('fp32', 'bf16', 'auto')  # see core/precision.py
CONFIDENCE_SOURCES = ('plan', 'context', 'both')  # see core/confidence.py
MAX_OBS_HORIZON = 16


@dataclass(frozen=True)
class EncoderConfig:
    """Observation encoder: ResNet18 trunk per camera + joint state."""

    num_cameras: int = param('Number of camera images per observation (0 = state only).', 1)
    image_height: int = param('Height of images fed to the network [px].', 96)
    image_width: int = param('Width of images fed to the network [px].', 96)
    crop_fraction: float = param('Random-crop side as a fraction of the image in training '
                                 '(1.0 = no crop; evaluation uses a center crop).', 0.9)
    num_keypoints: int = param('Spatial-softmax keypoints per camera (features = 2x this).', 32)
    trunk_stride: int = param('ResNet18 output stride: 32 (stock), 16 (layer4 unstrided) or 8 '
                              '(layer3 too); 0 = the largest that leaves at least a 2x2 '
                              'feature map for the cropped image (32 at 48-96 px, 16 at 32 px).',
                              0)
    norm_groups: int = param('GroupNorm groups replacing BatchNorm in ResNet18.', 16)
    weights_path: str = param('Optional local ResNet18 state_dict file; empty = random init.',
                              '')
    state_dim: int = param('Joint-state dimension D_s in the observation.', 14)
    use_last_action: bool = param('Also condition on the last executed action.', False)
    context_dim: int = param('Width of the context vector given to the flow.', 256)
    obs_horizon: int = param(
        'Observations T_o the policy is conditioned on, one chunk point (actions.stride '
        'ticks, stride / fps seconds) apart, the latest last; each is encoded alone and the '
        'flow sees their contexts side by side (T_o * context_dim). Before T_o of them '
        "exist (an episode's start; in the policy node after activation, a stale-input "
        "hold or a clock jump back) the oldest one is repeated. 1 = the tick's own.", 1,
        bounds=(1, MAX_OBS_HORIZON))

    def __post_init__(self) -> None:
        require(self.num_cameras >= 0, 'encoder.num_cameras', self.num_cameras, '>= 0')
        for name in ('image_height', 'image_width'):
            value = getattr(self, name)
            require(value >= 32, f'encoder.{name}', value, '>= 32 pixels')
        require(0.5 <= self.crop_fraction <= 1.0, 'encoder.crop_fraction',
                 self.crop_fraction, 'a fraction in [0.5, 1.0]')
        require(self.num_keypoints > 0, 'encoder.num_keypoints', self.num_keypoints, '> 0')
        require(self.trunk_stride in TRUNK_STRIDES, 'encoder.trunk_stride', self.trunk_stride,
                f'one of {TRUNK_STRIDES} (0 = auto)')
        require(self.norm_groups > 0 and 64 % self.norm_groups == 0, 'encoder.norm_groups',
                 self.norm_groups, 'a divisor of 64')
        require(self.state_dim > 0, 'encoder.state_dim', self.state_dim, '> 0')
        require(self.context_dim > 0, 'encoder.context_dim', self.context_dim, '> 0')
        require(1 <= self.obs_horizon <= MAX_OBS_HORIZON, 'encoder.obs_horizon',
                self.obs_horizon, f'1 to {MAX_OBS_HORIZON} observations')
        require(self.obs_horizon == 1 or not self.use_last_action, 'encoder.obs_horizon',
                self.obs_horizon, '1 with encoder.use_last_action (one last action, no '
                'history of them)')


@dataclass(frozen=True)
class ActionConfig:
    """The strided action chunk a(t), a(t+S), ..., a(t+(T_a-1)S)."""

    action_dim: int = param('Action dimension D_a (joint positions, robot units).', 14)
    horizon: int = param('Predicted steps T_a in one chunk.', 8)
    stride: int = param('Steps S between predicted actions, in policy ticks.', 4)
    padding: str = param("Windows running past an episode's end: 'repeat_last' pads with the "
                         "final action (robot stays put); 'drop' discards them.", 'repeat_last')
    mirror_dims: tuple[int, ...] = param(
        "Action dimensions that mirror another (a parallel gripper's second finger): not "
        'modelled by the flow, but set to mirror_gains[i] * a[mirror_sources[i]]. An exact '
        'mirror is a zero-variance direction whose density a flow can grow without bound.',
        ())
    mirror_sources: tuple[int, ...] = param('The modelled dimension each of mirror_dims '
                                            'copies.', ())
    mirror_gains: tuple[float, ...] = param('The factor of each mirror (-1: opposite sign).',
                                            ())
    discrete_dims: tuple[int, ...] = param(
        'Modelled dimensions whose commands take a few values (a gripper open/closed): '
        'dequantized in training by train.dequantize_std noise, so the flow fits a smooth '
        'density, not spikes.', ())
    execute_points: int = param(
        'Chunk points the robot follows before the policy plans again (1: a new plan every '
        'stride ticks; horizon: the whole chunk). Execution only: it does not change the '
        'training, and the policy node plans every execute_points * stride / fps seconds.',
        1, bounds=(1, 1024))

    def __post_init__(self) -> None:
        require(self.action_dim > 0, 'actions.action_dim', self.action_dim, '> 0')
        require(self.horizon > 0, 'actions.horizon', self.horizon, '> 0')
        require(self.stride > 0, 'actions.stride', self.stride, '> 0')
        require(1 <= self.execute_points <= self.horizon, 'actions.execute_points',
                self.execute_points, f'1 to horizon ({self.horizon})')
        require_choice('actions.padding', self.padding, PADDING_RULES)
        self._check_mirrors()
        require(self.horizon * len(self.modelled_dims) >= 2, 'actions.horizon', self.horizon,
                 'horizon * modelled dims >= 2 (a coupling flow splits the chunk in two)')

    def _check_mirrors(self) -> None:
        dims = range(self.action_dim)
        for name in ('mirror_sources', 'mirror_gains'):
            value = getattr(self, name)
            require(len(value) == len(self.mirror_dims), f'actions.{name}', value,
                    f'{len(self.mirror_dims)} values (one per mirror_dims entry)')
        require(len(set(self.mirror_dims)) == len(self.mirror_dims)
                and all(d in dims for d in self.mirror_dims), 'actions.mirror_dims',
                self.mirror_dims, f'distinct dimensions in [0, {self.action_dim})')
        require(all(s in dims and s not in self.mirror_dims for s in self.mirror_sources),
                'actions.mirror_sources', self.mirror_sources,
                f'dimensions in [0, {self.action_dim}) that are not mirrors themselves')
        require(all(d in dims and d not in self.mirror_dims for d in self.discrete_dims),
                'actions.discrete_dims', self.discrete_dims,
                f'dimensions in [0, {self.action_dim}) that are not mirrors')

    @property
    def modelled_dims(self) -> tuple[int, ...]:
        """The action dimensions the flow models (all but the mirrors), in order."""
        return tuple(d for d in range(self.action_dim) if d not in self.mirror_dims)

    @property
    def flat_dim(self) -> int:
        """Size of the flattened modelled chunk, T_a * (D_a - mirrors)."""
        return self.horizon * len(self.modelled_dims)


@dataclass(frozen=True)
class FlowConfig:
    """Conditional rational-quadratic spline coupling flow."""

    num_layers: int = param('Coupling layers (the paper uses 10).', 10)
    hidden_units: int = param('Width of each coupling conditioner network.', 256)
    hidden_blocks: int = param('Residual blocks in each conditioner network.', 2)
    num_bins: int = param('Spline bins per dimension.', 8)
    tail_bound: float = param('Spline interval [-B, B] in normalized action units; identity '
                              'outside.', 4.0)
    permutation: str = param("Mixing between couplings: 'lu' (learned LU-linear) or "
                             "'reverse'.", 'lu')
    backend: str = param("'fast' (our couplings, context shared by candidates) or "
                         "'normflows' (the library's layers; slower).", 'fast')

    def __post_init__(self) -> None:
        require(self.num_layers > 0, 'flow.num_layers', self.num_layers, '> 0')
        require(self.hidden_units > 0, 'flow.hidden_units', self.hidden_units, '> 0')
        require(self.hidden_blocks > 0, 'flow.hidden_blocks', self.hidden_blocks, '> 0')
        require(self.num_bins >= 2, 'flow.num_bins', self.num_bins, '>= 2')
        require(self.tail_bound > 0, 'flow.tail_bound', self.tail_bound, '> 0')
        require_choice('flow.permutation', self.permutation, PERMUTATIONS)
        require_choice('flow.backend', self.backend, FLOW_BACKENDS)


@dataclass(frozen=True)
class SamplingConfig:
    """How one action chunk is drawn from the flow at inference."""

    mode: str = param('zero_latent | sample | best_of_n | refine.', 'best_of_n',
                      choices=SAMPLING_MODES)
    latent_std: float = param('Std of the latent Gaussian when sampling (paper best: 0.5).', 0.5,
                              bounds=(0.0, 10.0))
    num_candidates: int = param('Candidates N drawn in one batch for best_of_n.', 128,
                                bounds=(1, 65536))
    refine_steps: int = param('Gradient-ascent steps on log p for refine.', 10,
                              bounds=(0, 10000))
    refine_step_size: float = param('Step size of refine (Adam learning rate).', 0.05,
                                    bounds=(0.0, 10.0))
    refine_space: str = param("Ascend in 'latent' or 'action' space.", 'latent',
                              choices=REFINE_SPACES)
    candidate_precision: str = param(
        "Matrix products of the coupling conditioners while best_of_n scores N > 1 "
        "candidates: 'fp32', 'bf16' (about half the candidates' cost where the CPU or GPU "
        "has native bfloat16; spline arithmetic, mixing layers and log-density sums stay "
        "float32) or 'auto' (bf16 only where native). The fast flow backend only.", 'fp32',
        choices=PRECISIONS)
    confidence: str = param(
        "What the confidence reads: 'plan' (where the plan's log p falls among held-out "
        "plans'), 'context' (where the observation's distance from the training contexts "
        "falls among held-out ones': 1 = nearer than all, 0 = outside the support) or "
        "'both' (their product). 'context' and 'both' need a checkpoint that stored its "
        'held-out context distances.', 'plan', choices=CONFIDENCE_SOURCES)

    def __post_init__(self) -> None:
        require_choice('sampling.mode', self.mode, SAMPLING_MODES)
        require(self.latent_std > 0, 'sampling.latent_std', self.latent_std, '> 0')
        require(self.num_candidates >= 1, 'sampling.num_candidates', self.num_candidates,
                 '>= 1')
        require(self.refine_steps >= 0, 'sampling.refine_steps', self.refine_steps, '>= 0')
        require(self.refine_step_size > 0, 'sampling.refine_step_size',
                 self.refine_step_size, '> 0')
        require_choice('sampling.refine_space', self.refine_space, REFINE_SPACES)
        require_choice('sampling.candidate_precision', self.candidate_precision, PRECISIONS)
        require_choice('sampling.confidence', self.confidence, CONFIDENCE_SOURCES)


@dataclass(frozen=True)
class TrainConfig:
    """Maximum-likelihood training with a three-stage LR / batch-size schedule."""

    stage_steps: tuple[int, ...] = param('Optimizer steps of each stage.', (3000, 3000, 2000))
    stage_lr: tuple[float, ...] = param('AdamW learning rate of each stage.', (3e-4, 1e-4, 3e-5))
    stage_batch_size: tuple[int, ...] = param('Batch size of each stage.', (64, 128, 256))
    warmup_steps: int = param('Linear LR warm-up at the start of training.', 200)
    lr_schedule: str = param("After the warm-up: 'stages' keeps each stage's rate; 'cosine' "
                             "scales it by a half cosine from 1 at the warm-up's end to 0 at "
                             "the last step (Diffusion Policy's schedule).", 'stages')
    weight_decay: float = param('AdamW weight decay.', 1e-4)
    adam_betas: tuple[float, ...] = param('AdamW (beta1, beta2).', (0.9, 0.999))
    encoder_lr_scale: float = param('Learning rate of the image trunks and keypoint heads as '
                                    'a fraction of the stage learning rate (the rest of the '
                                    'policy trains at the full rate). Below 1 keeps the '
                                    'randomly initialized ResNet from collapsing to an '
                                    'image-independent output in the first ~100 steps of '
                                    'likelihood training.', 0.1)
    encoder_warmup_steps: int = param('First steps of training spent regressing the '
                                      'normalized chunk from the observation (encoder + a '
                                      'linear read-out, mean squared error); the image trunks '
                                      'and keypoint heads are then frozen for likelihood '
                                      'training. Likelihood training alone collapses the '
                                      'image features (issue 18). Camera policies only; '
                                      '0 = off.', 0)
    action_noise_std: float = param('Std of Gaussian noise added to the normalized action '
                                    "chunks in training, in units of each joint's spread "
                                    'in the data (smooths the density a flow fits to few '
                                    'demos; 0 = off).', 0.0)
    action_noise_step: float = param('Std of Gaussian noise added to each modelled action '
                                     'dimension in training, as a fraction of its RMS change '
                                     'between two chunk points in the data (robot units): '
                                     'noise sized against the motion the chunk resolves '
                                     '(0 = off).', 0.0)
    action_noise_floor: float = param('Least std of that training noise on each continuous '
                                      'action dimension [robot units], and the least spread '
                                      'the action normalizer divides by: a nearly constant '
                                      'dimension then cannot make log p unbounded (0 = off).',
                                      0.0)
    dequantize_std: float = param('Std of the Gaussian noise on actions.discrete_dims in '
                                  'training [robot units] (0 = off).', 0.0)
    state_noise_std: float = param('Std of Gaussian noise added to the normalized joint '
                                   "state in training, in units of each joint's spread in "
                                   'the data. Demonstrations make the state a shortcut: a few '
                                   "ticks in, the expert's own motion already says where the "
                                   'object is, so a policy can imitate without looking and is '
                                   'then lost at the first tick (issue 18). Noise larger than '
                                   'those early differences forces the camera to carry them '
                                   '(0 = off).', 0.0)
    warmup_precision: str = param('Arithmetic of the image trunks during the encoder '
                                  'warm-up, while they train: fp32; bf16 (autocast: their '
                                  'convolutions in bfloat16, everything after in float32); '
                                  'auto = bf16 where the device has it natively (a CUDA GPU '
                                  'with bf16, a CPU with AVX512-BF16 or AMX), else fp32. '
                                  'The frozen trunks of the likelihood steps, evaluation and '
                                  'the deployed policy always run float32, so the flow '
                                  'learns on the features it is deployed with.', 'fp32')
    grad_clip_norm: float = param('Gradient-norm clip (0 = off).', 1.0)
    ema_decay: float = param('EMA decay of the weights used for evaluation (0 = off).', 0.999)
    ema_warmup: bool = param('Ramp the EMA decay as min(ema_decay, (1+n)/(10+n)) over '
                             'updates n, so short runs do not keep the initial weights.',
                             True)
    ema_power: float = param('> 0: the EMA decay of the n-th update after the initial copy is '
                             'min(ema_decay, 1 - n**-ema_power) (0 at n = 1: the power warm-up '
                             "of Diffusion Policy and diffusers' EMAModel with inv_gamma 1); "
                             'replaces ema_warmup. 0 = off.', 0.0)
    val_fraction: float = param('Fraction of episodes held out for validation/calibration.',
                                0.1)
    val_every: int = param('Validate every this many steps.', 500)
    checkpoint_every: int = param('Write a resumable checkpoint every this many steps.', 1000)
    seed: int = param('Seed of model init, data order and augmentation.', 0)
    num_workers: int = param('DataLoader worker processes.', 0)

    def __post_init__(self) -> None:
        n = len(self.stage_steps)
        require(n > 0, 'train.stage_steps', self.stage_steps, 'at least one stage')
        for name in ('stage_lr', 'stage_batch_size'):
            value = getattr(self, name)
            require(len(value) == n, f'train.{name}', value, f'{n} values (one per stage)')
        require(all(s > 0 for s in self.stage_steps), 'train.stage_steps', self.stage_steps,
                 'positive step counts')
        require(all(lr > 0 for lr in self.stage_lr), 'train.stage_lr', self.stage_lr,
                 'positive learning rates')
        require(all(b > 0 for b in self.stage_batch_size), 'train.stage_batch_size',
                 self.stage_batch_size, 'positive batch sizes')
        require(0.0 < self.encoder_lr_scale <= 1.0, 'train.encoder_lr_scale',
                self.encoder_lr_scale, 'in (0, 1]')
        require(0 <= self.encoder_warmup_steps < self.total_steps,
                'train.encoder_warmup_steps', self.encoder_warmup_steps,
                f'in [0, {self.total_steps}) (the total steps)')
        require(self.action_noise_std >= 0.0, 'train.action_noise_std',
                self.action_noise_std, '>= 0')
        require(self.state_noise_std >= 0.0, 'train.state_noise_std',
                self.state_noise_std, '>= 0')
        for name in ('action_noise_step', 'action_noise_floor', 'dequantize_std'):
            require(getattr(self, name) >= 0.0, f'train.{name}', getattr(self, name), '>= 0')
        require(0.0 <= self.ema_decay < 1.0, 'train.ema_decay', self.ema_decay, 'in [0, 1)')
        require(self.ema_power >= 0.0, 'train.ema_power', self.ema_power, '>= 0')
        require_choice('train.lr_schedule', self.lr_schedule, LR_SCHEDULES)
        require_choice('train.warmup_precision', self.warmup_precision, PRECISIONS)
        require(len(self.adam_betas) == 2 and all(0.0 <= b < 1.0 for b in self.adam_betas),
                'train.adam_betas', self.adam_betas, 'two values in [0, 1)')
        require(0.0 < self.val_fraction < 1.0, 'train.val_fraction', self.val_fraction,
                 'in (0, 1)')
        require(self.val_every > 0, 'train.val_every', self.val_every, '> 0')
        require(self.checkpoint_every > 0, 'train.checkpoint_every', self.checkpoint_every,
                 '> 0')

    @property
    def total_steps(self) -> int:
        return sum(self.stage_steps)


@dataclass(frozen=True)
class DataConfig:
    """How recorded rosbags become episodes on the policy clock."""

    fps: float = param('Policy clock: ticks per second the policy observes and acts at [Hz].',
                       10.0)
    joint_names: tuple[str, ...] = param('Joints of state and action, in model order.', ())
    camera_topics: tuple[str, ...] = param('Image or CompressedImage topics, one per camera.',
                                           ('/image',))
    joint_state_topic: str = param('sensor_msgs/JointState topic of the robot.',
                                   '/joint_states')
    action_topic: str = param('Commanded joint positions (JointState or JointTrajectory, e.g. '
                              "a leader arm); '' = the robot's next joint state.", '')
    max_image_age_s: float = param('A frame older than this at a tick is missing [s].', 0.2)
    max_joint_age_s: float = param('Joint states/commands older than this are missing [s].',
                                   0.1)
    episode_split: str = param("'bag' (one episode per bag), 'gap' (split where the joint "
                               "states pause), or 'topic' (std_msgs/String on episode_topic "
                               'starts a new episode).', 'bag')
    gap_s: float = param("Pause that ends an episode with episode_split='gap' [s].", 1.0)
    episode_topic: str = param("Marker topic for episode_split='topic'.", '/episode')
    min_episode_ticks: int = param('Shorter episodes are skipped (and counted).', 5)
    skip_failures: bool = param("Skip bags labelled failure by demo_recorder (custom_data "
                                "'nf_policy_ros.outcome').", True)
    intervention_topic: str = param(
        'std_msgs/Bool topic flagging the ticks an operator commanded the robot (a takeover; '
        "the policy node's ~/intervention, e.g. /nf_policy/intervention), stored per tick as "
        "the dataset's intervention array; a tick with no flag younger than "
        "intervention_max_age_s is False. '' = no flag topic (all False).", '')
    intervention_max_age_s: float = param('A flag older than this at a tick no longer counts '
                                          '(the tick is False) [s].', 0.2)
    keep: str = param("'episodes' keeps whole episodes (flags included); 'interventions' "
                      'keeps only the runs of flagged ticks, each run an episode (HG-DAgger '
                      "aggregates only the operator's corrections); needs "
                      'intervention_topic.', 'episodes', choices=KEEP_TICKS)

    def __post_init__(self) -> None:
        require(self.fps > 0, 'data.fps', self.fps, '> 0 Hz')
        require(len(set(self.joint_names)) == len(self.joint_names), 'data.joint_names',
                self.joint_names, 'unique names')
        for name in ('max_image_age_s', 'max_joint_age_s', 'gap_s'):
            require(getattr(self, name) > 0, f'data.{name}', getattr(self, name), '> 0 s')
        require_choice('data.episode_split', self.episode_split, EPISODE_SPLITS)
        require(self.min_episode_ticks >= 1, 'data.min_episode_ticks', self.min_episode_ticks,
                '>= 1')
        require(self.intervention_max_age_s > 0, 'data.intervention_max_age_s',
                self.intervention_max_age_s, '> 0 s')
        require_choice('data.keep', self.keep, KEEP_TICKS)
        require(self.keep != 'interventions' or self.intervention_topic != '',
                'data.keep', self.keep, "'episodes' when data.intervention_topic is ''")


@dataclass(frozen=True)
class NFPConfig:
    """Everything that defines an NF-P model and how it is trained and sampled."""

    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    actions: ActionConfig = field(default_factory=ActionConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    data: DataConfig = field(default_factory=DataConfig)

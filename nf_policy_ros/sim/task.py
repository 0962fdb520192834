# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A Meta-World v3 task driven by joint-position targets, as a ROS arm would be (no ROS).

Meta-World moves the Sawyer arm through a mocap weld on the end effector. Here the weld is
switched off after Meta-World's own reset and the 7 arm joints follow position targets
through computed-torque control applied as generalized forces at every physics substep:

    tau = M_arm (omega^2 (q* - q) - 2 omega dq) + bias_arm

(M_arm the arm block of the joint-space inertia, bias gravity + Coriolis): a critically
damped servo per joint, with no model rebuild. The two finger slides (``r_close``,
``l_close``) keep Meta-World's position actuators (kp 400, setpoint range [-1, 1] m): their
targets are those setpoints, which squeeze when they lie beyond the closed position, as
Meta-World's own gripper command does. So state and action share one list of 9 joint names,
as on a ROS arm with a position-controlled gripper. Success is Meta-World's own
``evaluate_state``.
"""

from __future__ import annotations

import os

os.environ.setdefault('MUJOCO_GL', 'egl')


def _load_triton_before_mesa() -> None:
    """Importing triton (torch pulls it in lazily, e.g. in training) after Mesa's software
    GL has loaded its LLVM crashed the process (segfault in triton's C extension, seen here);
    loading triton first avoids it."""
    import importlib.util

    if importlib.util.find_spec('triton') is not None:
        import triton  # noqa: F401


_load_triton_before_mesa()

from dataclasses import dataclass  # noqa: E402
import warnings  # noqa: E402

import mujoco  # noqa: E402
import numpy as np  # noqa: E402

ARM_JOINTS = tuple(f'right_j{i}' for i in range(7))
FINGER_JOINTS = ('r_close', 'l_close')
# Servo bandwidth per task [rad/s]: the value among 60/100/150/200/300 with the most
# successful joint replays of expert demos (seeds 0-4, or 0-9 for assembly and the last four;
# assembly replays 1/10 at 200 rad/s and 10/10 at 300 rad/s). Contact-rich
# tasks need the stiffer servo: at 100 rad/s lever-pull, basketball and peg-insert-side
# replays all fail (the arm yields to the contact). Above 300 rad/s the explicit servo goes
# unstable at Meta-World's 2.5 ms physics step.
TASK_OMEGA = {'pick-place': 150.0, 'drawer-open': 100.0, 'hammer': 100.0, 'assembly': 300.0,
              'basketball': 200.0, 'bin-picking': 200.0, 'peg-insert-side': 300.0,
              'lever-pull': 300.0}
DEFAULT_OMEGA = 150.0


def make_env(task: str):
    """A goal-observable Meta-World v3 env (start states are set by JointTask.reset)."""
    import metaworld

    name = f'{task}-v3-goal-observable'
    envs = metaworld.env_dict.ALL_V3_ENVIRONMENTS_GOAL_OBSERVABLE
    if name not in envs:
        raise ValueError(f'task={task!r} is not a Meta-World v3 task: expected one of '
                         f'{sorted(k.removesuffix("-v3-goal-observable") for k in envs)}')
    return envs[name](seed=0)


@dataclass(frozen=True)
class TaskConfig:
    task: str = 'pick-place'
    image_height: int = 84
    image_width: int = 84
    camera: str = 'corner2'
    omega: float = 0.0  # servo bandwidth [rad/s]; 0 = TASK_OMEGA or DEFAULT_OMEGA
    max_steps: int = 200
    # Widen Meta-World's object/goal placement box about its centre by this factor (x and y;
    # heights untouched): 1 = Meta-World's own ranges (~ +-10 cm, where a blind average
    # trajectory already succeeds often); 2 = twice as wide, so the object must be seen.
    object_range_scale: float = 1.0


class JointTask:
    """One Meta-World task: reset by seed, step with joint targets, render, check success."""

    def __init__(self, config: TaskConfig = TaskConfig()) -> None:
        self.config = config
        self.omega = config.omega or TASK_OMEGA.get(config.task, DEFAULT_OMEGA)
        self.env = make_env(config.task)
        widen_placement(self.env, config.object_range_scale)
        model = self.env.model
        self.arm_qpos = np.array([model.jnt_qposadr[model.joint(j).id] for j in ARM_JOINTS])
        self.arm_dof = np.array([model.jnt_dofadr[model.joint(j).id] for j in ARM_JOINTS])
        self.finger_qpos = np.array([model.jnt_qposadr[model.joint(j).id]
                                     for j in FINGER_JOINTS])
        self.joint_dofs = np.array([model.jnt_dofadr[model.joint(j).id]
                                    for j in ARM_JOINTS + FINGER_JOINTS])
        self._full_inertia = np.zeros((model.nv, model.nv))
        self._renderer = None
        self.steps = 0
        self._bad_accelerations = 0

    @property
    def joint_names(self) -> tuple[str, ...]:
        return ARM_JOINTS + FINGER_JOINTS

    @property
    def dt(self) -> float:
        """Seconds per step (Meta-World's frame_skip physics substeps)."""
        return float(self.env.dt)

    def reset(self, seed: int, joint_control: bool = True,
              object_offset: np.ndarray | None = None) -> None:
        """Meta-World's reset to the start of ``seed``, then, with ``joint_control``, the
        weld off so the joint servos drive the arm.

        Meta-World draws start states from the *global* numpy generator unless
        ``seeded_rand_vec`` is set; we set it and give the env a generator seeded with
        ``seed``, so its own sampling (with its task-specific rejection loops) is
        reproducible: the same seed, the same start.

        :param object_offset: (3,) [m] added to every position Meta-World randomizes (objects
            and goal alike, so their spacing stays valid): places the scene where no seed
            would, e.g. outside the range demonstrations were drawn from.
        """
        offset = None if object_offset is None else np.asarray(object_offset, np.float64)
        if offset is not None and (offset.shape != (3,) or not np.all(np.isfinite(offset))):
            raise ValueError(f'object_offset={object_offset!r}: expected 3 finite values [m]')
        env = self.env
        env._freeze_rand_vec = False
        env.seeded_rand_vec = True
        env.np_random = np.random.default_rng(seed)
        self._meta_world_reset()
        if offset is not None:
            groups = len(env._last_rand_vec) // 3
            env._last_rand_vec = env._last_rand_vec + np.tile(offset, groups)
            env._freeze_rand_vec = True
            self._meta_world_reset()
            env._freeze_rand_vec = False
        if joint_control:
            env.data.eq_active[:] = 0
        self.steps = 0
        self._bad_accelerations = self._bad_acceleration_count()

    def _meta_world_reset(self) -> None:
        self.env.data.eq_active[:] = 1  # Meta-World's reset moves the hand through the weld
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            self.env.reset()

    def joint_positions(self) -> np.ndarray:
        """(9,) arm joints [rad] then finger slides [m]."""
        data = self.env.data
        return np.concatenate([data.qpos[self.arm_qpos], data.qpos[self.finger_qpos]])

    def step(self, targets: np.ndarray) -> bool:
        """One step toward joint targets (9,): arm [rad] then finger setpoints [m] (clipped
        to the actuators' [-1, 1]); returns whether the task is solved."""
        targets = np.asarray(targets, np.float64)
        if targets.shape != (9,) or not np.all(np.isfinite(targets)):
            raise ValueError(f'targets={targets!r}: expected 9 finite values '
                             f'({", ".join(self.joint_names)})')
        model, data = self.env.model, self.env.data
        data.ctrl[:] = np.clip(targets[7:], -1.0, 1.0)
        for _ in range(self.env.frame_skip):
            self._apply_servo(targets[:7])
            mujoco.mj_step(model, data)
        data.qfrc_applied[:] = 0.0
        self.steps += 1
        return self.success()

    @property
    def diverged(self) -> bool:
        """Whether the physics blew up since the last reset (MuJoCo then silently resets
        the state mid-episode); an episode where it did cannot count as a success."""
        return self._bad_acceleration_count() > self._bad_accelerations

    def _bad_acceleration_count(self) -> int:
        return int(self.env.data.warning[mujoco.mjtWarning.mjWARN_BADQACC].number)

    def _apply_servo(self, target: np.ndarray) -> None:
        model, data = self.env.model, self.env.data
        mujoco.mj_fullM(model, self._full_inertia, data.qM)
        inertia = self._full_inertia[np.ix_(self.arm_dof, self.arm_dof)]
        w = self.omega
        error = target - data.qpos[self.arm_qpos]
        accel = w * w * error - 2.0 * w * data.qvel[self.arm_dof]
        data.qfrc_applied[:] = 0.0
        data.qfrc_applied[self.arm_dof] = inertia @ accel + data.qfrc_bias[self.arm_dof]

    def low_dim_observation(self) -> np.ndarray:
        """(39,) Meta-World's own observation: hand, gripper, object poses, goal."""
        return np.asarray(self.env._get_obs(), np.float32)

    def start_targets(self) -> np.ndarray:
        """(9,) targets that hold the arm where it is with the gripper open."""
        return np.concatenate([self.joint_positions()[:7], finger_setpoints(-1.0)])

    def joint_velocities(self) -> np.ndarray:
        """(9,) arm [rad/s] then fingers [m/s]."""
        return self.env.data.qvel[self.joint_dofs].copy()

    def success(self) -> bool:
        obs = self.env._get_obs()
        _, info = self.env.evaluate_state(obs, np.zeros(4))
        return bool(info['success'])

    def render(self) -> np.ndarray:
        """(H, W, 3) uint8 RGB from ``config.camera``, upright."""
        if self._renderer is None:
            self._renderer = make_renderer(self.env.model, self.config)
        self._renderer.update_scene(self.env.data, camera=self.config.camera)
        return np.ascontiguousarray(self._renderer.render()[::-1, ::-1])

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


def widen_placement(env, scale: float) -> None:
    """Scale the x/y extent of ``env``'s start-state box about its centre by ``scale``
    (every 3-vector of the box: objects and goals keep their spacing on average)."""
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f'object_range_scale={scale!r}: expected a positive factor')
    if scale == 1.0:
        return
    box = env._random_reset_space
    low, high = box.low.astype(np.float64), box.high.astype(np.float64)
    centre, half = (low + high) / 2, (high - low) / 2
    planar = np.tile([True, True, False], len(low) // 3)
    half = np.where(planar, half * scale, half)
    env._random_reset_space = type(box)(low=centre - half, high=centre + half,
                                        dtype=np.float64)


def make_renderer(model, config: TaskConfig) -> mujoco.Renderer:
    """Off-screen renderer sized to the image, no multisampling, shadows or reflections
    (84x84 frames in ~20 ms instead of 150-250 ms on this CPU, per SIM.md)."""
    model.vis.global_.offwidth = config.image_width
    model.vis.global_.offheight = config.image_height
    model.vis.quality.offsamples = 0
    renderer = mujoco.Renderer(model, config.image_height, config.image_width)
    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = False
    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = False
    return renderer


def finger_setpoints(gripper: float) -> np.ndarray:
    """Meta-World gripper effort in [-1, 1] (1 closes) -> (2,) setpoints of r_close, l_close."""
    return np.array([gripper, -gripper])

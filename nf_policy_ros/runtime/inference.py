# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The model side of the policy node: messages -> observation -> chunk, in one worker thread.

No rclpy here: messages are duck-typed (data/convert.py), so the runner is testable without
a graph. The worker owns the model; the control timer hands it the latest snapshot and never
waits for it. A snapshot arriving while the worker is busy is an overrun (counted, dropped).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
import threading
import time
from typing import Any

import numpy as np
import torch

from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.observation import stack_observations
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.data.convert import ConversionError, camera_frame, joint_positions
from nf_policy_ros.runtime.budget import CandidateGovernor
from nf_policy_ros.structs import Observation


@dataclass(frozen=True)
class Snapshot:
    """Latest inputs at a control tick; ``stamp`` is the observation time (camera header),
    ``tick_time`` the control tick's ``time.monotonic()`` [s] (latency), ``control_time``
    the tick on the node's control clock [s] (simulated time under ``use_sim_time``).
    ``history``: for a policy with an observation horizon T_o > 1, the earlier snapshots it
    sees with this one, oldest first (runtime/history.py); fewer than T_o - 1 (none: the
    tick's own alone) repeat the oldest given, as training padded an episode's start."""

    images: tuple[Any, ...]
    joint_state: Any
    stamp: Any
    tick_time: float = 0.0
    control_time: float = 0.0
    history: tuple[Snapshot, ...] = ()


@dataclass(frozen=True)
class Inference:
    """One predicted chunk (robot units) and what the model says about it."""

    snapshot: Snapshot
    chunk: np.ndarray  # (T_a, D_a)
    measured: np.ndarray  # (D_s,) joint positions the plan starts from
    log_prob_per_dim: float
    confidence: float
    in_support: bool
    latency_ms: float  # conversion + model
    model_ms: float  # policy.predict alone
    num_candidates: int = 1  # best-of-N's N this tick (1 for the other modes)


class MalformedInputError(ValueError):
    """An input message cannot be used; ``kind`` is 'image' or 'joint_state'."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f'{kind}: {message}')
        self.kind = kind


def _message_ids(snapshot: Snapshot) -> tuple[int, ...]:
    """The identity of a snapshot's input messages (joint state, then each camera's)."""
    return (id(snapshot.joint_state), *map(id, snapshot.images))


class PolicyRunner:
    """A loaded policy plus the conversions the training data went through."""

    def __init__(self, policy: NFPolicy, joint_names: tuple[str, ...],
                 sampling: SamplingConfig, device: torch.device, seed: int,
                 governor: CandidateGovernor | None = None) -> None:
        self.policy = policy
        self.joint_names = joint_names  # as the JointState names them, in model order
        self._tuning = threading.Lock()
        self.sampling = sampling
        self.governor = governor if sampling.mode == 'best_of_n' else None
        self.device = device
        self.generator = torch.Generator(device=device).manual_seed(seed)
        enc = policy.config.encoder
        self.image_size = (enc.image_height, enc.image_width)
        self.obs_horizon = enc.obs_horizon  # T_o
        # the latest tick's frames converted, by the identity of their messages (held, so
        # the ids stay theirs): a frame is decoded once, not at every tick that sees it
        # (worker thread only)
        self._converted: dict[tuple[int, ...], tuple[Snapshot, Observation, np.ndarray]] = {}

    def frames(self, snapshot: Snapshot) -> list[Snapshot]:
        """The T_o snapshots the policy sees, oldest first, ``snapshot`` last: its
        ``history`` (the latest T_o - 1 of it), the oldest repeated where it has fewer."""
        earlier = list(snapshot.history[-(self.obs_horizon - 1):]) if self.obs_horizon > 1 \
            else []
        frames = earlier + [snapshot]
        return [frames[0]] * (self.obs_horizon - len(frames)) + frames

    def observe(self, snapshot: Snapshot) -> tuple[Observation, np.ndarray]:
        """Tensors for the model (state (1, D_s), images (1, N_c, 3, H, W); with T_o > 1
        state (1, T_o, D_s), images (1, T_o, N_c, 3, H, W) of ``frames(snapshot)``) and
        the measured positions (D,) of ``snapshot``; raises MalformedInputError."""
        if self.obs_horizon == 1:
            return self.observe_one(snapshot)
        frames = self.frames(snapshot)
        keys = [_message_ids(f) for f in frames]
        converted = {key: self._converted.get(key) or (f, *self.observe_one(f))
                     for key, f in zip(keys, frames)}
        self._converted = converted
        observations = [converted[key][1] for key in keys]
        return stack_observations(observations), converted[keys[-1]][2]

    def observe_one(self, snapshot: Snapshot) -> tuple[Observation, np.ndarray]:
        """One snapshot alone -> state (1, D_s), images (1, N_c, 3, H, W) and the measured
        positions (D,); raises MalformedInputError."""
        try:
            frames = [camera_frame(m, self.image_size) for m in snapshot.images]
        except ConversionError as exc:
            raise MalformedInputError('image', str(exc)) from exc
        try:
            measured = joint_positions(snapshot.joint_state, self.joint_names)
        except ConversionError as exc:
            raise MalformedInputError('joint_state', str(exc)) from exc
        images = (torch.from_numpy(np.stack(frames))[None] if frames else
                  torch.zeros(1, 0, 3, *self.image_size, dtype=torch.uint8))
        obs = Observation(images=images.to(self.device).float().div_(255.0),
                          state=torch.from_numpy(measured)[None].to(self.device))
        return obs, measured

    def retune(self, sampling: SamplingConfig, governor: CandidateGovernor | None) -> None:
        """New sampling (and governor, used for best_of_n) from the next tick on."""
        with self._tuning:
            self.sampling = sampling
            self.governor = governor if sampling.mode == 'best_of_n' else None

    def tick_sampling(self) -> tuple[SamplingConfig, CandidateGovernor | None]:
        """The sampling of the next tick (best-of-N at the governor's N) and its governor."""
        with self._tuning:
            sampling, governor = self.sampling, self.governor
        if governor is None:
            return sampling, None
        return replace(sampling, num_candidates=governor.current), governor

    def infer(self, snapshot: Snapshot) -> Inference:
        start = time.perf_counter()
        obs, measured = self.observe(snapshot)
        sampling, governor = self.tick_sampling()
        model_start = time.perf_counter()
        pred = self.policy.predict(obs, sampling, self.generator)
        chunk = pred.actions[0].double().cpu().numpy()  # synchronizes a GPU
        end = time.perf_counter()
        model_ms = (end - model_start) * 1e3
        if governor is not None:
            governor.update(model_ms)
        n = sampling.num_candidates if sampling.mode == 'best_of_n' else 1
        return Inference(snapshot, chunk, measured, float(pred.log_prob_per_dim[0]),
                         float(pred.confidence[0]), bool(pred.in_support[0]),
                         (end - start) * 1e3, model_ms, n)

    def blank_observation(self) -> Observation:
        """A black frame per camera and the mean joint state, on the model's device (T_o
        times over with an observation horizon T_o > 1)."""
        blank = Observation(torch.zeros(1, self.policy.config.encoder.num_cameras, 3,
                                        *self.image_size, device=self.device),
                            self.policy.state_normalizer.mean[None].clone())
        return blank if self.obs_horizon == 1 else stack_observations([blank] *
                                                                      self.obs_horizon)

    def warm_up(self, snapshot: Snapshot | None = None, calls: int = 3) -> float:
        """Run the model ``calls`` times on a blank observation (and once at every N the
        governor can pick, so a compiled policy never compiles on a tick); returns the
        first call [ms]."""
        obs = self.blank_observation()
        first = None
        for _ in range(calls):
            start = time.perf_counter()
            self.policy.predict(obs, self.sampling, self.generator)
            if self.device.type == 'cuda':
                torch.cuda.synchronize(self.device)
            first = first if first is not None else (time.perf_counter() - start) * 1e3
        for n in self.governor.levels() if self.governor else []:
            self.policy.predict(obs, replace(self.sampling, num_candidates=n), self.generator)
        return float(first or 0.0)


class InferenceWorker:
    """One thread, one pending snapshot at most; results and errors go to callbacks."""

    def __init__(self, runner: PolicyRunner, on_result: Callable[[Inference], None],
                 on_error: Callable[[Exception], None]) -> None:
        self.runner = runner
        self._on_result = on_result
        self._on_error = on_error
        self._pending: Snapshot | None = None
        self._busy = False
        self._cv = threading.Condition()
        self._running = True
        self._thread = threading.Thread(target=self._loop, name='nf_policy_inference',
                                         daemon=True)
        self._thread.start()

    def submit(self, snapshot: Snapshot) -> bool:
        """Hand over a snapshot; False (an overrun) if the previous one is still running."""
        with self._cv:
            if self._busy or self._pending is not None:
                return False
            self._pending = snapshot
            self._cv.notify()
            return True

    def _loop(self) -> None:
        while True:
            with self._cv:
                while self._running and self._pending is None:
                    self._cv.wait()
                if not self._running:
                    return
                snapshot, self._pending, self._busy = self._pending, None, True
            try:
                self._on_result(self.runner.infer(snapshot))
            except Exception as exc:  # reported by the node, never kills the worker
                self._on_error(exc)
            finally:
                with self._cv:
                    self._busy = False

    def stop(self, timeout_s: float = 5.0) -> bool:
        """End the thread after its current tick; False if it is still running after
        ``timeout_s`` [s]."""
        with self._cv:
            self._running = False
            self._cv.notify()
        self._thread.join(timeout=timeout_s)
        return not self._thread.is_alive()

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Observation encoder: one ResNet18 trunk per camera + joint state -> context vector.

The only module that imports torchvision. No weights are downloaded: trunks start from a
random init unless ``EncoderConfig.weights_path`` names a local state_dict file.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models import resnet18

from nf_policy_ros.config import ActionConfig, EncoderConfig

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


# Bounds of the learnable per-keypoint inverse temperature applied to standardized heat maps.
MAX_INVERSE_TEMPERATURE = 2.0
HEAT_EPS = 1e-5


class SpatialSoftmax(nn.Module):
    """Feature map (B, C, h, w) -> expected keypoint coordinates (B, 2K) in [-1, 1].

    Each of the K heat maps is standardized over its h*w positions (zero mean, unit std)
    before the softmax, then scaled by a learnable inverse temperature in
    (0, ``MAX_INVERSE_TEMPERATURE``] (starts at 1). Why: the softmax of an unbounded 1x1-conv
    heat map saturates within ~30 steps of NLL training (per-map range 1 -> > 6, keypoints
    pinned at the corners, spread across images 0.1 -> 2e-4) and then passes no gradient, so
    the camera was ignored (issue 18). A standardized map's largest logit gap is bounded by
    n / sqrt(n - 1) for n positions (2.3 at 2x2, 6.2 at 6x6): peaks sharpen with the map
    size, never to a one-hot that stops learning.
    """

    def __init__(self, in_channels: int, num_keypoints: int) -> None:
        super().__init__()
        self.project = nn.Conv2d(in_channels, num_keypoints, kernel_size=1)
        # 2 * sigmoid(0) = 1: the standardized map as it is.
        self.temperature_logit = nn.Parameter(torch.zeros(num_keypoints, 1))

    def inverse_temperature(self) -> torch.Tensor:
        """(K, 1) per-keypoint scale of the standardized logits, in (0, 2]."""
        return MAX_INVERSE_TEMPERATURE * torch.sigmoid(self.temperature_logit)

    def attention(self, features: torch.Tensor) -> torch.Tensor:
        """(B, C, h, w) -> (B, K, h*w) softmax weights over positions."""
        heat = self.project(features).flatten(2)
        mean = heat.mean(-1, keepdim=True)
        std = heat.std(-1, keepdim=True, unbiased=False)
        logits = (heat - mean) / (std + HEAT_EPS) * self.inverse_temperature()
        return torch.softmax(logits, dim=-1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        h, w = features.shape[-2:]
        attention = self.attention(features)
        ys = torch.linspace(-1.0, 1.0, h, device=features.device, dtype=features.dtype)
        xs = torch.linspace(-1.0, 1.0, w, device=features.device, dtype=features.dtype)
        grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
        x = (attention * grid_x.reshape(1, 1, -1)).sum(-1)
        y = (attention * grid_y.reshape(1, 1, -1)).sum(-1)
        return torch.cat([x, y], dim=-1)


MIN_FEATURE_SIDE = 2


def crop_size(config: EncoderConfig) -> tuple[int, int]:
    """(h, w) [px] of the crop the trunk sees."""
    return (max(1, round(config.image_height * config.crop_fraction)),
            max(1, round(config.image_width * config.crop_fraction)))


def trunk_stride(config: EncoderConfig) -> int:
    """The trunk's output stride: ``config.trunk_stride``, or the largest of 32/16/8 that
    leaves a feature map of at least 2x2 for the crop.

    Why: spatial softmax over a 1x1 map returns the same keypoint for every image, so the
    camera would carry no information. Found on the simulated demo at 32x32 images (crop 29,
    stride 32 -> 1x1): the policy's context did not change when the camera was blacked out.
    """
    if config.trunk_stride:
        return config.trunk_stride
    side = min(crop_size(config))
    for stride in (32, 16):
        if -(-side // stride) >= MIN_FEATURE_SIDE:
            return stride
    return 8


def build_trunk(config: EncoderConfig) -> nn.Sequential:
    """ResNet18 up to layer4 (512 channels) with GroupNorm instead of BatchNorm, at the
    output stride of ``trunk_stride``: 16 = layer4 unstrided, 8 = layer3 too (the cheapest
    way to a larger map: the early, wide-resolution stages keep their stride). The weights'
    names and shapes do not depend on the stride."""
    net = resnet18(weights=None, norm_layer=lambda c: nn.GroupNorm(config.norm_groups, c))
    if config.weights_path:
        load_matching_weights(net, config.weights_path)
    stride = trunk_stride(config)
    unstrided = {32: (), 16: (net.layer4,), 8: (net.layer3, net.layer4)}[stride]
    for layer in unstrided:
        layer[0].conv1.stride = (1, 1)
        layer[0].downsample[0].stride = (1, 1)
    return nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool,
                         net.layer1, net.layer2, net.layer3, net.layer4)


def load_matching_weights(net: nn.Module, path: str) -> int:
    """Copy tensors of ``path`` whose name and shape match; return how many were copied.

    BatchNorm statistics of a stock checkpoint have no GroupNorm counterpart and are skipped.
    """
    source = torch.load(path, map_location='cpu', weights_only=True)
    target = net.state_dict()
    matched = {k: v for k, v in source.items() if k in target and target[k].shape == v.shape}
    if not matched:
        raise ValueError(f'encoder.weights_path={path!r}: no tensor matches ResNet18 names '
                         'and shapes; expected a torchvision resnet18 state_dict')
    net.load_state_dict(matched, strict=False)
    return len(matched)


def crop_images(images: torch.Tensor, fraction: float, generator: torch.Generator | None,
                random: bool) -> torch.Tensor:
    """Crop (B, N_c, 3, H, W) to a ``fraction`` of each side; random per sample or centered."""
    b, n, c, h, w = images.shape
    ch, cw = max(1, round(h * fraction)), max(1, round(w * fraction))  # as crop_size()
    if (ch, cw) == (h, w):
        return images
    if not random:
        top, left = (h - ch) // 2, (w - cw) // 2
        return images[..., top:top + ch, left:left + cw]
    tops = torch.randint(0, h - ch + 1, (b,), generator=generator).tolist()
    lefts = torch.randint(0, w - cw + 1, (b,), generator=generator).tolist()
    crops = [images[i, :, :, t:t + ch, left:left + cw] for i, (t, left) in
             enumerate(zip(tops, lefts))]
    return torch.stack(crops)


class ObservationEncoder(nn.Module):
    """(images, normalized state[, normalized last action]) -> context (B, context_dim)."""

    def __init__(self, encoder: EncoderConfig, actions: ActionConfig) -> None:
        super().__init__()
        self.config = encoder
        self.trunks = nn.ModuleList(build_trunk(encoder) for _ in range(encoder.num_cameras))
        self.keypoints = nn.ModuleList(SpatialSoftmax(512, encoder.num_keypoints)
                                       for _ in range(encoder.num_cameras))
        in_dim = 2 * encoder.num_keypoints * encoder.num_cameras + encoder.state_dim
        if encoder.use_last_action:
            in_dim += actions.action_dim
        self.head = nn.Sequential(nn.Linear(in_dim, encoder.context_dim), nn.SiLU(),
                                  nn.Linear(encoder.context_dim, encoder.context_dim))
        self.register_buffer('pixel_mean', torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer('pixel_std', torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        # autocast dtype of the trunks (None = float32): set by the encoder warm-up only
        self.trunk_dtype: torch.dtype | None = None

    def image_features(self, images: torch.Tensor,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """(B, N_c, 3, H, W) in [0, 1] -> (B, 2K * N_c) keypoints; random crop in training."""
        images = crop_images(images, self.config.crop_fraction, generator, self.training)
        features = []
        for cam, (trunk, keypoints) in enumerate(zip(self.trunks, self.keypoints)):
            x = (images[:, cam] - self.pixel_mean) / self.pixel_std
            features.append(keypoints(self._run_trunk(trunk, x)))
        return torch.cat(features, dim=-1)

    def _run_trunk(self, trunk: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) -> float32 feature maps; under autocast only while ``trunk_dtype``
        is set (the warm-up), so the control tick never enters an autocast context."""
        if self.trunk_dtype is None:
            return trunk(x)
        with torch.autocast(x.device.type, dtype=self.trunk_dtype):
            return trunk(x).float()

    def forward(self, images: torch.Tensor | None, state: torch.Tensor,
                last_action: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        parts = [state]
        if self.config.num_cameras > 0:
            parts.insert(0, self.image_features(images, generator))
        if self.config.use_last_action:
            if last_action is None:
                raise ValueError('observation.last_action is None but '
                                 'encoder.use_last_action is true: expected (B, D_a)')
            parts.append(last_action)
        return self.head(torch.cat(parts, dim=-1))

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Message -> array conversion shared by bag reading and the live node (train/serve parity).

Duck-typed on message fields, so rosbags' message classes (``data`` is a numpy array) and
rclpy's (``data`` is bytes / array.array) go through the same code. No cv_bridge.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image as PILImage  # Pillow ships with torchvision (requirements/robot.txt)

# encoding -> (numpy dtype code, channels)
IMAGE_ENCODINGS: dict[str, tuple[str, int]] = {
    'rgb8': ('u1', 3), 'bgr8': ('u1', 3), 'rgba8': ('u1', 4), 'bgra8': ('u1', 4),
    'mono8': ('u1', 1), '8UC1': ('u1', 1), '8UC3': ('u1', 3),
    'mono16': ('u2', 1), '16UC1': ('u2', 1), '32FC1': ('f4', 1),
}
# what sensor_msgs/CompressedImage may hold (image_transport's compressed plugin)
COMPRESSED_FORMATS = ('JPEG', 'PNG')


class ConversionError(ValueError):
    """A message cannot be converted; the text names the field, the value and what was
    expected (callers add the bag and topic)."""


def _buffer(data: Any) -> np.ndarray:
    if isinstance(data, np.ndarray):
        return data.view(np.uint8).reshape(-1)
    return np.frombuffer(bytes(data) if not isinstance(data, (bytes, bytearray)) else data,
                         dtype=np.uint8)


def _image_layout(msg: Any, data_size: int) -> tuple[np.dtype, int, int, int, int]:
    """(dtype, channels, height, width, row bytes) of a sensor_msgs/Image whose ``data``
    has ``data_size`` bytes; raises ConversionError naming the bad field."""
    encoding = msg.encoding
    if encoding not in IMAGE_ENCODINGS:
        raise ConversionError(f'encoding={encoding!r} is not supported: expected one of '
                              f'{sorted(IMAGE_ENCODINGS)}')
    kind, channels = IMAGE_ENCODINGS[encoding]
    dtype = np.dtype(kind).newbyteorder('>' if msg.is_bigendian else '<')
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    row_bytes = width * channels * dtype.itemsize
    if height <= 0 or width <= 0:
        raise ConversionError(f'height={height}, width={width}: expected a non-empty image')
    if step < row_bytes or data_size < step * (height - 1) + row_bytes:
        raise ConversionError(f'data has {data_size} bytes with step={step} for {height}x'
                              f'{width} {encoding}: expected step >= {row_bytes} and '
                              f'{step * height} bytes')
    return dtype, channels, height, width, row_bytes


def image_to_array(msg: Any) -> np.ndarray:
    """sensor_msgs/Image -> (H, W, C) array: uint8 RGB for color, native dtype for mono/depth.

    Honors ``step`` (row padding) and ``is_bigendian``.
    """
    data = _buffer(msg.data)
    dtype, channels, height, width, row_bytes = _image_layout(msg, data.size)
    encoding, step = msg.encoding, int(msg.step)
    rows = np.lib.stride_tricks.as_strided(data, (height, row_bytes), (step, 1))
    pixels = np.ascontiguousarray(rows).view(dtype).reshape(height, width, channels)
    pixels = pixels.astype(dtype.newbyteorder('='), copy=False)
    if encoding.startswith('bgr'):
        pixels = pixels[..., [2, 1, 0]]
    elif encoding.startswith('rgba'):
        pixels = pixels[..., :3]
    return np.ascontiguousarray(pixels)


def _open_compressed(msg: Any):
    """The PIL image of a CompressedImage, header parsed, pixels not yet decoded."""

    data = _buffer(msg.data)
    if data.size == 0:
        raise ConversionError(f'format={msg.format!r}: data is empty: expected a JPEG/PNG')
    try:
        img = PILImage.open(io.BytesIO(data.tobytes()), formats=COMPRESSED_FORMATS)
    except Exception as exc:  # PIL raises several types for corrupt data
        raise ConversionError(f'format={msg.format!r}: data is not a decodable JPEG/PNG '
                              f'({exc})') from exc
    return img


def compressed_image_to_array(msg: Any) -> np.ndarray:
    """sensor_msgs/CompressedImage (jpeg/png) -> (H, W, 3) uint8 RGB."""
    with _open_compressed(msg) as img:
        try:
            return np.asarray(img.convert('RGB'))
        except Exception as exc:  # a truncated or corrupt body
            raise ConversionError(f'format={msg.format!r}: data is not a decodable JPEG/PNG '
                                  f'({exc})') from exc


def check_camera_msg(msg: Any, max_side: int | None = None) -> None:
    """Cheap checks of an Image or CompressedImage as it arrives (fields and the JPEG/PNG
    header; no pixels decoded); raises ConversionError naming the bad field. A message that
    passes can still fail ``camera_frame`` only if a compressed body is truncated/corrupt.

    :param max_side: refuse a frame whose declared width or height [px] (Image fields, PNG
        IHDR / JPEG SOF header) is larger: a small file can declare a huge image whose
        decoding would stall the control loop and fill the memory.
    """
    if hasattr(msg, 'encoding'):
        _check_declared_size(int(msg.width), int(msg.height), max_side)
        _image_layout(msg, len(msg.data))
    else:
        with _open_compressed(msg) as img:
            _check_declared_size(*img.size, max_side)


def _check_declared_size(width: int, height: int, max_side: int | None) -> None:
    if max_side is not None and max(width, height) > max_side:
        raise ConversionError(f'declared size {width}x{height} px is larger than the limit '
                              f'{max_side}x{max_side} px')


def to_rgb_uint8(pixels: np.ndarray) -> np.ndarray:
    """(H, W, C) any supported image -> (H, W, 3) uint8 (mono/depth scaled to 0..255)."""
    if pixels.dtype == np.uint8 and pixels.shape[-1] == 3:
        return pixels
    mono = pixels[..., 0].astype(np.float32)
    if pixels.dtype != np.uint8:
        finite = np.isfinite(mono)
        top = float(mono[finite].max()) if finite.any() else 1.0
        mono = np.where(finite, mono, 0.0) * (255.0 / max(top, 1e-6))
    return np.repeat(mono.clip(0, 255).astype(np.uint8)[..., None], 3, axis=-1)


def center_crop_to_aspect(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W, C) -> the largest centred (H', W', C) window with H' / W' = height / width, so
    that resizing it to (height, width) stretches nothing (a 640x480 frame for a 96x96 model
    loses 80 columns on each side)."""
    h, w = pixels.shape[:2]
    if h * width > w * height:  # too tall
        keep = max(1, round(w * height / width))
        top = (h - keep) // 2
        return pixels[top:top + keep]
    keep = max(1, round(h * width / height))
    left = (w - keep) // 2
    return pixels[:, left:left + keep]


def fit_image(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W, 3) uint8 -> (height, width, 3) uint8: centre crop to the model's aspect ratio,
    then an antialiased bilinear resize (Pillow widens the filter when shrinking, so fine
    texture averages out instead of aliasing, as in torchvision's ``antialias=True``)."""
    if pixels.shape[:2] == (height, width):
        return pixels
    window = np.ascontiguousarray(center_crop_to_aspect(pixels, height, width))
    resized = PILImage.fromarray(window).resize((width, height), PILImage.Resampling.BILINEAR)
    return np.asarray(resized)


def camera_frame(msg: Any, size: tuple[int, int]) -> np.ndarray:
    """Image or CompressedImage -> (3, H, W) uint8 RGB at ``size`` = (H, W).

    The one path from a camera message to network input, for bags and live topics alike.
    """
    if hasattr(msg, 'encoding'):
        pixels = to_rgb_uint8(image_to_array(msg))
    else:
        pixels = compressed_image_to_array(msg)
    return np.ascontiguousarray(fit_image(pixels, *size).transpose(2, 0, 1))


def joint_positions(msg: Any, joint_names: tuple[str, ...] | list[str]) -> np.ndarray:
    """sensor_msgs/JointState -> (D,) float32 positions ordered as ``joint_names``.

    Message order is never trusted; every configured joint must be present and finite.
    """
    names = list(msg.name)
    positions = np.asarray(msg.position, dtype=np.float64)
    if len(positions) != len(names):
        raise ConversionError(f'position has {len(positions)} values for {len(names)} names: '
                              'expected one per name')
    index = {name: i for i, name in enumerate(names)}
    missing = [n for n in joint_names if n not in index]
    if missing:
        raise ConversionError(f'name={names} lacks joints {missing}: expected all of '
                              f'{list(joint_names)}')
    out = positions[[index[n] for n in joint_names]]
    if not np.isfinite(out).all():
        bad = [n for n, v in zip(joint_names, out) if not np.isfinite(v)]
        raise ConversionError(f'position is not finite for joints {bad}: expected finite')
    return out.astype(np.float32)


def trajectory_first_point(msg: Any, joint_names: tuple[str, ...] | list[str]) -> np.ndarray:
    """trajectory_msgs/JointTrajectory -> (D,) positions of its first point, reordered."""
    if not msg.points:
        raise ConversionError('points is empty: expected at least one trajectory point')
    point = msg.points[0]

    class _View:
        name = msg.joint_names
        position = point.positions
    return joint_positions(_View, joint_names)

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Message conversion: every encoding, padding, endianness, and bag/live parity."""

from __future__ import annotations

import array
import io

from bag_factory import TYPESTORE, image, joint_state
import numpy as np
from PIL import Image as PILImage
import pytest
from sensor_msgs.msg import CompressedImage, Image, JointState

from nf_policy_ros.data.convert import (
    ConversionError,
    camera_frame,
    check_camera_msg,
    compressed_image_to_array,
    fit_image,
    image_to_array,
    joint_positions,
    to_rgb_uint8,
)

RGB = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)


def live_image(pixels: np.ndarray, encoding: str, pad: int = 0, bigendian: bool = False):
    """An rclpy sensor_msgs/Image as a camera driver publishes it."""
    h, w = pixels.shape[:2]
    rows = pixels.reshape(h, -1).view(np.uint8) if pixels.dtype != np.uint8 else \
        pixels.reshape(h, -1)
    step = rows.shape[1] + pad
    data = np.zeros((h, step), np.uint8)
    data[:, :rows.shape[1]] = rows
    msg = Image(height=h, width=w, encoding=encoding, is_bigendian=int(bigendian), step=step)
    msg.data = data.tobytes()
    return msg


@pytest.mark.parametrize('encoding, source, expected', [
    ('rgb8', RGB, RGB),
    ('bgr8', RGB[..., ::-1], RGB),
    ('rgba8', np.concatenate([RGB, np.full((4, 5, 1), 9, np.uint8)], -1), RGB),
    ('bgra8', np.concatenate([RGB[..., ::-1], np.full((4, 5, 1), 9, np.uint8)], -1), RGB),
])
@pytest.mark.parametrize('pad', [0, 3])
def test_color_encodings_give_rgb(encoding, source, expected, pad):
    assert np.array_equal(image_to_array(live_image(source, encoding, pad)), expected)


def test_mono16_big_endian_and_depth_float():
    depth = np.array([[1, 256], [513, 65535]], dtype='>u2')[..., None]
    msg = live_image(depth, 'mono16', bigendian=True)
    assert image_to_array(msg)[..., 0].tolist() == [[1, 256], [513, 65535]]
    meters = np.array([[0.5, np.nan], [2.0, 1.0]], np.float32)[..., None]
    out = to_rgb_uint8(image_to_array(live_image(meters, '32FC1')))
    assert out.shape == (2, 2, 3) and out[1, 0, 0] == 255 and out[0, 1, 0] == 0


def test_bag_and_live_messages_convert_identically():
    """Train/serve parity: rosbags' classes (numpy data) and rclpy's (bytes/array)."""
    bag_msg = image(0, RGB, 'rgb8', pad=2)
    live = live_image(RGB, 'rgb8', pad=2)
    assert isinstance(bag_msg.data, np.ndarray) and isinstance(live.data, (bytes, array.array))
    assert np.array_equal(image_to_array(bag_msg), image_to_array(live))
    names, values = ['b', 'a', 'c'], [2.0, 1.0, 3.0]
    bag_js = joint_state(0, names, values)
    live_js = JointState(name=names, position=values)
    for msg in (bag_js, live_js):
        assert joint_positions(msg, ('a', 'b', 'c')).tolist() == [1.0, 2.0, 3.0]
    raw = TYPESTORE.serialize_cdr(bag_js, bag_js.__msgtype__)
    assert joint_positions(TYPESTORE.deserialize_cdr(bytes(raw), bag_js.__msgtype__),
                           ('c',)).tolist() == [3.0]


def test_compressed_png_decodes_to_rgb():
    buffer = io.BytesIO()
    PILImage.fromarray(RGB).save(buffer, format='PNG')
    msg = CompressedImage(format='png')
    msg.data = buffer.getvalue()
    assert np.array_equal(compressed_image_to_array(msg), RGB)
    msg.data = b'garbage'
    with pytest.raises(ConversionError, match="format='png'"):
        compressed_image_to_array(msg)


@pytest.mark.parametrize('mutate, message', [
    (lambda m: setattr(m, 'encoding', 'yuv422'), r"encoding='yuv422' is not supported"),
    (lambda m: setattr(m, 'step', 2), r'expected step >= 15'),
    (lambda m: setattr(m, 'data', b'\x00' * 7), r'data has 7 bytes'),
])
def test_malformed_images_are_refused_by_field(mutate, message):
    msg = live_image(RGB, 'rgb8')
    mutate(msg)
    with pytest.raises(ConversionError, match=message):
        image_to_array(msg)


def test_joint_state_problems_name_the_field():
    with pytest.raises(ConversionError, match=r"lacks joints \['z'\]"):
        joint_positions(JointState(name=['a'], position=[1.0]), ('a', 'z'))
    with pytest.raises(ConversionError, match=r"not finite for joints \['a'\]"):
        joint_positions(JointState(name=['a'], position=[float('nan')]), ('a',))
    with pytest.raises(ConversionError, match='position has 1 values for 2 names'):
        joint_positions(JointState(name=['a', 'b'], position=[1.0]), ('a',))


def test_arrival_check_names_the_field_without_decoding():
    """check_camera_msg (the node's per-message check) refuses what image_to_array refuses
    and JPEG/PNG data without a valid header; a body cut short passes it and is refused by
    camera_frame, the decode both bag conversion and the node use."""
    msg = live_image(RGB, 'rgb8')
    check_camera_msg(msg)
    msg.step = 2
    with pytest.raises(ConversionError, match=r'expected step >= 15'):
        check_camera_msg(msg)
    buffer = io.BytesIO()
    PILImage.fromarray(np.tile(RGB, (20, 20, 1))).save(buffer, format='PNG')
    png = CompressedImage(format='png')
    png.data = buffer.getvalue()
    check_camera_msg(png)
    for data, message in ((b'', 'data is empty'), (b'garbage', 'not a decodable JPEG/PNG')):
        png.data = data
        with pytest.raises(ConversionError, match=message):
            check_camera_msg(png)
    png.data = buffer.getvalue()[: len(buffer.getvalue()) // 2]
    check_camera_msg(png)
    with pytest.raises(ConversionError, match="format='png'"):
        camera_frame(png, (4, 5))


def test_resizing_keeps_the_aspect_ratio_by_cropping_the_sides():
    """A 4:3 frame for a square model: the centred square survives, the side bands go."""
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[..., 2] = 255            # blue centre square (columns 80..559)
    frame[:, :80] = (255, 0, 0)    # red side bands, outside the square
    frame[:, 560:] = (255, 0, 0)
    out = fit_image(frame, 96, 96)
    assert out.shape == (96, 96, 3)
    assert (out[..., 0] == 0).all() and (out[..., 2] == 255).all()


def test_resizing_is_antialiased():
    """1-pixel stripes shrunk 5x average to grey; sampling every 5th pixel (no antialiasing)
    would return one stripe colour and hide the texture's mean brightness."""
    frame = np.zeros((480, 480, 3), np.uint8)
    frame[:, ::2] = 255            # mean 127.5 (every 5th column is always white)
    out = fit_image(frame, 96, 96).astype(np.float64)
    assert abs(out.mean() - 127.5) < 8     # 8 grey levels: filter-edge rounding at the borders
    assert out[8:-8, 8:-8].std() < 40      # near uniform inside (nearest: 0 or 255)

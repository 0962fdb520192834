# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""rosbag2 (MCAP and sqlite3) -> episodes: resampling, action sources, compressed cameras,
and bad input."""

from __future__ import annotations

import dataclasses

from bag_factory import JOINTS, demo_messages, image, joint_state, write_bag
import numpy as np
import pytest

from nf_policy_ros.config import DataConfig, EncoderConfig, NFPConfig
from nf_policy_ros.data.bag import BagError, read_bag
from nf_policy_ros.data.episodes import build_episodes
from nf_policy_ros.data.resample import asof_indices, policy_ticks
from nf_policy_ros.data.synthetic import TYPES, compressed_image
from nf_policy_ros.tools.bag_to_dataset import convert

SIZE = (8, 8)
CONFIG = DataConfig(fps=10.0, joint_names=JOINTS, camera_topics=('/image',),
                    joint_state_topic='/joint_states', max_image_age_s=0.15,
                    max_joint_age_s=0.05)


def test_asof_never_looks_ahead():
    stamps = np.array([100, 200, 300])
    idx, valid = asof_indices(stamps, np.array([50, 100, 199, 200, 250, 420]), max_age_s=1e-7)
    assert idx.tolist() == [0, 0, 0, 1, 1, 2]
    assert valid.tolist() == [False, True, True, True, True, False]


def test_policy_ticks_are_evenly_spaced():
    assert policy_ticks(0, 10**9, 4.0).tolist() == [0, 250_000_000, 500_000_000,
                                                     750_000_000, 1_000_000_000]


@pytest.mark.parametrize('storage, version', [('mcap', 9), ('sqlite3', 9), ('mcap', 8),
                                              ('sqlite3', 8)])
def test_bag_becomes_one_episode_with_asof_frames(tmp_path, storage, version):
    bag = write_bag(tmp_path / 'demo', demo_messages(seconds=3.0), storage, version)
    episodes, report = build_episodes(read_bag(bag, CONFIG, SIZE), CONFIG)
    assert len(episodes) == 1 and report.episodes == 1
    episode = episodes[0]
    assert episode.images.shape[1:] == (1, 3, *SIZE)
    # Camera at 10 Hz, brightness = frame index; ticks at 10 Hz from the first joint state
    # (1 us after frame 0): tick k sees frame k, never frame k+1.
    brightness = episode.images[:, 0, 0, 0, 0].astype(int)
    assert brightness.tolist() == list(range(len(episode)))
    # Action at t = joint state at t+1 tick; state in configured (not message) order.
    assert np.allclose(episode.actions[:-1], episode.state[1:])
    assert np.allclose(episode.state[0], [np.sin(0.0 + i) for i in range(3)], atol=1e-3)


@pytest.mark.parametrize('compression', ['file', 'message'])
def test_zstd_compressed_bags_are_read(tmp_path, compression):
    bag = write_bag(tmp_path / 'zstd', demo_messages(seconds=2.0), 'sqlite3',
                    compression=compression)
    (episode,), _ = build_episodes(read_bag(bag, CONFIG, SIZE), CONFIG)
    assert episode.images[:, 0, 0, 0, 0].tolist() == list(range(len(episode)))


def test_split_on_an_episode_marker_topic(tmp_path):
    messages = demo_messages(seconds=4.0)
    marker = 10**18 + 2_000_000_000
    messages.append(('/episode', marker, TYPES['std_msgs/msg/String'](data='next')))
    config = dataclasses.replace(CONFIG, episode_split='topic', episode_topic='/episode')
    episodes, _ = build_episodes(read_bag(write_bag(tmp_path / 'marked', messages), config,
                                          SIZE), config)
    assert len(episodes) == 2
    assert episodes[0].images[-1, 0, 0, 0, 0] < 20 <= episodes[1].images[0, 0, 0, 0, 0]


def test_actions_from_a_command_topic(tmp_path):
    messages = demo_messages(seconds=2.0)
    for k in range(40):
        t = 10**18 + k * 50_000_000 + 2000
        messages.append(('/command', t, joint_state(t, JOINTS, [k, k, k])))
    bag = write_bag(tmp_path / 'cmd', messages)
    config = dataclasses.replace(CONFIG, action_topic='/command')
    (episode,), report = build_episodes(read_bag(bag, config, SIZE), config)
    # Tick k is at 100 ms * k + 1 us; command k' at 50 ms * k' + 2 us, so as of tick k the
    # latest command is 2k - 1. Tick 0 precedes every command: dropped, not filled.
    assert report.dropped_ticks >= 1
    assert episode.actions[0:4, 0].tolist() == [1.0, 3.0, 5.0, 7.0]


def test_split_on_gaps_and_count_dropped_ticks(tmp_path):
    first = demo_messages(seconds=2.0)
    second = demo_messages(seconds=2.0, start_ns=10**18 + 5 * 10**9)
    bag = write_bag(tmp_path / 'two', first + second)
    config = dataclasses.replace(CONFIG, episode_split='gap', gap_s=1.0)
    episodes, report = build_episodes(read_bag(bag, config, SIZE), config)
    assert len(episodes) == 2 and report.episodes == 2
    assert report.dropped_ticks >= 2  # each segment's last tick has no next state


def test_nan_joint_states_are_skipped_and_counted(tmp_path):
    messages = demo_messages(seconds=2.0)
    t = 10**18 + 333_000_000
    messages.append(('/joint_states', t, joint_state(t, JOINTS, [np.nan, 0.0, 0.0])))
    streams = read_bag(write_bag(tmp_path / 'nan', messages), CONFIG, SIZE)
    assert streams.skipped == {'/joint_states: non-finite position': 1}
    episodes, report = build_episodes(streams, CONFIG)
    assert report.skipped_messages == streams.skipped
    assert all(np.isfinite(e.state).all() for e in episodes)


def test_missing_topic_names_bag_and_topic(tmp_path):
    bag = write_bag(tmp_path / 'nocam', [m for m in demo_messages() if m[0] != '/image'])
    with pytest.raises(BagError, match=r"nocam.*topic '/image' not found; the bag has "
                                       r"\['/joint_states'\]"):
        read_bag(bag, CONFIG, SIZE)


def test_directory_without_metadata_is_refused(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(BagError, match='metadata.yaml is missing'):
        read_bag(tmp_path / 'empty', CONFIG, SIZE)


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_truncated_storage_file_is_named(tmp_path, storage):
    bag = write_bag(tmp_path / 'cut', demo_messages(seconds=3.0), storage)
    (data_file,) = [p for p in bag.iterdir() if p.suffix in ('.mcap', '.db3')]
    data_file.write_bytes(data_file.read_bytes()[: data_file.stat().st_size // 2])
    with pytest.raises(BagError, match=r'cut.*(cannot be opened|reading failed)'):
        read_bag(bag, CONFIG, SIZE)


def test_unknown_image_encoding_is_named(tmp_path):
    messages = [m for m in demo_messages() if m[0] != '/image']
    msg = image(10**18, np.zeros((8, 8, 3), np.uint8))
    msg.encoding = 'yuv422'
    messages.append(('/image', 10**18, msg))
    with pytest.raises(BagError, match=r"topic '/image', message 0: encoding='yuv422'"):
        read_bag(write_bag(tmp_path / 'yuv', messages), CONFIG, SIZE)


def test_image_size_change_mid_episode_is_refused(tmp_path):
    messages = demo_messages(seconds=1.0)
    t = 10**18 + 950_000_000
    messages.append(('/image', t, image(t, np.zeros((6, 8, 3), np.uint8))))
    with pytest.raises(BagError, match=r'height x width changed from \(8, 8\) to \(6, 8\)'):
        read_bag(write_bag(tmp_path / 'resize', messages), CONFIG, SIZE)


def test_joint_names_that_do_not_match_are_refused(tmp_path):
    config = dataclasses.replace(CONFIG, joint_names=('j1', 'elbow'))
    with pytest.raises(BagError, match=r"'/joint_states', message 0: name=.*lacks joints "
                                       r"\['elbow'\]"):
        read_bag(write_bag(tmp_path / 'names', demo_messages()), config, SIZE)


def test_bag_without_a_usable_episode_is_refused(tmp_path):
    messages = demo_messages(seconds=0.3)  # three ticks, fewer than min_episode_ticks
    with pytest.raises(BagError, match='no episode of at least 5 ticks'):
        build_episodes(read_bag(write_bag(tmp_path / 'short', messages), CONFIG, SIZE),
                       CONFIG)


def _camera_bag(path, fmt: str):
    """demo_messages' joints with a 48x64 gradient camera (brightness + 3 per frame) written
    as sensor_msgs/Image ('raw') or CompressedImage ('png' | 'jpeg', quality 90)."""
    y, x = np.mgrid[0:48, 0:64]
    messages = [m for m in demo_messages(seconds=3.0) if m[0] != '/image']
    for k in range(30):
        t = 10**18 + k * 100_000_000
        pixels = (np.stack([2 * x, 2 * y, x + y], -1) + 3 * k).astype(np.uint8)
        msg = image(t, pixels) if fmt == 'raw' else compressed_image(t, pixels, fmt)
        messages.append(('/image', t, msg))
    return write_bag(path, messages)


# JPEG at quality 90 on a smooth gradient: the codec's error, not the conversion's [0-255]
JPEG_MEAN_ABS_TOLERANCE = 1.5
JPEG_MAX_ABS_TOLERANCE = 8


def test_raw_and_compressed_camera_bags_give_the_same_dataset(tmp_path):
    """Train/serve parity of the camera path: the frames written as Image, as a lossless PNG
    CompressedImage and as a JPEG one convert to the same dataset tensors (JPEG within the
    codec's tolerance), through bag_to_dataset's convert."""
    config = NFPConfig(data=CONFIG, encoder=EncoderConfig(image_height=32, image_width=32))
    images = {}
    for fmt in ('raw', 'png', 'jpeg'):
        (episode,), _ = convert([_camera_bag(tmp_path / fmt, fmt)], config, progress=False)
        images[fmt] = episode.images
    raw = images['raw']
    assert raw.shape[1:] == (1, 3, 32, 32) and raw.dtype == np.uint8
    assert np.array_equal(images['png'], raw)
    error = np.abs(images['jpeg'].astype(int) - raw.astype(int))
    assert error.mean() <= JPEG_MEAN_ABS_TOLERANCE and error.max() <= JPEG_MAX_ABS_TOLERANCE, \
        (error.mean(), error.max())


EVENT_TYPE = 'my_robot_srvs/srv/Calibrate_Event'
EVENT_DEFINITION = ('service_msgs/ServiceEventInfo info\n'
                    'my_robot_srvs/srv/Calibrate_Request[<=1] request\n'
                    'my_robot_srvs/srv/Calibrate_Response[<=1] response\n')


def write_bag_with_service_events(path, storage: str = 'mcap'):
    """demo_messages plus a ``/arm/calibrate/_service_event`` channel as ``ros2 bag record``
    writes it: a ``*/srv/*_Event`` type whose definition names types the bag does not define
    (rosbags cannot parse it) and a type hash of its own."""
    from rosbags.rosbag2 import Writer

    from nf_policy_ros.data.synthetic import STORAGE, TYPESTORE
    with Writer(path, version=9, storage_plugin=STORAGE[storage]) as writer:
        connections = {}
        for topic, t_ns, msg in sorted(demo_messages(seconds=3.0), key=lambda m: m[1]):
            if topic not in connections:
                connections[topic] = writer.add_connection(topic, msg.__msgtype__,
                                                           typestore=TYPESTORE)
            writer.write(connections[topic], t_ns,
                         bytes(TYPESTORE.serialize_cdr(msg, msg.__msgtype__)))
        events = writer.add_connection('/arm/calibrate/_service_event', EVENT_TYPE,
                                       msgdef=EVENT_DEFINITION, rihs01='RIHS01_' + 'ab' * 32)
        for k in range(3):
            writer.write(events, 10**18 + k * 10**9 + 5, b'\x00\x01\x00\x00' + bytes(40))
    return path


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_unused_service_event_channel_of_an_unknown_type_is_ignored(tmp_path, storage):
    bag = write_bag_with_service_events(tmp_path / 'events', storage)
    config = NFPConfig(data=CONFIG, encoder=EncoderConfig(image_height=32, image_width=32))
    (episode,), meta = convert([bag], config, progress=False)
    assert episode.images[:, 0, 0, 0, 0].tolist() == list(range(len(episode)))
    assert meta['bags'][0]['report']['episodes'] == 1


def test_a_configured_topic_of_an_unparsable_type_is_named(tmp_path):
    bag = write_bag_with_service_events(tmp_path / 'events')
    config = dataclasses.replace(CONFIG, action_topic='/arm/calibrate/_service_event')
    with pytest.raises(BagError, match=r"_service_event'.*type my_robot_srvs/srv/Calibrate_Event"
                                       r" is not supported"):
        read_bag(bag, config, SIZE)


@pytest.mark.parametrize('content, message', [
    ('', r'rosbag2_bagfile_information mapping missing \(file is empty\)'),
    ('rosbag2_bagfile_information: [\n', r'cannot be read as YAML \(line 2, column 1: '),
    ('- 1\n', r'rosbag2_bagfile_information mapping missing \(file is a list without it\)'),
])
def test_invalid_or_empty_metadata_is_named(tmp_path, content, message):
    bag = write_bag(tmp_path / 'meta', demo_messages(seconds=1.0))
    (bag / 'metadata.yaml').write_text(content)
    with pytest.raises(BagError, match=r"meta/metadata.yaml': " + message):
        read_bag(bag, CONFIG, SIZE)
    config = NFPConfig(data=CONFIG)
    with pytest.raises(BagError, match=message):  # skip_failures reads the label first
        convert([bag], config, progress=False)

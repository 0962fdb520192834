# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""synthetic_demos: rosbag2 demonstrations shaped like your robot's, from your training
config, to try conversion, training and the policy node before recording on the robot.

    python -m nf_policy_ros.tools.synthetic_demos --config my_train.yaml --out demos
    python -m nf_policy_ros.tools.synthetic_demos --config my_train.yaml --out session \\
        --one-bag

The bags hold the config's topics with its joint names: sensor_msgs/JointState on
``data.joint_state_topic`` (50 Hz), each of ``data.camera_topics`` (15 Hz; a name ending in
/compressed is a jpeg sensor_msgs/CompressedImage, any other an rgb8 sensor_msgs/Image) and,
if set, ``data.action_topic`` (the commanded positions, as a leader arm's JointState). The
arm moves its joints on sines; the camera sees a square that follows the first two joints.

Default: one bag per episode (``<out>/episode_NNNN``, for ``data.episode_split: bag``).
``--one-bag``: a single bag ``<out>/session_0000`` in which recording pauses for twice
``data.gap_s`` between episodes (for ``gap``) and a std_msgs/String on
``data.episode_topic`` starts each episode (for ``topic``). ``--out`` must not exist or be
empty; a bad input is one line on stderr, exit code 2, nothing written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import shutil
import sys

from nf_policy_ros.config import DataConfig
from nf_policy_ros.data.synthetic import marker, robot_demo, write_bag
from nf_policy_ros.node_config.train import NODE_ONLY_KEYS
from nf_policy_ros.tools.cli import CliError, check_output_dir, report
from nf_policy_ros.tools.config_file import add_config_arguments, load_config

START_NS = 1_700_000_000 * 10**9
STORAGES = ('mcap', 'sqlite3')


def episode_messages(data: DataConfig, seconds: float, episodes: int, one_bag: bool):
    """[(bag name, [(topic, time [ns], message), ...]), ...] for ``episodes`` demos."""
    pause_s = 2.0 * data.gap_s
    bags = []
    for i in range(episodes):
        start = START_NS + int(i * (seconds + pause_s) * 1e9)
        messages = robot_demo(tuple(data.joint_names), tuple(data.camera_topics),
                              data.joint_state_topic, seconds, start, phase=0.4 * i,
                              action_topic=data.action_topic)
        if one_bag:
            messages.append((data.episode_topic, start - 1000, marker(f'episode {i}')))
        bags.append((f'episode_{i:04d}', messages))
    if one_bag:
        bags = [('session_0000', [m for _, messages in bags for m in messages])]
    return bags


def check_inputs(data: DataConfig, out: str, seconds: float, episodes: int) -> Path:
    """Refuse what would make no usable demos, before anything is written."""
    if not data.joint_names:
        raise CliError('data.joint_names is empty: expected the joints of your robot in '
                       'model order (set them in --config)')
    if episodes < 1:
        raise CliError(f'--episodes {episodes}: expected at least 1')
    ticks = int(seconds * data.fps)
    if ticks < data.min_episode_ticks + 1:
        raise CliError(f'--seconds {seconds}: {ticks} ticks at data.fps={data.fps}; expected '
                       f'more than data.min_episode_ticks={data.min_episode_ticks}')
    path = check_output_dir('--out', out)
    if path.is_dir() and any(path.iterdir()):
        raise CliError(f'--out {out!r} is not empty: expected a new or empty directory')
    return path


def write_all(out: Path, bags, storage: str) -> None:
    """Write every bag; on any failure (or Ctrl-C) remove what this call wrote."""
    created = not out.exists()
    written: list[Path] = []
    try:
        for name, messages in bags:
            written.append(out / name)
            write_bag(out / name, messages, storage)
    except BaseException:
        for path in [out] if created else written:
            shutil.rmtree(path, ignore_errors=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='synthetic_demos', description=__doc__.split('\n')[0])
    parser.add_argument('--out', required=True, help='directory that receives the bags')
    parser.add_argument('--episodes', type=int, default=3, help='demonstrations (default 3)')
    parser.add_argument('--seconds', type=float, default=4.0, help='length of each [s]')
    parser.add_argument('--one-bag', action='store_true',
                        help='one bag with pauses and markers between the episodes')
    parser.add_argument('--storage', choices=STORAGES, default='mcap')
    add_config_arguments(parser)
    args = parser.parse_args(argv)
    try:
        data = load_config(args, drop=NODE_ONLY_KEYS).data
        out = check_inputs(data, args.out, args.seconds, args.episodes)
        bags = episode_messages(data, args.seconds, args.episodes, args.one_bag)
    except (ValueError, OSError) as exc:
        return report('synthetic_demos', exc)
    write_all(out, bags, args.storage)
    print(f'wrote {len(bags)} bag(s) with {args.episodes} episode(s) of {args.seconds:g} s '
          f'to {args.out}: joints {list(data.joint_names)}, cameras '
          f'{list(data.camera_topics)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Train NF-P from a dataset cache with the training node.

    ros2 launch nf_policy_ros train.launch.py dataset:=data/pick output_dir:=runs/pick \
        exit_when_done:=true

Progress: `ros2 topic echo /nf_policy_train/status`; stop (resumable):
`ros2 service call /nf_policy_train/stop std_srvs/srv/Trigger`, or Ctrl-C. With
exit_when_done:=true the launch ends when training does (done, stopped or failed);
otherwise the node stays up with its final status until Ctrl-C. resume:=true continues a
run from its last.pt.
"""

from nf_policy_ros.node_config.launch_files import LAUNCH_FILES
from nf_policy_ros.nodes.common.launch_actions import launch_description

# the arguments and what each one does: nf_policy_ros/node_config/launch_files.py
SPEC = LAUNCH_FILES['train.launch.py']


def generate_launch_description():
    return launch_description(SPEC)

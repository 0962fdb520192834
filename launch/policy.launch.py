# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Start the NF-P policy node (a lifecycle node, launch_ros LifecycleNode).

    ros2 launch nf_policy_ros policy.launch.py checkpoint:=/path/policy.pt \
        image:=/camera/color/image_raw joint_states:=/joint_states \
        joint_trajectory:=/arm_controller/joint_trajectory enable_output:=false

By default the node configures and activates itself (``autostart``); with autostart:=false
it waits for a lifecycle manager or ``ros2 lifecycle set /nf_policy configure`` / ``activate``.

Arguments left empty keep the value from the params file. ``image`` replaces the first of
the params file's ``camera_topics``; a camera topic ending in /compressed
(image:=/camera/color/image_raw/compressed) is read as sensor_msgs/CompressedImage
(jpeg/png). The params files key the node as /**/nf_policy, so namespace:=robot1 keeps them.
Every argument: ``ros2 launch nf_policy_ros policy.launch.py --show-args`` or
docs/reference.md.
"""

from nf_policy_ros.node_config.launch_files import LAUNCH_FILES
from nf_policy_ros.nodes.common.launch_actions import launch_description

# the arguments and what each one does: nf_policy_ros/node_config/launch_files.py
SPEC = LAUNCH_FILES['policy.launch.py']


def generate_launch_description():
    return launch_description(SPEC)

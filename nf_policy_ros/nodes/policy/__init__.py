# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``policy_node``: NF-P on the control loop (the ROS side; its logic: nf_policy_ros/runtime/)."""

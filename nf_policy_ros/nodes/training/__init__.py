# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``train_node``: training as a ROS node (progress and stop over ROS)."""

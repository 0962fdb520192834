# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``policy_node``: NF-P on the control loop, and its ROS-free parts (plan, budget, stats)."""

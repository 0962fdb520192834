# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""What every node and ROS script shares: config as ROS parameters, process spinning."""

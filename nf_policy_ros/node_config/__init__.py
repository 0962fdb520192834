# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""ROS-free configuration of the nodes: parameter dataclasses, their checks, joint routing."""

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``sim_robot_node`` and the scripts that drive it: ``collect_demos``, ``evaluate``."""

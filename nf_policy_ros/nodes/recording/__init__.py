# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``demo_recorder``: episode-aware rosbag2 recording for demonstrations."""

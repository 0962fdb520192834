# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Command-line clients of running nodes: ``policy_ctl`` and the handle scripts use."""

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The policies NF-P is compared with, ours to run but not part of the product: Diffusion
Policy (``diffusion``: the model and its samplers; ``diffusion_training``: its training)."""

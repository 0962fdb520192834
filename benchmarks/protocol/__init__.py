# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""What is compared and how: the policy kinds and their networks (kinds), one adapter per
network (networks), the actors a rollout drives (actors), the tasks and evaluation splits
(splits) and the closed-loop protocol: recipe, config hash, demos, evaluation (tier)."""

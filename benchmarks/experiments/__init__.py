# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The measurements, one module per command (``python -m benchmarks.<name>`` runs
``benchmarks/<name>.py``, which calls this room's ``main``); each writes
docs/benchmarks/<NAME>.json and renders its page."""

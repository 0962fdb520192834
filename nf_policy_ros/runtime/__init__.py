# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The ROS-free control logic a policy node drives: configure (load and check the
checkpoint), the inference worker and the observation history it is fed, plans and the
confidence gate, the candidate governor, the rolling statistics and the takeover state.
No rclpy here: benchmarks and tests use it without a graph; nodes/policy/ wires it to
topics, services and timers."""

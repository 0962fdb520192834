# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Trainings that outlive a session: run directories and what a saved one holds, curve
seeding and sharding (run_dirs), training wall-clock summed over sessions (train_clock),
and starting only the jobs that can finish before a deadline (job_pace)."""

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
#
# Source me (bash): activates the venv and the colcon install of this package, so that
# rclpy, the message packages and `nf_policy_ros` (with its ament index entry) are found.
_nfp_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck disable=SC1091
source "$_nfp_root/${NF_POLICY_VENV:-.venv}/bin/activate"
export AMENT_PREFIX_PATH="$VIRTUAL_ENV${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
_nfp_u=$(set +o | grep nounset); set +u
# shellcheck disable=SC1091
source "$_nfp_root/install/setup.bash"
# the package's executables (bag_to_dataset, train, policy_node, ...) by name, as docs/robot.md
# uses them (colcon puts ament_python scripts in lib/<package>, which is not on PATH)
export PATH="$_nfp_root/install/nf_policy_ros/lib/nf_policy_ros:$PATH"
eval "$_nfp_u"; unset _nfp_u _nfp_root

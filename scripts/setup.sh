#!/usr/bin/env bash
# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
#
# One-command setup on a fresh Debian 12 machine without ROS: Debian packages for off-screen
# rendering, a hidden venv (.venv/) with everything pinned in requirements/ (robot run time,
# ROS 2 wheels, simulator and benchmarks, test tools), and a colcon build of this package.
# Re-running when nothing changed takes seconds (stamps skip finished steps).
#
# NF_POLICY_PROFILE=robot: a robot computer's venv instead: requirements/robot.txt and
# requirements/ros.txt only (no simulator, benchmarks or test tools, no Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${NF_POLICY_VENV:-.venv}
COLCON_LOG=log/setup-colcon.txt
PYTHON=${PYTHON:-python3}
APT_PACKAGES=(libegl1 libegl-mesa0 libgl1-mesa-dri libosmesa6)

log() { printf '[setup] %s\n' "$*"; }

PROFILE=${NF_POLICY_PROFILE:-dev}
case "$PROFILE" in
  dev) REQUIREMENTS=(requirements/dev.txt) ;;
  robot) REQUIREMENTS=(requirements/robot.txt requirements/ros.txt) ;;
  *) log "NF_POLICY_PROFILE=$PROFILE: expected dev (everything) or robot"; exit 2 ;;
esac

install_debian_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    log "missing Debian packages ${missing[*]} and no apt-get: install them by hand"; return 0
  fi
  local sudo=''; [ "$(id -u)" -ne 0 ] && sudo='sudo'
  log "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# requirements/dev.txt includes robot.txt, ros.txt and sim.txt: the stamp covers the profile
# and every file under requirements/ (names and contents), so a change to any reinstalls.
requirements_digest() {
  { echo "profile $PROFILE"; sha256sum requirements/*.txt; } | sha256sum | cut -d' ' -f1
}

install_python_packages() {
  local stamp="$VENV/.requirements.sha256"
  local want; want=$(requirements_digest)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  [ -x "$VENV/bin/python" ] || { log "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
  local args=(); for file in "${REQUIREMENTS[@]}"; do args+=(-r "$file"); done
  log "installing pinned ${REQUIREMENTS[*]} (first run: a few minutes)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${args[@]}"
  echo "$want" > "$stamp"
}

colcon_build() {
  mkdir -p log
  log "colcon build --symlink-install (log: $COLCON_LOG)"
  # shellcheck disable=SC1091
  source "$VENV/bin/activate"
  colcon build --symlink-install --base-paths . --event-handlers console_direct- \
    >"$COLCON_LOG" 2>&1 || { cat "$COLCON_LOG"; exit 1; }
}

if [ "$PROFILE" = dev ]; then install_debian_packages; fi  # the simulator's rendering
install_python_packages
colcon_build
log "done: source scripts/env.sh to use the package"

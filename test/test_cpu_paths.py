# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The numerics tests hold on other CPU code paths than the one this machine picks.

Intel and AMD CPUs (and the SIMD level torch dispatches to) round differently: vector width,
FMA contraction and the BLAS kernels change the last bits. CI runs on whatever machine it
gets, so the tolerance-bearing tests are re-run here under forced dispatch levels: ATen's
generic (non-vectorized) and AVX2 kernels, and MKL limited to AVX2 instructions.
"""

from __future__ import annotations

import os
from pathlib import Path
import subprocess
import sys

import pytest

NUMERICS_TESTS = ['test/test_flow.py', 'test/test_sampling.py']
CPU_PATHS = {
    'generic': {'ATEN_CPU_CAPABILITY': 'default', 'MKL_ENABLE_INSTRUCTIONS': 'SSE4_2'},
    'avx2': {'ATEN_CPU_CAPABILITY': 'avx2', 'MKL_ENABLE_INSTRUCTIONS': 'AVX2'},
}


@pytest.mark.parametrize('path', sorted(CPU_PATHS))
def test_numerics_hold_on_another_cpu_path(path):
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, **CPU_PATHS[path], 'OMP_NUM_THREADS': '1'}
    result = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
                             *NUMERICS_TESTS], cwd=root, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]

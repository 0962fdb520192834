# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Documents that are generated must be current."""

from __future__ import annotations

from pathlib import Path

from nf_policy_ros.tools.reference_doc import render

ROOT = Path(__file__).resolve().parents[1]


def test_reference_doc_matches_the_config_dataclasses():
    assert (ROOT / 'docs' / 'reference.md').read_text() == render(), \
        'regenerate: python -m nf_policy_ros.tools.reference_doc > docs/reference.md'

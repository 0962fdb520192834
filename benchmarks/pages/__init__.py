# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The results: versioned JSON records (records), timing and publishing (report), paired
verdicts (targets), the page renderers shared by several experiments (tier_page,
state_page, curve_page, headline_page, confidence_failure) and the redraw command (render).
No simulator here; most pages redraw without torch."""

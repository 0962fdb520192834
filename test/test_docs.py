# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Documents that are generated must be current, and the reference must match the node."""

from __future__ import annotations

from pathlib import Path
import re
import time

from rclpy.qos import DurabilityPolicy, ReliabilityPolicy
from ros_helpers import NodeProcess, RosTestNode, wait_for

from nf_policy_ros.tools.reference_doc import render

ROOT = Path(__file__).resolve().parents[1]


def test_reference_doc_matches_the_config_dataclasses():
    assert (ROOT / 'docs' / 'reference.md').read_text() == render(), \
        'regenerate: python -m nf_policy_ros.tools.reference_doc > docs/reference.md'


NODE = 'nf_policy'
# what every node (or every rclpy node) has, listed in the reference in one sentence
EVERY_NODE = {'/rosout', '/parameter_events'} | {
    f'/{NODE}/{name}' for name in ('describe_parameters', 'get_parameter_types',
                                   'get_parameters', 'list_parameters', 'set_parameters',
                                   'set_parameters_atomically', 'get_type_description')}


def documented(kind: str) -> set[str]:
    """Resolved names of the ``kind`` rows (pub, srv, sub) of policy_node's table."""
    text = (ROOT / 'docs' / 'reference.md').read_text()
    section = text.split('## policy_node', 1)[1].split('\n## ', 1)[0]
    names = re.findall(rf'^\| {kind} \| `([^`]+)`', section, flags=re.MULTILINE)
    return {f'/{NODE}/{n[2:]}' if n.startswith('~/') else '/' + n.lstrip('/') for n in names}


def test_reference_lists_every_service_and_publisher_of_the_running_policy_node(tmp_path):
    proc = NodeProcess('policy_node', ['-p', 'autostart:=false'], tmp_path)
    test = RosTestNode('reference_check')
    graph = test.node

    def live(kind: str) -> set[str]:
        try:
            found = (graph.get_service_names_and_types_by_node if kind == 'srv' else
                     graph.get_publisher_names_and_types_by_node)(NODE, '/')
        except Exception:  # not discovered yet
            return set()
        return {name for name, _ in found} - EVERY_NODE

    try:
        wait_for(lambda: documented('srv') <= live('srv') and '/diagnostics' in live('pub'),
                 60, f'the documented services {sorted(documented("srv"))}', proc)
        time.sleep(0.5)  # let discovery settle: every endpoint of the node
        services, publishers = live('srv'), live('pub')
        events = graph.get_publishers_info_by_topic(f'/{NODE}/transition_event')
    finally:
        test.close()
        proc.stop()
    assert services == documented('srv')
    assert publishers <= documented('pub'), \
        f'undocumented publishers: {sorted(publishers - documented("pub"))}'
    assert [(e.qos_profile.reliability, e.qos_profile.durability) for e in events] == \
        [(ReliabilityPolicy.RELIABLE, DurabilityPolicy.VOLATILE)], \
        'the reference says ~/transition_event is reliable, volatile'

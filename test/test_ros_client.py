# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The product's service calls over real DDS: a repeat-safe request is resent until
answered, any other is sent once (a late or lost answer cannot run it twice)."""

from __future__ import annotations

import threading
import time

from ros_helpers import RosTestNode
from std_srvs.srv import Trigger

from nf_policy_ros.nodes.clients.ros_client import answered_call


class SlowFirstServer:
    """A Trigger service whose first answer takes ``first_s`` seconds; counts requests and
    answers each with its number."""

    def __init__(self, name: str, first_s: float) -> None:
        self.ros = RosTestNode(f'{name.strip("/")}_server')
        self.requests = 0
        self._first_s = first_s
        self._lock = threading.Lock()
        self.ros.node.create_service(Trigger, name, self._answer)

    def _answer(self, request: Trigger.Request, response: Trigger.Response):
        with self._lock:
            self.requests += 1
            number = self.requests
        if number == 1:
            time.sleep(self._first_s)
        response.success, response.message = True, str(number)
        return response


def client_for(test: RosTestNode, name: str):
    client = test.node.create_client(Trigger, name)
    assert client.wait_for_service(timeout_sec=30)
    return client


def test_a_repeat_safe_request_is_resent_and_its_latest_copy_answers():
    server, test = SlowFirstServer('/slow_first_a', first_s=2.0), RosTestNode('caller_a')
    try:
        reply = answered_call(client_for(test, '/slow_first_a'), Trigger.Request(),
                              timeout_s=20.0, resend_after_s=0.3)
        assert reply is not None and reply.success
        assert server.requests >= 3, server.requests  # 2 s unanswered at 0.3 s a resend
        assert reply.message != '1', 'the dropped first copy must not answer'
    finally:
        test.close()
        server.ros.close()


def test_a_request_that_is_not_repeat_safe_is_sent_once():
    server, test = SlowFirstServer('/slow_first_b', first_s=1.5), RosTestNode('caller_b')
    try:
        client = client_for(test, '/slow_first_b')
        assert answered_call(client, Trigger.Request(), timeout_s=0.5) is None
        time.sleep(2.0)  # the late answer comes and goes
        assert server.requests == 1
        reply = answered_call(client, Trigger.Request(), timeout_s=20.0)
        assert reply is not None and reply.message == '2' and server.requests == 2
    finally:
        test.close()
        server.ros.close()

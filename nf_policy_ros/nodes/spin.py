# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Process entry helper: init rclpy, spin a node, exit 0 on SIGINT/SIGTERM."""

from __future__ import annotations

from collections.abc import Callable

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node


def spin_node(make_node: Callable[[], Node], argv: list[str] | None = None,
              num_threads: int = 2) -> int:
    """Create the node with ``make_node`` and spin it until shutdown; return the exit code.

    A multi-threaded executor lets services and subscriptions run while a long callback (for
    example a training step) holds another thread.
    """
    rclpy.init(args=argv)
    node = None
    try:
        node = make_node()
        executor = MultiThreadedExecutor(num_threads=num_threads)
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            close = getattr(node, 'close', None)
            if close is not None:
                close()
            node.destroy_node()
        rclpy.try_shutdown()
    return 0

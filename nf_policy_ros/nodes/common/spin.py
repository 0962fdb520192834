# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Process entry helper: init rclpy, spin a node, exit 0 on SIGINT/SIGTERM."""

from __future__ import annotations

from collections.abc import Callable

import rclpy
from rclpy.executors import (
    ExternalShutdownException,
    MultiThreadedExecutor,
    SingleThreadedExecutor,
)
from rclpy.node import Node


def spin_node(make_node: Callable[[], Node], argv: list[str] | None = None,
              num_threads: int = 2) -> int:
    """Create the node with ``make_node`` and spin it until shutdown; return the exit code.

    ``num_threads`` > 1 uses a multi-threaded executor (services stay responsive while a
    callback runs long); 1 a single-threaded one, which costs less GIL time per message.
    """
    rclpy.init(args=argv)
    node = None
    try:
        node = make_node()
        executor = (MultiThreadedExecutor(num_threads=num_threads) if num_threads > 1
                    else SingleThreadedExecutor())
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:
        # A signal shuts the context down under a running executor: the callback it was
        # taking can then fail inside rclpy (seen once in CI-like runs as a RuntimeError
        # from take_message). That is a clean shutdown, not a crash.
        if rclpy.ok():
            raise
    finally:
        if node is not None:
            close = getattr(node, 'close', None)
            if close is not None:
                close()
            node.destroy_node()
        rclpy.try_shutdown()
    return 0

# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Fenced code blocks of a Markdown page and the HTML comment marking each one.

    <!-- runs-in-test -->                  shell block run to completion, in order
    <!-- runs-in-test: background -->      shell block started, kept running to the end
    <!-- runs-in-test: file NAME -->       block written to the file NAME
    <!-- not-run-in-test: REASON -->       a block the test cannot run, and why

The marker is the last non-blank line before the opening fence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import re
import shlex

FENCE = re.compile(r'^```(\w*)\s*$')
MARKER = re.compile(r'^<!--\s*(runs-in-test|not-run-in-test)\s*(?::\s*(.*?))?\s*-->$')


@dataclass(frozen=True)
class Block:
    """One fenced block: language, text, 1-based line of the fence, and its marker."""

    language: str
    text: str
    line: int
    marker: str | None  # 'runs-in-test' | 'not-run-in-test' | None
    argument: str       # what follows the colon ('' if nothing)

    @property
    def runs(self) -> bool:
        return self.marker == 'runs-in-test'


def read_blocks(path: Path) -> list[Block]:
    """Every fenced block of ``path`` in page order."""
    lines = path.read_text().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end].strip() != '```':
            end += 1
        before = [line.strip() for line in lines[:i] if line.strip()]
        marker = MARKER.match(before[-1]) if before else None
        blocks.append(Block(opening.group(1), '\n'.join(lines[i + 1:end]) + '\n', i + 1,
                            marker.group(1) if marker else None,
                            (marker.group(2) or '') if marker else ''))
        i = end + 1
    return blocks


def shell_commands(text: str) -> list[list[str]]:
    """The commands of a shell block as argument lists: continuation lines joined,
    comments dropped (what bash would run, for inspection; bash runs the text itself)."""
    joined = re.sub(r'\\\n', ' ', text)
    commands = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            commands.append(words)
    return commands

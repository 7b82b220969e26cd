"""What a user reads in Block Kit, and what Slack would refuse (the limits in Slack's Block Kit reference)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def block_problems(blocks: list[dict[str, Any]], max_blocks: int) -> list[str]:
    """What Slack would refuse in `blocks` (the limits in Slack's Block Kit reference)."""
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks > {max_blocks}")
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        problems.append("duplicate block_id")
    for i, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "section":
            text = block.get("text", {}).get("text", "")
            if not text or len(text) > 3000:
                problems.append(f"block {i}: section text of {len(text)} chars (1..3000)")
        elif kind == "context":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 10:
                problems.append(f"block {i}: context with {len(elements)} elements (1..10)")
            for e in elements:
                if not e.get("text") or len(e["text"]) > 3000:
                    problems.append(f"block {i}: context element of {len(e.get('text', ''))} chars")
        elif kind == "actions":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 25:
                problems.append(f"block {i}: actions with {len(elements)} elements (1..25)")
            ids = [e.get("action_id") for e in elements]
            if len(ids) != len(set(ids)):
                problems.append(f"block {i}: duplicate action_id")
            for e in elements:
                label = e.get("text", {}).get("text", "")
                if not label or len(label) > 75:
                    problems.append(f"block {i}: button label of {len(label)} chars (1..75)")
                if len(e.get("value", "")) > 2000 or len(e.get("action_id", "")) > 255:
                    problems.append(f"block {i}: button value or action_id too long")
        elif kind not in ("divider", "header"):
            problems.append(f"block {i}: unexpected type {kind!r}")
    return problems


def texts_of(blocks: Any) -> str:
    """All the text a user would read in `blocks` (sections, contexts, buttons), one line each."""

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                yield node["text"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    return "\n".join(walk(blocks))

"""Make a conversation's last turn standalone before retrieval (rule-based; an LLM may do it instead).

"and for girls?" after "what works for youth violence?" is searched as
"what works for youth violence? and for girls?": the earlier question carries the topic.
"""

from __future__ import annotations

import re

from assistant.core.answering.text import content_stems
from assistant.core.answers import Message

_FOLLOW_UP_START = re.compile(
    r"^\s*(and|but|or|also|so|then|what about|how about|same|plus|what if|ok|okay|and what|is that|"
    r"does that|do they|does it|is it|are they|was it|were they|can it|could it|would it|how much|"
    r"what does it|what do they|how long|who|where|why|has it|have they)\b",
    re.I,
)
_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|the program|the first one|the second one)\b", re.I
)


def is_follow_up(question: str) -> bool:
    """Short, or leaning on an earlier turn by its opening or its pronouns."""
    stems = content_stems(question)
    if _FOLLOW_UP_START.search(question) and len(stems) <= 5:
        return True
    if _ANAPHORA.search(question) and len(stems) <= 4:
        return True
    return len(stems) <= 1


def standalone_question(question: str, conversation: list[Message] | None) -> str:
    """The question to search: itself, or joined to the last earlier user turn that had a topic."""
    if not conversation or not is_follow_up(question):
        return question.strip()
    for turn in reversed(conversation):
        if turn.role == "user" and content_stems(turn.content) and turn.content.strip() != question.strip():
            return f"{turn.content.strip()} {question.strip()}"
    return question.strip()

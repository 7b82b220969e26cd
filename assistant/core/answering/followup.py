"""Make a conversation's last turn standalone before retrieval (rule-based; an LLM may do it instead).

"and for girls?" after "what works for youth violence?" is searched as
"what works for youth violence? and for girls?": the earlier question carries the topic,
and the first sources of the earlier answer name what "it" or "the first one" refers to.
"""

from __future__ import annotations

import re

from assistant.core.answering.text import content_stems
from assistant.core.answers import Message

_FOLLOW_UP_START = re.compile(
    r"^\s*(and|but|or|also|so|then|what about|how about|same|plus|what if|ok|okay|any|is that|"
    r"does that|do they|does it|is it|are they|was it|were they|can it|could it|would it|how much|"
    r"what does it|what do they|how long|has it|have they|which one|why)\b",
    re.I,
)
_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|the program|the programme|the first one|"
    r"the second one|the same|instead|there)\b",
    re.I,
)
_CITED_TITLE = re.compile(r"^\s*-\s+(.+?):\s+\u201c", re.M)


def is_follow_up(question: str) -> bool:
    """Leaning on an earlier turn: by its opening, by its pronouns, or by having almost no topic of its own."""
    stems = content_stems(question)
    if _FOLLOW_UP_START.search(question) and len(stems) <= 6:
        return True
    if _ANAPHORA.search(question) and len(stems) <= 6:
        return True
    return len(stems) <= 1


def _topic_of(turn: Message) -> str:
    """What an assistant turn was about: its first cited titles, or its opening words."""
    titles = _CITED_TITLE.findall(turn.content)
    if titles:
        return "; ".join(dict.fromkeys(titles[:2]))
    return " ".join(turn.content.split()[:20])


def with_conversation(question: str, conversation: list[Message]) -> str:
    """The question joined to the last earlier user turn with a topic, and what the answer to it cited."""
    parts: list[str] = []
    for i in range(len(conversation) - 1, -1, -1):
        turn = conversation[i]
        if turn.role == "user" and content_stems(turn.content) and turn.content.strip() != question.strip():
            parts.append(turn.content.strip())
            answer = next((t for t in conversation[i + 1 :] if t.role == "assistant"), None)
            if answer is not None:
                parts.append(_topic_of(answer))
            break
    return " ".join([*parts, question.strip()])


def standalone_question(question: str, conversation: list[Message] | None) -> str:
    """The question to search: itself, or made standalone from the conversation."""
    if not conversation or not is_follow_up(question):
        return question.strip()
    return with_conversation(question, conversation)

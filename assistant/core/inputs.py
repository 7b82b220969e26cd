"""Text that a person or a client sends: refused with a reason when no person could have meant it.

Every face (API, widget, Slack, CLI) passes what it receives through `checked_text` before
anything reaches the tokenizer, the vector store or the query log: a lone surrogate crashes
the tokenizer and Chroma's bindings, control characters have no place in a question, and a
question made only of zero-width spaces is empty, not a gap in the evidence base.
"""

from __future__ import annotations

import re

# Bounds every request model declares, so the OpenAPI schema states them.
MAX_FILTER_VALUES = 20
MAX_FILTER_VALUE_CHARS = 60
MAX_TURNS = 40
MAX_TURN_CHARS = 20_000
MAX_COMMENT_CHARS = 4_000

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# characters that show nothing: a text made only of these (and spaces) is empty
_INVISIBLE = re.compile(
    r"[\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    r"\u3164\ufe00-\ufe0f\ufeff\uffa0]+"
)


def checked_text(value: str, what: str, allow_empty: bool = False) -> str:
    """`value` stripped of surrounding spaces; ValueError naming `what` when it cannot be text a person meant."""
    if _SURROGATE.search(value):
        raise ValueError(f"the {what} contains an unpaired surrogate (invalid Unicode): send it as UTF-8 text")
    if _CONTROL.search(value):
        raise ValueError(f"the {what} contains control characters: remove them")
    value = value.strip()
    if not allow_empty and not _INVISIBLE.sub("", value):
        raise ValueError(f"the {what} is empty: type some text")
    return value

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

_CONTROL_CLASS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
# characters that show nothing: a text made only of these is empty
_INVISIBLE_CLASS = (
    r"\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
    r"\ufe00-\ufe0f\ufeff\uffa0"
)
# The same rules as JSON Schema patterns, so that the OpenAPI schema says what the API accepts.
NO_CONTROL_PATTERN = rf"^[^{_CONTROL_CLASS}]*$"
VISIBLE_PATTERN = rf"^[^{_CONTROL_CLASS}]*[^{_CONTROL_CLASS}{_INVISIBLE_CLASS}][^{_CONTROL_CLASS}]*$"

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(f"[{_CONTROL_CLASS}]")
_INVISIBLE = re.compile(f"[{_INVISIBLE_CLASS}]+")


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

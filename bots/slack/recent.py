"""Short-term memory of the bot: recent answers by question id, and Slack events already taken.

Both are bounded and in-process. After a restart the answers are fetched again from the API, and
an event Slack retries is handled once per process (Slack sends retries to the same app).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from assistant.core.answers import AskResponse


class RecentAnswers:
    """The last answers the bot gave, for "Show quotes", "Share in channel" and thanking a voter."""

    def __init__(self, capacity: int = 500) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, AskResponse] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, response: AskResponse) -> None:
        with self._lock:
            self._items[response.question_id] = response
            self._items.move_to_end(response.question_id)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def get(self, question_id: str) -> AskResponse | None:
        with self._lock:
            return self._items.get(question_id)

    def forget_all(self) -> None:
        with self._lock:
            self._items.clear()


class SeenEvents:
    """Event ids seen in the last `ttl_seconds`: a retried or duplicated event is recognised."""

    def __init__(self, ttl_seconds: float = 3600.0, capacity: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.capacity = capacity
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        """True the first time an id is offered (and records it); False for a repeat."""
        now = time.monotonic()
        with self._lock:
            while self._seen and (
                len(self._seen) >= self.capacity or next(iter(self._seen.values())) < now - self.ttl_seconds
            ):
                self._seen.popitem(last=False)
            if event_id in self._seen:
                return False
            self._seen[event_id] = now
            return True

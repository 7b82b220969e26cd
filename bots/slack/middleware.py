"""Global bolt middleware: let each Slack event through once.

Slack resends an event it thinks was not acknowledged (`X-Slack-Retry-Num` over HTTP,
`retry_attempt` in Socket Mode, which bolt mirrors into the same header). The first delivery is
already being answered, so a repeat is acknowledged, logged, and dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse

from bots.slack.recent import SeenEvents


def skip_repeated_events(seen: SeenEvents) -> Callable[..., BoltResponse | None]:
    def skip_repeats(
        body: dict[str, Any], request: BoltRequest, next: Callable[[], BoltResponse], logger: logging.Logger
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not seen.first_time(str(event_id)):
            retry = request.headers.get("x-slack-retry-num", ["?"])[0]
            reason = request.headers.get("x-slack-retry-reason", ["?"])[0]
            logger.info("ignoring repeated event %s (retry %s, reason %s)", event_id, retry, reason)
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        return next()

    return skip_repeats

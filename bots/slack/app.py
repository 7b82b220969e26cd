"""The Slack bot's entry point (`whatworks-slack`) and the factory of its bolt app.

Socket Mode by default (no public URL needed: SLACK_BOT_TOKEN and SLACK_APP_TOKEN);
`--http` serves /slack/events for the Events API, the slash command and interactivity, with
signature verification (SLACK_SIGNING_SECRET).
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient

from assistant.core.settings import SlackSettings
from bots.slack.answering import Answerer
from bots.slack.api_client import WhatworksClient
from bots.slack.config import load_slack_settings, missing_for
from bots.slack.listeners import register_listeners
from bots.slack.middleware import skip_repeated_events
from bots.slack.recent import RecentAnswers, SeenEvents

log = logging.getLogger(__name__)
LISTENER_THREADS = 32


def create_slack_app(
    slack_settings: SlackSettings,
    api_client: WhatworksClient,
    web_client: WebClient | None = None,
    *,
    process_before_response: bool = False,
    recent: RecentAnswers | None = None,
) -> App:
    """The bolt app with every listener registered.

    Args:
        slack_settings: Tokens, signing secret and the Slack Web API base URL.
        api_client: An open client of the whatworks API.
        web_client: The Slack Web API client; by default one with the bot token and `web_api_url`.
        process_before_response: bolt's FaaS mode; answers are lazy listeners either way.
        recent: The memory of recent answers (tests pass their own to inspect or clear it).
    """
    if web_client is None:
        if slack_settings.bot_token is None:
            raise ValueError("a bot token is required: set SLACK_BOT_TOKEN")
        web_client = WebClient(token=slack_settings.bot_token.get_secret_value(), base_url=slack_settings.web_api_url)
    # Without a signing secret (Socket Mode needs none) HTTP requests must never verify: an empty
    # secret would be one anyone can sign with.
    signing_secret = (
        slack_settings.signing_secret.get_secret_value() if slack_settings.signing_secret else secrets.token_hex(32)
    )
    app = App(
        name="whatworks",
        client=web_client,
        signing_secret=signing_secret,
        process_before_response=process_before_response,
        # Acks and answers share this pool; bolt's default of 10 would let ten slow answers delay an ack past 3 s.
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="whatworks-slack"),
    )
    app.use(skip_repeated_events(SeenEvents()))
    register_listeners(app, Answerer(api=api_client, recent=recent or RecentAnswers()))
    return app


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="whatworks-slack", description="Run the whatworks Slack bot.")
    parser.add_argument("--http", action="store_true", help="serve /slack/events over HTTP instead of Socket Mode")
    parser.add_argument("--host", default="0.0.0.0", help="HTTP mode: address to listen on (default 0.0.0.0)")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", "3000")), help="HTTP mode: port (default $PORT or 3000)"
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> None:
    """`whatworks-slack [--http] [--port N]`."""
    args = _parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_slack_settings()
    missing = missing_for(settings, args.http)
    if missing:
        mode = "HTTP mode" if args.http else "Socket Mode"
        sys.exit(f"whatworks-slack: {mode} needs {', '.join(missing)} (see bots/slack/README.md)")
    with WhatworksClient.from_settings(settings) as api:
        if not api.ping():
            log.warning("the whatworks API at %s is not answering yet; questions will fail until it does", api.base_url)
        try:
            app = create_slack_app(settings, api)
        except BoltError as exc:
            sys.exit(f"whatworks-slack: Slack refused the bot token ({exc})")
        if args.http:
            import uvicorn

            from bots.slack.http_server import EVENTS_PATH, create_http_app

            log.info("serving Slack requests at http://%s:%d%s", args.host, args.port, EVENTS_PATH)
            secret = settings.signing_secret.get_secret_value() if settings.signing_secret else None
            uvicorn.run(create_http_app(app, secret), host=args.host, port=args.port, log_level=args.log_level.lower())
        else:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            assert settings.app_token is not None
            SocketModeHandler(app, settings.app_token.get_secret_value()).start()


if __name__ == "__main__":
    run()

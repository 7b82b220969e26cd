"""The app manifest asks for exactly what the bot uses."""

from __future__ import annotations

from pathlib import Path

import yaml

from bots.slack.listeners.commands.whatworks_command import COMMAND

MANIFEST = Path(__file__).resolve().parents[3] / "bots" / "slack" / "manifest.yaml"


def test_manifest_declares_the_events_scopes_and_command_the_bot_uses() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())

    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_mention",  # listeners/events/app_mention.py
        "message.channels",  # listeners/events/messages.py: thread follow-ups
        "message.groups",
        "message.im",  # direct messages
    }
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read",
        "channels:history",  # message.channels and conversations.replies
        "groups:history",
        "im:history",
        "chat:write",  # chat.postMessage, chat.update
        "commands",
    }
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True, "buttons need interactivity"
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_read_only_enabled"] is False, "people can DM the bot"


def test_the_bot_imports_only_the_apis_schemas_and_settings_from_assistant() -> None:
    """The bot is a client of the API over HTTP: no retrieval, model or store code in its process."""
    import ast

    # and the language identifier (py3langid, nothing else), so a notice the API could not give is in the
    # question's language
    allowed = {"assistant.core.answers", "assistant.core.settings", "assistant.core.language"}
    package = MANIFEST.parent
    imported: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    from_assistant = {m for m in imported if m == "assistant" or m.startswith("assistant.")}
    assert from_assistant == allowed

"""The bot's settings: the `slack` section of whatworks' settings, plus Slack's usual variable names.

`WHATWORKS_SLACK__BOT_TOKEN` (and the rest of `WHATWORKS_SLACK__*`, or `.env`) wins; when a token or
the signing secret is not set that way, `SLACK_BOT_TOKEN`, `SLACK_APP_TOKEN` and
`SLACK_SIGNING_SECRET` are used, the names Slack's own guides give.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.core.settings import SlackSettings

SLACK_ENV_NAMES = {
    "bot_token": "SLACK_BOT_TOKEN",
    "app_token": "SLACK_APP_TOKEN",
    "signing_secret": "SLACK_SIGNING_SECRET",
}


class _SlackSection(BaseSettings):
    """Only the `slack` section (a bot process need not validate LLM or Chroma settings), plus Slack's names."""

    model_config = SettingsConfigDict(
        env_prefix="WHATWORKS_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    slack: SlackSettings = Field(default_factory=SlackSettings)
    bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    signing_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_SIGNING_SECRET")


def load_slack_settings() -> SlackSettings:
    """SlackSettings from the environment and `.env`: WHATWORKS_SLACK__*, then SLACK_* for the secrets."""
    section = _SlackSection()
    fallbacks = {
        name: getattr(section, name)
        for name in SLACK_ENV_NAMES
        if getattr(section.slack, name) is None and getattr(section, name) is not None
    }
    return section.slack.model_copy(update=fallbacks)


def missing_for(settings: SlackSettings, http: bool) -> list[str]:
    """The variables a mode needs that are not set, named as an admin would set them."""
    needed = ["bot_token", "signing_secret"] if http else ["bot_token", "app_token"]
    return [SLACK_ENV_NAMES[f] for f in needed if getattr(settings, f) is None]

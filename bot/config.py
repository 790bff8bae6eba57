"""Settings for linli, read from `LINLI_*` environment variables or a `.env` file.

The bot token is a `SecretStr` so it never shows up in a repr or a log line; it is optional
here and checked by `require_token`, which turns a missing or malformed token into one clear
sentence instead of a traceback.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.quiet_hours import QuietHours

TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
LANGUAGES = ("zh_CN", "en")


class ConfigError(Exception):
    """A setting is missing or wrong; the message says what to do."""


class Settings(BaseSettings):
    """Everything configurable, with defaults for one community office on one machine."""

    model_config = SettingsConfigDict(
        env_prefix="LINLI_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = Field(default=None, description="Token from @BotFather")
    database_url: str = Field(
        default=f"sqlite+aiosqlite:///{Path('linli.sqlite').resolve()}",
        description="SQLAlchemy URL: sqlite+aiosqlite:///FILE or postgresql+asyncpg://…",
    )
    api_base_url: str = Field(
        default="https://api.telegram.org/bot", description="Bot API base URL"
    )
    api_file_url: str = Field(
        default="https://api.telegram.org/file/bot", description="Bot API file base URL"
    )
    webhook_url: str | None = Field(default=None, description="Public HTTPS URL of the webhook")
    webhook_secret: SecretStr | None = Field(default=None, description="Webhook secret token")
    webhook_listen: str = Field(default="127.0.0.1", description="Webhook listen address")
    webhook_port: int = Field(default=8080, description="Webhook listen port")
    default_language: str = Field(default="zh_CN", description="zh_CN or en")
    timezone: str = Field(default="Asia/Shanghai", description="IANA time zone")
    tick_seconds: float = Field(default=5.0, description="How often due items are checked")
    outbox_rate: float = Field(
        default=30.0, description="Messages per second the bot sends at most, replies and "
        "broadcasts together (Telegram: 30)"
    )
    paid_broadcast: bool = Field(
        default=False, description="Use Telegram's paid broadcasts (allow_paid_broadcast, "
        "up to 1,000/s, costs Stars); raises the outbox rate to 1,000/s"
    )
    outbox_concurrency: int = Field(default=8, description="Sends in flight at once")
    concurrent_updates: int = Field(
        default=16, ge=1, description="Updates handled at once (each person's in order)"
    )
    outbox_lease_seconds: float = Field(
        default=60.0, description="After a crash, unsent claimed messages return after this"
    )
    join_reminder_hours: float = Field(
        default=24.0, description="Remind staff of a join request still waiting after this"
    )
    vote_max_days: int = Field(
        default=90, ge=1, le=366, description="The longest an owners' vote may run in all, "
        "from opening to its last closing day, extensions included (days)"
    )
    quiet_hours: str = Field(
        default="21:00-08:00", description="HH:MM-HH:MM on the community's clock in which "
        "only urgent messages go out; empty: none"
    )

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"unknown time zone {value!r}, e.g. Asia/Shanghai") from None
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        try:
            QuietHours.parse(value, dt.UTC)
        except ValueError:
            raise ValueError(f"{value!r} is not like 21:00-08:00 (or empty for none)") from None
        return value

    @property
    def quiet(self) -> QuietHours | None:
        """The quiet hours in the community's zone (None: none)."""
        return QuietHours.parse(self.quiet_hours, self.tz)

    @property
    def send_rate(self) -> float:
        return 1000.0 if self.paid_broadcast and self.outbox_rate <= 30 else self.outbox_rate

    @property
    def join_reminder_delta(self) -> dt.timedelta:
        return dt.timedelta(hours=self.join_reminder_hours)

    @property
    def vote_max_voting(self) -> dt.timedelta:
        return dt.timedelta(days=self.vote_max_days)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def require_webhook_secret(self) -> str:
        """The webhook's secret; a webhook without one would accept forged updates."""
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if len(secret) < 16 or not re.fullmatch(r"[A-Za-z0-9_-]+", secret):
            raise ConfigError(
                "LINLI_WEBHOOK_URL is set, so LINLI_WEBHOOK_SECRET must be too: 16 to 256 "
                "letters, digits, _ or -, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
            )
        return secret

    def require_token(self) -> str:
        """Return the token, or raise ConfigError with a sentence a person can act on."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise ConfigError(
                "No bot token: set LINLI_BOT_TOKEN (from @BotFather) in the environment or "
                ".env, or run `linli sandbox` to try linli without one."
            )
        token = self.bot_token.get_secret_value().strip()
        if not TOKEN_RE.match(token):
            raise ConfigError(
                "LINLI_BOT_TOKEN does not look like a bot token (digits:letters, as @BotFather "
                "gives it); check it, or run `linli sandbox` to try linli without one."
            )
        return token


@lru_cache
def get_settings() -> Settings:
    return Settings()

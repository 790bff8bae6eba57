"""Domain errors: every rule a service enforces fails with one of these.

Each carries a message id (an English sentence marked with `N_` so Babel extracts it) and
named parameters; handlers translate it into the person's language. Models never import the
translation machinery, so the marker is a no-op here.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a string for translation without translating it (gettext's convention)."""
    return message


class DomainError(Exception):
    """A rule said no. `message` is a translatable id, `params` fill its placeholders."""

    message: str = N_("That did not work. Please try again.")

    def __init__(self, message: str | None = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        self.params = params
        super().__init__(self.message.format(**params) if params else self.message)


class NotFound(DomainError):
    message = N_("That item no longer exists. Please start again.")


class NotAllowed(DomainError):
    message = N_("You do not have permission to do that here.")


class Invalid(DomainError):
    message = N_("That input is not valid. Please check it and try again.")


class Conflict(DomainError):
    message = N_("That has already been done.")


class StaleButton(DomainError):
    """A button whose data does not decode, or points at something it no longer can."""

    message = N_("This button is no longer valid. Send /help to start again.")


class NotRegistered(DomainError):
    message = N_("You are not registered yet. Send /start to join your community.")

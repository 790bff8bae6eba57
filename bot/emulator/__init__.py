"""A Telegram Bot API emulator: the real PTB client talks to it through ``base_url``.

``World`` holds the emulated Telegram, ``create_app`` serves it over HTTP (Bot API plus the
control API described in README.md), ``serve`` runs it inside the current event loop and
``EmulatorClient`` drives it from tests and scripts.
"""

from bot.emulator.client import EmulatorClient, EmulatorError, RunningEmulator, serve
from bot.emulator.server import create_app
from bot.emulator.state import ApiError, World

__all__ = ["ApiError", "EmulatorClient", "EmulatorError", "RunningEmulator", "World",
           "create_app", "serve"]

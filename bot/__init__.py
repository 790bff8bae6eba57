"""linli's wiring: configuration, the Application, CLI, translations, outbox, webhook, emulator."""

import os

# Opt in to python-telegram-bot's coming behaviour (durations such as RetryAfter.retry_after as
# timedelta) instead of a deprecation warning on every 429; our code accepts both.
os.environ.setdefault("PTB_TIMEDELTA", "1")

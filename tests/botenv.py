"""The end-to-end harness: the real PTB Application polling our Bot API emulator over HTTP.

Tests talk like people: `await env.say(alice, "/start")`, `await env.tap(alice, "中文")`, then
look at what the bot sent. Every wait is for a concrete thing the bot must do (a message that
contains some words, a button press answered), never a sleep. A handler that raises fails the
test: the harness records errors the Application would otherwise swallow.

What reaches a chat through the outbox (a notice, a join request, a closing report) arrives
whenever the sender gets to it, before or after a direct reply: so a test names the message it
means (`wait` for its words since a mark, `tap_on` the message that shows the button), never
"the last message" or the newest one carrying a button, and checks that nobody else got
something only once `outbox_settled` says nothing is still on its way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.app import ALLOWED_UPDATES, build_application, started
from bot.config import Settings
from bot.db import Database
from bot.emulator.client import RunningEmulator, serve
from bot.emulator.state import JSON, World

TOKEN = "123456789:TESTTOKENabcdefghijklmnopqrstuvwxyz"


@dataclass
class BotEnv:
    em: RunningEmulator
    app: Application[Any, Any, Any, Any, Any, Any]
    db: Database
    errors: list[BaseException] = field(default_factory=list)

    @property
    def client(self):  # type: ignore[no-untyped-def]
        return self.em.client

    async def user(self, name: str, *, language_code: str | None = "zh-hans",
                   id: int | None = None) -> int:
        created = await self.client.create_user(name, id=id, language_code=language_code)
        return int(created["id"])

    def mark(self) -> int:
        """A point in the emulator's history; waits look only at what came after it."""
        return self.em.world.seq

    async def wait(self, chat_id: int, contains: str | None = None, *, since: int,
                   timeout: float = 15.0) -> JSON:
        """The first bot message (new or edited) in the chat since `since` with these words."""
        found = await self.client._get("/wait", chat_id=chat_id, since=since, contains=contains,
                                       timeout=timeout)
        if found:
            return found[-1]
        transcript = "\n".join(f"  {m.get('text')!r}" for m in await self.client.messages(chat_id))
        raise AssertionError(f"bot sent nothing containing {contains!r} to {chat_id}; "
                             f"errors: {self.errors!r}; transcript:\n{transcript}")

    async def say(self, user_id: int, text: str, expect: str | None = None, *,
                  chat_id: int | None = None) -> JSON:
        """Send text as the user and wait for the bot's answer (containing `expect`)."""
        since = self.mark()
        await self.client.send(user_id, text, chat_id=chat_id)
        return await self.wait(chat_id or user_id, expect, since=since)

    async def tap(self, user_id: int, text: str | None = None, *, data: str | None = None,
                  chat_id: int | None = None, message_id: int | None = None,
                  expect: str | None = None, forge: bool = False) -> JSON:
        """Press a button (by label or data); return the toast, after the bot has answered.

        With `expect`, also wait for a bot message (new or edited) containing those words.
        """
        since = self.mark()
        if forge and message_id is None:  # a forged press still comes from some message
            message_id = (await self.last(chat_id or user_id))["message_id"]
        pressed = await self.client.press(user_id, chat_id or user_id, message_id, data=data,
                                          text=text, forge=forge)
        answer = await self.client.wait_callback_answer(pressed["callback_query_id"],
                                                        timeout=15.0)
        if expect is not None:
            await self.wait(chat_id or user_id, expect, since=since)
        return answer

    async def last(self, chat_id: int) -> JSON:
        messages = await self.client.bot_messages(chat_id)
        assert messages, f"the bot has sent nothing to {chat_id}"
        return messages[-1]

    def buttons(self, message: JSON) -> list[str]:
        keyboard = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        return [b["text"] for row in keyboard for b in row]

    async def wait_for(self, chat_id: int, contains: str | None = None, *, since: int,
                       button: str | None = None, timeout: float = 15.0) -> JSON:
        """Like `wait`, and the message must also carry the button labelled `button`.

        For a message told apart only by its buttons (a tick that moved, the next step's
        choices): the newest bot message (new or edited) since `since` that has both.
        """
        if button is None:
            return await self.wait(chat_id, contains, since=since, timeout=timeout)
        return await self._wait_until(
            chat_id, since, lambda m: button in self.buttons(m), contains=contains,
            timeout=timeout, wanted=f"containing {contains!r} with the button {button!r}")

    async def wait_said(self, chat_id: int, contains: str, *, since: int,
                        timeout: float = 15.0) -> JSON:
        """The newest bot message changed since `since` that says these words, or said them
        before a later edit: for a message the bot keeps editing by itself (a broadcast's
        progress), whose first words may be gone by the time anyone looks."""
        def said(m: JSON) -> bool:
            return any(contains in (v.get("text") or v.get("caption") or "")
                       for v in [*m.get("edits", []), m])

        return await self._wait_until(chat_id, since, said, timeout=timeout,
                                      wanted=f"saying {contains!r} (now or before an edit)")

    async def _wait_until(self, chat_id: int, since: int, match: Callable[[JSON], bool], *,
                          contains: str | None = None, timeout: float, wanted: str) -> JSON:
        loop = asyncio.get_running_loop()
        deadline, cursor = loop.time() + timeout, since
        while True:
            found = await self.client._get("/wait", chat_id=chat_id, since=cursor,
                                           contains=contains,
                                           timeout=max(0.0, deadline - loop.time()))
            matching = [m for m in found or [] if match(m)]
            if matching:
                return matching[-1]
            if not found or loop.time() >= deadline:
                break
            cursor = max(m["seq"] for m in found)  # a later edit of these comes back
        transcript = "\n".join(f"  {m.get('text')!r} {self.buttons(m)!r}"
                               for m in await self.client.messages(chat_id))
        raise AssertionError(f"bot sent nothing {wanted} to {chat_id}; errors: "
                             f"{self.errors!r}; transcript:\n{transcript}")

    async def tap_on(self, user_id: int, text: str | None = None, *, on: JSON,
                     expect: str | None = None, button: str | None = None,
                     data: str | None = None) -> JSON:
        """Press a button on the message `on` (not whichever message carries it last) and
        return the bot's answer: the message (new or edited) since the press with `expect`
        in its text and/or carrying `button`."""
        assert expect is not None or button is not None, "say which answer to wait for"
        chat_id = on["chat"]["id"]
        since = self.mark()
        await self.tap(user_id, text, data=data, chat_id=chat_id, message_id=on["message_id"])
        return await self.wait_for(chat_id, expect, since=since, button=button)

    async def outbox_settled(self, timeout: float = 15.0) -> None:
        """Wait until the outbox has sent (or given up on) every message due by now, so that
        "nobody else got it" can be checked: nothing still on its way can arrive later."""
        from sqlalchemy import func, select

        from models.base import utcnow
        from models.outbox import OutboxMessage, OutboxStatus

        loop = asyncio.get_running_loop()
        deadline, now = loop.time() + timeout, utcnow()
        while True:
            async with self.db.session() as s:
                owed = await s.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                    OutboxMessage.not_before <= now))
            if not owed:
                return
            assert loop.time() < deadline, f"{owed} outbox message(s) still unsent"
            await self.drain_outbox()
            await self.em.world.wait_change(0.05)  # a delivery, or look again shortly

    async def drain_outbox(self) -> None:
        """Let the outbox sender run now (it also runs by itself within a second)."""
        self.app.bot_data["deps"].wake_outbox()


@asynccontextmanager
async def running_bot(db: Database, *, world: World | None = None, rate_limit: bool = False,
                      **settings: Any) -> AsyncIterator[BotEnv]:
    """The bot against an emulator (`world`: one with Telegram's limits on, say). Replies pass
    the send budget unless `rate_limit`; the outbox keeps to it either way."""
    # no quiet hours unless a test sets them: a test run at night must not wait for morning
    config = Settings(database_url=db.url, default_language="zh_CN", tick_seconds=3600,
                      **{"quiet_hours": "", **settings})
    async with serve(world or World(token=TOKEN)) as em:
        app = build_application(config, db, token=TOKEN, base_url=em.bot_base_url,
                                base_file_url=em.file_base_url, rate_limit=rate_limit)
        env = BotEnv(em, app, db)

        async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            if context.error is not None:
                env.errors.append(context.error)

        app.add_error_handler(record)
        async with started(app):
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0.0, timeout=1,
                                            allowed_updates=ALLOWED_UPDATES)
            try:
                yield env
            finally:
                await app.updater.stop()

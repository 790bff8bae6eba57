"""What passes between the bot and Telegram (the ``Delivery`` layer of ``World``).

Everything the bot sends goes through ``check_send`` so Telegram's limits live in one place
(``limits.py``; off unless asked for), and ``record_send`` counts what was delivered. What a user
does reaches the bot through ``deliver``, which applies group privacy mode (on by default, as for
a new Telegram bot) and the bot's membership of the chat, into the update queue that getUpdates
or the webhook drains. The call log and the callback queries awaiting an answer live here too.
"""

from __future__ import annotations

from typing import Any

from bot.emulator.limits import SENDING_METHODS
from bot.emulator.records import (
    JSON,
    OPT_IN_UPDATE_TYPES,
    SERVICE_FIELDS,
    ApiError,
    Call,
    Chat,
    Message,
    is_int,
)
from bot.emulator.transcript import Transcript


class Delivery(Transcript):
    """Access checks, sending limits and their counters, the update queue, the call log."""

    def reset(self) -> None:
        self.updates: list[JSON] = []
        self.next_update_id = 1
        self.allowed_updates: frozenset[str] | None = None  # None: Telegram's default set
        self.webhook: JSON | None = None
        self.calls: list[Call] = []
        self.callback_answers: dict[str, JSON] = {}
        self.blocked: set[int] = set()
        self.poll_generation = 0
        self.limits.clear()
        self.reset_stats()
        super().reset()

    def reset_stats(self) -> None:
        """Zero the delivery counters (``GET /control/stats``)."""
        self.delivered: dict[int, int] = {}  # chat id -> bot messages sent there
        self.total_delivered = 0
        self.paid_delivered = 0  # of which sent with allow_paid_broadcast
        self.rejected_429 = 0
        self.blocked_403 = 0
        self.first_delivery_at: float | None = None  # limits clock (monotonic seconds)
        self.last_delivery_at: float | None = None

    def stats(self) -> JSON:
        return {"delivered": self.delivered, "total_delivered": self.total_delivered,
                "paid_delivered": self.paid_delivered, "rejected_429": self.rejected_429,
                "blocked_403": self.blocked_403, "first_delivery_at": self.first_delivery_at,
                "last_delivery_at": self.last_delivery_at, "now": self.limits.clock(),
                "clock": "monotonic"}

    # -- sending limits -------------------------------------------------------------------

    def check_access(self, chat: Chat, access: str = "write") -> None:
        """Refuse what the bot may not do in a group, in the Bot API server's words.

        ``access`` is ``read`` (getChat), ``members`` (member lists and counts), ``edit`` or
        ``write``. A group upgraded to a supergroup answers 400 with ``migrate_to_chat_id``
        (PTB raises ``ChatMigrated``) except for reading; a group the bot left or was kicked
        from answers 403 except for reading, a supergroup even then.
        """
        if chat.type == "private":
            return
        if chat.migrated_to is not None and access != "read":
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": chat.migrated_to})
        if chat.bot_member or (chat.type == "group" and access == "read"):
            return
        if chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")

    def check_send(self, chat: Chat, method: str, *, paid: bool = False) -> None:
        """Refuse a bot message the way Telegram would; every sending (and editing) method
        calls this. Only ``limits.SENDING_METHODS`` count against the rate limits and the stats;
        ``paid`` (``allow_paid_broadcast``) uses the 1,000/s overall limit instead of 30/s.
        A method that then sends calls ``record_send``."""
        counted = method in SENDING_METHODS
        if chat.type == "private" and chat.id in self.blocked:
            self.blocked_403 += counted
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        try:
            self.check_access(chat, "write")
        except ApiError as error:
            self.blocked_403 += counted and error.code == 403
            raise
        if counted and self.limits.enabled:
            retry_after = self.limits.retry_after(chat.id, chat.type == "private", paid)
            if retry_after:
                self.rejected_429 += 1
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}",
                               {"retry_after": retry_after})

    def record_send(self, chat: Chat, method: str, *, paid: bool = False) -> None:
        """Count a bot message that ``check_send`` allowed and that is now in the chat."""
        if method not in SENDING_METHODS:
            return
        now = self.limits.clock()
        self.limits.record(chat.id, chat.type == "private", paid, now)
        if self.first_delivery_at is None:
            self.first_delivery_at = now
        self.last_delivery_at = now
        self.delivered[chat.id] = self.delivered.get(chat.id, 0) + 1
        self.total_delivered += 1
        self.paid_delivered += paid

    # -- updates --------------------------------------------------------------------------

    def reaches_bot(self, chat: Chat, message: Message) -> bool:
        """Whether Telegram would pass this user's message to the bot (privacy mode)."""
        if chat.type == "private":
            return True
        if not chat.bot_member or chat.migrated_to is not None:
            return False
        if message.extra and not SERVICE_FIELDS.isdisjoint(message.extra):
            return True
        if not self.privacy_mode or chat.bot_status == "administrator" or chat.type == "channel":
            return True
        text = message.text if message.text is not None else message.caption or ""
        entities = (message.entities if message.text is not None
                    else message.caption_entities) or []
        command = next((e for e in entities if isinstance(e, dict)
                        and e.get("type") == "bot_command" and e.get("offset") == 0
                        and is_int(e.get("length"))), None)
        if command is not None:
            # Only the leading command counts; /cmd@other_bot is for another bot.
            addressee = text[:command["length"]].partition("@")[2]
            return not addressee or addressee.lower() == (self.bot.username or "").lower()
        replied = chat.messages.get(message.reply_to_message_id or 0)
        if replied is not None and replied.from_bot:
            return True
        mentioned = any(isinstance(e, dict) and e.get("type") == "text_mention"
                        and isinstance(e.get("user"), dict) and e["user"].get("id") == self.bot.id
                        for e in entities)
        return mentioned or f"@{self.bot.username}".lower() in text.lower()

    def deliver(self, chat: Chat, message: Message, kind: str = "message") -> int | None:
        """Queue ``message`` (new, or edited with ``kind="edited_message"``) for the bot if
        Telegram would pass it on; the update id, or None."""
        if not self.reaches_bot(chat, message):
            return None
        return self.enqueue({kind: self.message_to_api(message)})

    def enqueue(self, update: JSON) -> Any:
        """Queue an update for the bot; assigns ``update_id`` when missing. Returns the id:
        an integer, unless a caller queued an update whose id is not one (kept as it is)."""
        if "update_id" in update:
            if is_int(update["update_id"]):
                self.next_update_id = max(self.next_update_id, update["update_id"] + 1)
        else:
            update = {"update_id": self.next_update_id, **update}
            self.next_update_id += 1
        kinds = set(update) - {"update_id"}
        allowed = self.allowed_updates
        if allowed is None:
            wanted = not kinds or bool(kinds - OPT_IN_UPDATE_TYPES)
        else:
            wanted = not kinds or bool(kinds & allowed)
        if wanted:
            self.updates.append(update)
        self.changed("update")
        return update["update_id"]

    def acknowledge(self, offset: int) -> None:
        if offset < 0:
            self.updates = self.updates[offset:]
            return
        # The queue is in order, so an update whose id is not an integer (only a direct
        # enqueue makes one) goes with the next acknowledged update after it, and an offset
        # never has to be compared with it.
        done = [i for i, u in enumerate(self.updates)
                if is_int(u.get("update_id")) and u["update_id"] < offset]
        rest = self.updates[done[-1] + 1:] if done else self.updates
        self.updates = [u for u in rest
                        if not (is_int(u.get("update_id")) and u["update_id"] < offset)]

    # -- logs and callback queries --------------------------------------------------------

    def log_call(self, method: str, chat_id: int | str | None, error: ApiError | None,
                 description: str = "") -> None:
        call = Call(len(self.calls) + 1, self.clock(), method, chat_id, error is None,
                    error.code if error else None, error.description if error else description)
        self.calls.append(call)
        self.changed("call", chat_id if isinstance(chat_id, int) else None)

    def new_callback_query_id(self) -> str:
        query_id = str(4_000_000_000_000_000 + next(self._ids))
        self.expect_answer(query_id)
        return query_id

    def expect_answer(self, query_id: str) -> None:
        """Make a callback query answerable once (a press, or an injected query)."""
        self.callback_answers.setdefault(
            query_id, {"answered": False, "text": None, "show_alert": False})

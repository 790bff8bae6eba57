"""Messages and files of the emulated Telegram (the ``Transcript`` layer of ``World``).

A message keeps its earlier versions in ``edits`` and the ``seq`` of its last change, so a page or
a test can ask for what changed since; ``message_to_api`` is the Bot API's Message,
``message_to_control`` the control API's fuller view.
"""

from __future__ import annotations

from typing import Any

from bot.emulator.directory import Directory
from bot.emulator.records import JSON, Chat, FileRecord, Message, bad_request


class Transcript(Directory):
    """What was said in each chat, and the files sent there."""

    def reset(self) -> None:
        self.files: dict[str, FileRecord] = {}
        self.files_by_path: dict[str, FileRecord] = {}
        super().reset()

    # -- messages -------------------------------------------------------------------------

    def add_message(self, chat: Chat, from_id: int, *, message_id: int | None = None,
                    date: int | None = None, **content: Any) -> Message:
        """A new message in the chat; ``message_id`` (an injected message's) replaces any
        message of that id, later ids continue after it."""
        message_id = chat.next_message_id if message_id is None else message_id
        message = Message(chat.id, message_id, from_id, from_id == self.bot.id,
                          int(self.clock()) if date is None else date, **content)
        chat.next_message_id = max(chat.next_message_id, message_id + 1)
        chat.messages[message_id] = message
        message.seq = self.changed("message", chat.id, message_id)
        return message

    def message(self, chat: Chat, message_id: int | str | None, missing: str) -> Message:
        try:
            message = chat.messages[int(message_id)]  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError):
            raise bad_request(missing) from None
        if message.deleted:
            raise bad_request(missing)
        return message

    def edit(self, message: Message, **changes: Any) -> bool:
        """Change a message, keeping its earlier version in ``edits``; False (nothing done)
        when every change is what the message already says, as Telegram's "not modified"."""
        if all(getattr(message, key) == value for key, value in changes.items()):
            return False
        message.edits.append({"text": message.text, "entities": message.entities,
                              "caption": message.caption, "location": message.location,
                              "reply_markup": message.reply_markup,
                              "edit_date": message.edit_date})
        for key, value in changes.items():
            setattr(message, key, value)
        message.edit_date = int(self.clock())
        self.touch(message, "edit")
        return True

    def touch(self, message: Message, kind: str) -> None:
        message.seq = self.changed(kind, message.chat_id, message.message_id)

    def message_to_api(self, m: Message, *, with_reply: bool = True) -> JSON:
        chat = self.chats[m.chat_id]
        sender = self.bot if m.from_bot else self.users.get(m.from_id)
        data: JSON = {"message_id": m.message_id, "date": m.date, "chat": self.chat_to_api(chat)}
        if sender is not None:
            data["from"] = sender.to_api()
        if m.extra:
            data.update((k, v) for k, v in m.extra.items() if k not in data)
        for key in ("text", "entities", "caption", "caption_entities", "photo", "document",
                    "location", "edit_date"):
            value = getattr(m, key)
            if value is not None:
                data[key] = value
        # Only inline keyboards are part of a Message; reply keyboards live on the client.
        if m.reply_markup and "inline_keyboard" in m.reply_markup:
            data["reply_markup"] = m.reply_markup
        if with_reply and m.reply_to_message_id in chat.messages:
            replied = chat.messages[m.reply_to_message_id]
            data["reply_to_message"] = self.message_to_api(replied, with_reply=False)
        return data

    def message_to_control(self, m: Message) -> JSON:
        data = self.message_to_api(m, with_reply=False)
        data.update(from_bot=m.from_bot, deleted=m.deleted, pinned=m.pinned, seq=m.seq,
                    edits=m.edits, reply_to_message_id=m.reply_to_message_id,
                    reply_markup=m.reply_markup, parse_mode=m.parse_mode)
        return data

    # -- files ----------------------------------------------------------------------------

    def add_file(self, data: bytes, kind: str, *, file_name: str | None = None,
                 mime_type: str | None = None) -> FileRecord:
        n = next(self._ids)
        suffix = (file_name or "").rpartition(".")[2] if file_name and "." in file_name else (
            "jpg" if kind == "photos" else "bin")
        record = FileRecord(f"emu-{kind}-{n}", f"emu-u{n}", f"{kind}/file_{n}.{suffix}", data,
                            file_name, mime_type)
        self.files[record.file_id] = record
        self.files_by_path[record.file_path] = record
        return record

    def file_by_path(self, path: str) -> FileRecord | None:
        return self.files_by_path.get(path)

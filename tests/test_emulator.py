"""The Bot API emulator, exercised with the real python-telegram-bot client (no mocks).

Each test runs its own emulator inside the test's event loop (``serve``); the bot is PTB's
``Bot`` or a full ``Application`` pointed at it through ``base_url``. Fixtures are prefixed
``emu_`` so they cannot clash with the project's conftest.
"""

from __future__ import annotations

import asyncio
import struct
import time
import zlib

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.emulator import EmulatorError, RunningEmulator, World, serve
from bot.emulator.formatting import ParseError, parse_html, parse_markdown_v2, utf16_len
from tests.conftest import EMULATOR_TOKEN

TOKEN = EMULATOR_TOKEN  # the one conftest.py's emu_server and emu_bot use


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in buttons]])


@pytest.fixture
async def emu_user(emu_server: RunningEmulator) -> dict:
    return await emu_server.client.create_user("Ann", last_name="Lee", username="ann",
                                               language_code="en")


async def test_get_me(emu_bot: Bot) -> None:
    me = await emu_bot.get_me()
    assert (me.id, me.username, me.is_bot, me.first_name) == (123456789, "linli_bot", True,
                                                              "Linli")


async def test_start_command_arrives_with_bot_command_entity(
        emu_server: RunningEmulator, emu_bot: Bot, emu_user: dict) -> None:
    sent = await emu_server.client.send(emu_user["id"], "/start")
    await emu_server.client.send(emu_user["id"], "/start@linli_bot building-3")
    first, second = await emu_bot.get_updates()
    assert first.update_id == sent["update_id"]
    message = first.message
    assert message.text == "/start"
    assert message.chat.id == message.from_user.id == emu_user["id"]
    assert message.chat.type == "private"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bot_command", 0, 6)]
    start = CommandHandler("start", lambda u, c: None)
    assert start.check_update(first)
    assert second.message.entities[0].length == len("/start@linli_bot")
    assert start.check_update(second)


async def test_offset_acknowledges_updates(
        emu_server: RunningEmulator, emu_bot: Bot, emu_user: dict) -> None:
    for text in ("one", "two"):
        await emu_server.client.send(emu_user["id"], text)
    updates = await emu_bot.get_updates()
    assert [u.message.text for u in updates] == ["one", "two"]
    assert len(await emu_bot.get_updates()) == 2  # nothing acknowledged yet
    assert await emu_bot.get_updates(offset=updates[-1].update_id + 1) == ()
    await emu_server.client.send(emu_user["id"], "three")
    (latest,) = await emu_bot.get_updates(offset=updates[-1].update_id + 1, limit=5)
    assert latest.message.text == "three"
    assert latest.update_id == updates[-1].update_id + 1


async def test_long_poll_returns_as_soon_as_an_update_arrives(
        emu_server: RunningEmulator, emu_bot: Bot, emu_user: dict) -> None:
    poll = asyncio.create_task(emu_bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()
    started = time.monotonic()
    await emu_server.client.send(emu_user["id"], "wake up")
    (update,) = await asyncio.wait_for(poll, 2)
    assert update.message.text == "wake up"
    assert time.monotonic() - started < 1


async def test_inline_keyboard_press_and_answer(
        emu_server: RunningEmulator, emu_bot: Bot, emu_user: dict) -> None:
    client, chat_id = emu_server.client, emu_user["id"]
    sent = await emu_bot.send_message(chat_id, "Sign the pledge?",
                                      reply_markup=keyboard(("Yes", "pledge:yes"),
                                                            ("No", "pledge:no")))
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "pledge:yes"
    (shown,) = await client.bot_messages(chat_id)
    assert shown["text"] == "Sign the pledge?"
    assert shown["from_bot"] and shown["from"]["username"] == "linli_bot"
    assert [b["text"] for b in shown["reply_markup"]["inline_keyboard"][0]] == ["Yes", "No"]

    pressed = await client.press(chat_id, chat_id, data="pledge:yes")
    by_label = await client.press(chat_id, chat_id, sent.message_id, text="No")
    first, second = await emu_bot.get_updates()
    query = first.callback_query
    assert query.id == pressed["callback_query_id"]
    assert query.data == "pledge:yes" and second.callback_query.data == "pledge:no"
    assert query.from_user.id == chat_id
    assert query.message.message_id == sent.message_id
    assert query.message.reply_markup == sent.reply_markup
    assert CallbackQueryHandler(lambda u, c: None, pattern="^pledge:").check_update(first)

    assert not (await client.callback_answer(query.id))["answered"]
    await query.answer("Thank you!", show_alert=True)
    answer = await client.wait_callback_answer(query.id, timeout=1)
    assert answer["answered"] and answer["text"] == "Thank you!" and answer["show_alert"]
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer("again")
    with pytest.raises(AssertionError, match="not answered"):
        await client.wait_callback_answer(by_label["callback_query_id"], timeout=0.1)

    with pytest.raises(EmulatorError, match="no such button"):
        await client.press(chat_id, chat_id, sent.message_id, data="admin:grant")
    await client.press(chat_id, chat_id, sent.message_id, data="admin:grant", forge=True)
    (forged,) = await emu_bot.get_updates(offset=second.update_id + 1)
    assert forged.callback_query.data == "admin:grant"


async def test_many_answers_and_calls_waited_for_at_once(
        emu_server: RunningEmulator, emu_bot: Bot, emu_user: dict) -> None:
    client, chat_id = emu_server.client, emu_user["id"]
    await emu_bot.send_message(chat_id, "Sign?", reply_markup=keyboard(("Yes", "pledge:yes")))
    pressed = [(await client.press(chat_id, chat_id, data="pledge:yes"))["callback_query_id"]
               for _ in range(3)]
    (before,) = await client.calls(method="sendMessage")
    async with httpx.AsyncClient(base_url=f"{emu_server.url}/control") as http:
        # nothing answered yet: without a timeout the records come back as they are
        quick = (await http.post("/callback_answers", json={"ids": pressed + ["7"]})).json()
        assert [quick[i]["answered"] for i in pressed] == [False] * 3 and quick["7"] is None
        waiting = asyncio.create_task(http.post("/callback_answers",
                                                json={"ids": pressed, "timeout": 10}))
        replies = asyncio.create_task(http.get("/calls", params={
            "after": before["seq"], "method": "sendMessage", "count": 2, "timeout": 10}))
        queries = [u.callback_query for u in await emu_bot.get_updates()]
        for n, query in enumerate(queries):
            await query.answer(f"Thanks {n}")
            await emu_bot.send_message(chat_id, f"Reply {n}")
        answers = (await waiting).json()
        assert [answers[i]["text"] for i in pressed] == ["Thanks 0", "Thanks 1", "Thanks 2"]
        sent = (await replies).json()  # as soon as the second reply was made
        assert len(sent) >= 2 and {c["method"] for c in sent} == {"sendMessage"}
        assert sent[0]["seq"] > before["seq"] and sent[0]["chat_id"] == chat_id
        # a count not reached answers at the timeout with what there is
        last = (await client.calls())[-1]
        short = (await http.get("/calls", params={"after": last["seq"], "count": 1,
                                                  "method": "sendMessage",
                                                  "timeout": 0.05})).json()
        assert short == []
        bad = await http.post("/callback_answers", json={"ids": "4000"})
        assert bad.status_code == 400


async def test_edit_message_text_and_not_modified(
        emu_server: RunningEmulator, emu_bot: Bot, emu_user: dict) -> None:
    chat_id = emu_user["id"]
    sent = await emu_bot.send_message(chat_id, "Vote: 0 yes", reply_markup=keyboard(("Yes", "v")))
    edited = await emu_bot.edit_message_text("Vote: 1 yes", chat_id, sent.message_id,
                                             reply_markup=keyboard(("Yes", "v")))
    assert edited.text == "Vote: 1 yes" and edited.edit_date is not None
    (shown,) = await emu_server.client.messages(chat_id)
    assert shown["text"] == "Vote: 1 yes" and shown["edit_date"]
    assert [e["text"] for e in shown["edits"]] == ["Vote: 0 yes"]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await emu_bot.edit_message_text("Vote: 1 yes", chat_id, sent.message_id,
                                         reply_markup=keyboard(("Yes", "v")))
    # Without reply_markup Telegram drops the keyboard, so this is a modification.
    await emu_bot.edit_message_text("Vote: 1 yes", chat_id, sent.message_id)
    (shown,) = await emu_server.client.messages(chat_id)
    assert shown["reply_markup"] is None
    await emu_bot.edit_message_reply_markup(chat_id, sent.message_id,
                                            reply_markup=keyboard(("Again", "a")))
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await emu_bot.edit_message_text("x", chat_id, 999)


async def test_delete_message_is_flagged(
        emu_server: RunningEmulator, emu_bot: Bot, emu_user: dict) -> None:
    chat_id = emu_user["id"]
    sent = await emu_bot.send_message(chat_id, "temporary")
    assert await emu_bot.delete_message(chat_id, sent.message_id)
    (shown,) = await emu_server.client.messages(chat_id)
    assert shown["deleted"] is True and shown["text"] == "temporary"
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await emu_bot.edit_message_text("back", chat_id, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await emu_bot.delete_message(chat_id, sent.message_id)


async def test_telegram_limits(emu_bot: Bot, emu_user: dict) -> None:
    chat_id = emu_user["id"]
    await emu_bot.send_message(chat_id, "a" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await emu_bot.send_message(chat_id, "a" * 4097)
    # Telegram counts UTF-16 code units: 2049 emoji are 4098 units.
    with pytest.raises(BadRequest, match="Message is too long"):
        await emu_bot.send_message(chat_id, "\N{GRINNING FACE}" * 2049)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await emu_bot.send_message(chat_id, "  ")
    await emu_bot.send_message(chat_id, "ok", reply_markup=keyboard(("x", "d" * 64)))
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await emu_bot.send_message(chat_id, "hi", reply_markup=keyboard(("x", "d" * 65)))
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        # 22 three-byte characters: 22 characters but 66 bytes.
        await emu_bot.send_message(chat_id, "hi", reply_markup=keyboard(("x", "楼" * 22)))
    with pytest.raises(BadRequest, match="Chat not found"):
        await emu_bot.send_message(424242, "hello?")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await emu_bot.send_photo(chat_id, png(1, 1), caption="c" * 1025)


async def test_blocked_user_gives_forbidden(
        emu_server: RunningEmulator, emu_bot: Bot, emu_user: dict) -> None:
    chat_id = emu_user["id"]
    await emu_server.client.set_blocked(chat_id, True)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await emu_bot.send_message(chat_id, "notice")
    with pytest.raises(Forbidden):
        await emu_bot.send_photo(chat_id, png(1, 1))
    assert await emu_server.client.messages(chat_id) == []
    await emu_server.client.set_blocked(chat_id, False)
    await emu_bot.send_message(chat_id, "notice")
    calls = await emu_server.client.calls(method="sendMessage")
    assert [(c["ok"], c["error_code"]) for c in calls] == [(False, 403), (True, None)]
    assert calls[0]["chat_id"] == chat_id and "blocked" in calls[0]["description"]


async def test_send_photo_upload_then_get_file_and_download(
        emu_bot: Bot, emu_user: dict) -> None:
    image = png(3, 2)
    sent = await emu_bot.send_photo(emu_user["id"], image, caption="<b>Leak</b> on 3F",
                                    parse_mode="HTML")
    assert sent.caption == "Leak on 3F" and sent.caption_entities[0].type == "bold"
    size = sent.photo[-1]
    assert (size.width, size.height, size.file_size) == (3, 2, len(image))
    file = await emu_bot.get_file(size.file_id)
    assert await file.download_as_bytearray() == image
    again = await emu_bot.send_photo(emu_user["id"], size.file_id)
    assert again.photo[-1].file_id == size.file_id
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await emu_bot.send_photo(emu_user["id"], "no-such-file")
    doc = await emu_bot.send_document(emu_user["id"], b"a,b\n1,2\n", filename="tally.csv")
    assert doc.document.file_name == "tally.csv" and doc.document.mime_type == "text/csv"
    assert await (await doc.document.get_file()).download_as_bytearray() == b"a,b\n1,2\n"


async def test_user_media_and_location_reach_the_bot(
        emu_server: RunningEmulator, emu_bot: Bot, emu_user: dict) -> None:
    client, user_id = emu_server.client, emu_user["id"]
    image = png(640, 480)
    await client.send_photo(user_id, image, caption="water on the stairs")
    await client.send_document(user_id, b"%PDF-1.4 minutes", "minutes.pdf")
    await client.send_location(user_id, 31.2304, 121.4737)
    photo, document, location = (u.message for u in await emu_bot.get_updates())
    assert photo.caption == "water on the stairs"
    assert (photo.photo[-1].width, photo.photo[-1].height) == (640, 480)
    assert await (await photo.photo[-1].get_file()).download_as_bytearray() == image
    assert document.document.file_name == "minutes.pdf"
    assert document.document.mime_type == "application/pdf"
    assert await (await document.document.get_file()).download_as_bytearray() == (
        b"%PDF-1.4 minutes")
    assert (location.location.latitude, location.location.longitude) == (31.2304, 121.4737)
    assert filters.PHOTO.check_update(Update(1, message=photo))


async def test_group_chat_with_several_members(
        emu_server: RunningEmulator, emu_bot: Bot, emu_user: dict) -> None:
    client = emu_server.client
    await client.set_privacy(False)  # the bot reads every message in the group
    bob = await client.create_user("Bob")
    eve = await client.create_user("Eve")
    group = await client.create_group("Building 3", [emu_user["id"], bob["id"]])
    assert group["id"] < 0 and group["member_ids"] == sorted([emu_user["id"], bob["id"]])
    added, created = await emu_bot.get_updates()
    assert added.my_chat_member.new_chat_member.status == "member"
    assert created.message.group_chat_created
    await client.send(bob["id"], "Lift is broken again", chat_id=group["id"])
    (update,) = await emu_bot.get_updates(offset=created.update_id + 1)
    assert update.message.chat.type == "group" and update.message.chat.title == "Building 3"
    assert update.message.from_user.first_name == "Bob"
    reply = await emu_bot.send_message(group["id"], "Reported, thanks",
                                       reply_to_message_id=update.message.message_id)
    assert reply.reply_to_message.text == "Lift is broken again"
    with pytest.raises(EmulatorError, match="not a member"):
        await client.send(eve["id"], "let me in", chat_id=group["id"])
    await client.add_member(group["id"], eve["id"])
    await client.send(eve["id"], "hello neighbours", chat_id=group["id"])
    transcript = await client.messages(group["id"])
    assert [(m["from"]["first_name"], m.get("text")) for m in transcript] == [
        ("Ann", None), ("Bob", "Lift is broken again"), ("Linli", "Reported, thanks"),
        ("Eve", None), ("Eve", "hello neighbours")]
    assert transcript[0]["group_chat_created"] is True
    assert transcript[3]["new_chat_members"][0]["first_name"] == "Eve"
    assert (await emu_bot.get_chat(group["id"])).title == "Building 3"
    supergroup = await client.create_group("District", [bob["id"]], type="supergroup")
    assert str(supergroup["id"]).startswith("-100")


async def test_commands_by_scope_and_language(
        emu_server: RunningEmulator, emu_bot: Bot, emu_user: dict) -> None:
    client, user_id = emu_server.client, emu_user["id"]
    group = await client.create_group("Building 3", [user_id])
    other = await client.create_group("Building 4", [user_id])
    await emu_bot.set_my_commands([BotCommand("help", "Help")])
    await emu_bot.set_my_commands([BotCommand("help", "帮助")], language_code="zh")
    await emu_bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")],
                                  scope=BotCommandScopeAllPrivateChats())
    await emu_bot.set_my_commands([BotCommand("vote", "Vote")],
                                  scope=BotCommandScopeAllGroupChats())
    await emu_bot.set_my_commands([BotCommand("report", "报修")],
                                  scope=BotCommandScopeChat(group["id"]), language_code="zh")

    async def names(chat_id: int, language: str | None) -> list[str]:
        return [c["command"] for c in await client.commands(chat_id, language)]

    assert await names(user_id, "en") == ["start", "help"]
    assert await names(user_id, "zh") == ["start", "help"]  # private scope beats language
    assert await names(group["id"], "zh") == ["report"]
    assert await names(group["id"], "en") == ["vote"]
    assert await names(other["id"], "zh") == ["vote"]
    await emu_bot.delete_my_commands(scope=BotCommandScopeAllPrivateChats())
    assert await names(user_id, "zh") == ["help"]
    assert (await client.commands(user_id, "zh"))[0]["description"] == "帮助"
    assert await names(user_id, "fr") == ["help"]
    exact = await emu_bot.get_my_commands(scope=BotCommandScopeChat(group["id"]),
                                          language_code="zh")
    assert [c.command for c in exact] == ["report"]
    assert await emu_bot.get_my_commands(scope=BotCommandScopeChat(group["id"])) == ()


async def test_wrong_token_is_rejected(emu_server: RunningEmulator) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("987654321:wrong-token", base_url=emu_server.bot_base_url):
            pass
    calls = await emu_server.client.calls()
    assert calls[-1]["method"] == "getMe" and calls[-1]["error_code"] == 401


async def test_raw_http_forms(emu_server: RunningEmulator, emu_user: dict) -> None:
    async with httpx.AsyncClient(base_url=f"{emu_server.bot_base_url}{TOKEN}") as http:
        response = await http.get("/GETME")
        assert response.status_code == 200 and response.json()["result"]["is_bot"] is True
        response = await http.post("/sendMessage", json={
            "chat_id": emu_user["id"], "text": "*bold* 1\\.5", "parse_mode": "MarkdownV2",
            "reply_markup": {"keyboard": [[{"text": "Share location"}]]}})
        result = response.json()["result"]
        assert result["text"] == "bold 1.5"
        assert result["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
        response = await http.post("/sendMessage", json={
            "chat_id": emu_user["id"], "text": "1.5", "parse_mode": "MarkdownV2"})
        assert response.status_code == 400
        assert "Character '.' is reserved" in response.json()["description"]
        response = await http.post("/fooBar")
        assert response.status_code == 404
        assert response.json() == {"ok": False, "error_code": 404,
                                   "description": "Not Found: method not found"}
    (shown,) = await emu_server.client.messages(emu_user["id"])
    assert shown["reply_markup"] == {"keyboard": [[{"text": "Share location"}]]}


async def test_webhook_blocks_get_updates(emu_bot: Bot) -> None:
    await emu_bot.set_webhook("https://example.org/hook")
    assert (await emu_bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Conflict, match="webhook is active"):
        await emu_bot.get_updates()
    await emu_bot.delete_webhook()
    assert (await emu_bot.get_webhook_info()).url == ""
    assert await emu_bot.get_updates() == ()


async def test_wait_bot_message_reports_transcript_on_timeout(
        emu_server: RunningEmulator, emu_bot: Bot, emu_user: dict) -> None:
    await emu_server.client.send(emu_user["id"], "anyone there?")
    with pytest.raises(AssertionError, match=r"#1 Ann: anyone there\?"):
        await emu_server.client.wait_bot_message(emu_user["id"], 0, timeout=0.1)


async def test_leaving_serve_ends_a_pending_long_poll() -> None:
    emulator = serve(World(TOKEN))
    emu = await emulator.__aenter__()
    async with Bot(TOKEN, base_url=emu.bot_base_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await emulator.__aexit__(None, None, None)
        assert time.monotonic() - started < 1
        assert await asyncio.wait_for(poll, 2) == ()


def test_formatting_parsers() -> None:
    text, entities = parse_html('<b>Hi <i>you</i></b> &amp; <a href="https://x.org">link</a>')
    assert text == "Hi you & link"
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("bold", 0, 6), ("italic", 3, 3), ("text_link", 9, 4)]
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
    with pytest.raises(ParseError, match="Unsupported start tag"):
        parse_html("<div>no</div>")
    with pytest.raises(ParseError):
        parse_html("<b>open")
    text, entities = parse_markdown_v2("\N{GRINNING FACE} _it_ `a.b` [x](https://e.org/a\\)b)")
    assert text == "\N{GRINNING FACE} it a.b x"
    assert [(e["type"], e["offset"]) for e in entities] == [
        ("italic", 3), ("code", 6), ("text_link", 10)]
    assert entities[2]["url"] == "https://e.org/a)b"
    assert utf16_len("\N{GRINNING FACE}") == 2


async def test_application_polling_echo_bot(
        emu_server: RunningEmulator, emu_user: dict) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text("Welcome", reply_markup=keyboard(("Join", "join")))

    async def joined(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("Joined")
        await update.callback_query.edit_message_text("You joined")

    app = (Application.builder().token(TOKEN).base_url(emu_server.bot_base_url)
           .base_file_url(emu_server.file_base_url).build())
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(joined, pattern="^join$"))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    client, chat_id = emu_server.client, emu_user["id"]
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        sent = await client.send(chat_id, "hello")
        reply = await client.wait_bot_message(chat_id, sent["message"]["message_id"],
                                              contains="echo: hello")
        assert reply["text"] == "echo: hello"
        sent = await client.send(chat_id, "/start")
        welcome = await client.wait_bot_message(chat_id, sent["message"]["message_id"])
        pressed = await client.press(chat_id, chat_id, text="Join")
        assert (await client.wait_callback_answer(pressed["callback_query_id"]))["text"] == (
            "Joined")
        edited = await client.wait_bot_message(chat_id, welcome["message_id"] - 1,
                                               contains="You joined")
        assert edited["message_id"] == welcome["message_id"] and edited["edit_date"]
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    methods = {c["method"] for c in await client.calls()}
    assert {"getMe", "deleteWebhook", "getUpdates", "sendMessage", "answerCallbackQuery",
            "editMessageText"} <= methods

"""The emulator as a stricter judge: what a real Telegram would refuse or hold back, it does too.

Injected raw updates enter the world (or, malformed, are delivered untouched); unknown and
missing parameters are refused in Telegram's words; group privacy mode is on as for a new bot;
the bot hears about its own membership (``my_chat_member``) and, as an administrator that asked,
about other people's (``chat_member``); a group upgraded to a supergroup answers with
``migrate_to_chat_id``; users edit their messages and move their live locations. Where it is
about what PTB sees, the bot side is PTB's real ``Bot``; every wait is for a concrete update or
answer, never a sleep.
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import telegram
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import (
    Bot,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden
from telegram.ext import (
    Application,
    ChatMemberHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    filters,
)

from bot.emulator import EmulatorError, RunningEmulator, World
from bot.emulator.__main__ import parse_args
from bot.emulator.params import METHODS
from bot.emulator.updates import absorb
from tests.conftest import EMULATOR_TOKEN

TOKEN = EMULATOR_TOKEN  # the one conftest.py's emu_server and emu_bot use


@pytest.fixture
async def emu_http(emu_server: RunningEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=emu_server.url) as http:
        yield http


async def api(http: httpx.AsyncClient, method: str, **params: object) -> httpx.Response:
    return await http.post(f"/bot{TOKEN}/{method}", json=params)


async def drain(bot: Bot) -> int:
    """Acknowledge every queued update; the next offset."""
    updates = await bot.get_updates()
    offset = updates[-1].update_id + 1 if updates else 0
    if offset:
        await bot.get_updates(offset=offset, timeout=0)
    return offset


def seconds(value: int | dt.timedelta) -> float:
    """A duration PTB gives as int or, with PTB_TIMEDELTA=1, as a timedelta."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def people(emu: RunningEmulator, *names: str) -> list[int]:
    return [(await emu.client.create_user(name))["id"] for name in names]


# -- 1. injected updates ------------------------------------------------------------------


def raw_message(message_id: int, chat: dict, sender: dict, text: str) -> dict:
    return {"message_id": message_id, "date": 1795440000, "chat": chat, "from": sender,
            "text": text}


async def test_an_injected_group_message_joins_the_world_and_can_be_replied_to(
        emu_server: RunningEmulator, emu_bot: Bot) -> None:
    client = emu_server.client
    sender = {"id": 700001, "is_bot": False, "first_name": "Mei", "language_code": "zh"}
    chat = {"id": -4242, "type": "group", "title": "Riverside"}
    update_id = await client.inject({"message": raw_message(31, chat, sender, "Pipe burst")})
    (update,) = await emu_bot.get_updates()
    assert update.update_id == update_id and update.message.text == "Pipe burst"
    reply = await emu_bot.send_message(-4242, "On our way", reply_to_message_id=31)
    assert reply.reply_to_message.text == "Pipe burst"
    assert reply.message_id == 32  # ids go on after the injected one
    transcript = await client.messages(-4242)
    assert [(m["message_id"], m["from"]["first_name"]) for m in transcript] == [
        (31, "Mei"), (32, "Linli")]
    assert emu_server.world.users[700001].language_code == "zh"
    assert emu_server.world.chats[-4242].member_ids == {700001}

    # A private message from someone new: their chat exists afterwards, so the bot can answer.
    newcomer = {"id": 700002, "is_bot": False, "first_name": "Tom"}
    await client.inject({"message": raw_message(
        5, {"id": 700002, "type": "private", "first_name": "Tom"}, newcomer, "/start")})
    await emu_bot.send_message(700002, "Welcome", reply_to_message_id=5)
    edited = {**raw_message(5, {"id": 700002, "type": "private"}, newcomer, "/start again"),
              "edit_date": 1795440100}
    await client.inject({"edited_message": edited})
    (first, *_rest) = await client.messages(700002)
    assert first["text"] == "/start again" and first["edit_date"] == 1795440100
    assert [e["text"] for e in first["edits"]] == ["/start"]


async def test_an_injected_callback_query_can_be_answered(
        emu_server: RunningEmulator, emu_bot: Bot) -> None:
    query = {"id": "981", "from": {"id": 700003, "is_bot": False, "first_name": "Li"},
             "chat_instance": "1", "data": "vote:yes"}
    await emu_server.client.inject({"callback_query": query})
    (update,) = await emu_bot.get_updates()
    await update.callback_query.answer("Counted")
    answer = await emu_server.client.wait_callback_answer("981", timeout=1)
    assert answer["answered"] and answer["text"] == "Counted"
    with pytest.raises(BadRequest, match="Query is too old"):
        await update.callback_query.answer("twice")


async def test_injected_member_changes_change_the_world(
        emu_server: RunningEmulator, emu_bot: Bot) -> None:
    client = emu_server.client
    (ann,) = await people(emu_server, "Ann")
    group = (await client.create_group("Building 3", [ann]))["id"]
    bot = {"id": emu_bot.id, "is_bot": True, "first_name": "Linli"}
    chat = {"id": group, "type": "group", "title": "Building 3"}
    await client.inject({"my_chat_member": {
        "chat": chat, "from": {"id": ann, "is_bot": False, "first_name": "Ann"}, "date": 0,
        "old_chat_member": {"status": "member", "user": bot},
        "new_chat_member": {"status": "kicked", "user": bot, "until_date": 0}}})
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await emu_bot.send_message(group, "hello?")
    await client.inject({"message": {
        "message_id": 90, "date": 0, "chat": chat, "from": {"id": ann, "is_bot": False,
                                                            "first_name": "Ann"},
        "new_chat_members": [bot, {"id": 700010, "is_bot": False, "first_name": "Dan"}]}})
    assert emu_server.world.chats[group].bot_status == "member"
    assert 700010 in emu_server.world.chats[group].member_ids
    await emu_bot.send_message(group, "back", reply_to_message_id=90)


def test_an_update_queued_with_a_strange_id_never_breaks_get_updates() -> None:
    world = World(TOKEN)
    world.enqueue({"message": {"text": "first"}})
    world.enqueue({"update_id": "abc", "message": {}})  # only a direct enqueue makes one
    world.enqueue({"message": {"text": "third"}})
    world.acknowledge(2)  # the first
    assert [u["update_id"] for u in world.updates] == ["abc", 2]
    world.acknowledge(3)  # the third, and with it the one queued before it
    assert world.updates == []
    world.enqueue({"update_id": None})
    world.acknowledge(4)
    assert [u["update_id"] for u in world.updates] == [None]


MALFORMED = [
    {"message": "not an object"},
    {"message": {"text": "no id, no chat"}},
    {"message": {"message_id": "7", "chat": {"id": -1, "type": "group"}, "text": "id string"}},
    {"message": {"message_id": 7, "chat": {"id": 5, "type": "group"}, "text": "positive group"}},
    {"message": {"message_id": 7, "chat": {"id": -5, "type": "galaxy"}}},
    {"message": {"message_id": 8, "chat": {"id": -6, "type": "group"}, "from": {"id": "x"},
                 "text": 42, "entities": [{"type": 1}], "location": {"latitude": "north"}}},
    {"edited_message": [1, 2, 3]},
    {"callback_query": {"id": None, "data": {"nested": True}}},
    {"callback_query": "press"},
    {"inline_query": {"id": "1", "query": "anything"}},
    {"message": {"message_id": 9, "chat": {"id": -7, "type": "supergroup"},
                 "new_chat_members": "everyone", "left_chat_member": [None]}},
    {"unheard_of_kind": {"a": 1}},
]


async def test_malformed_injected_updates_are_delivered_exactly_as_given(
        emu_server: RunningEmulator, emu_http: httpx.AsyncClient) -> None:
    for n, update in enumerate(MALFORMED, start=1):
        response = await emu_http.post("/control/updates", json={"update_id": n, **update})
        assert response.status_code == 200, (update, response.text)
    delivered = (await api(emu_http, "getUpdates")).json()["result"]
    assert delivered == [{"update_id": n, **u} for n, u in enumerate(MALFORMED, start=1)]
    for bad in ({"update_id": "12", "message": {}}, {"update_id": True}):
        response = await emu_http.post("/control/updates", json=bad)
        assert response.status_code == 400
        assert response.json()["error"] == "update_id must be an integer"
    # The only message that was well-formed enough to keep: chat -6, its bad fields dropped.
    assert list(emu_server.world.chats[-6].messages) == [8]
    assert emu_server.world.chats[-6].messages[8].text is None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=12)
FIELDS = st.sampled_from(["message_id", "chat", "from", "text", "entities", "date", "caption",
                          "photo", "document", "location", "reply_markup", "reply_to_message",
                          "new_chat_members", "left_chat_member", "edit_date", "sticker"])
CHATS = st.fixed_dictionaries({"id": st.integers(-50, 50) | JSON_VALUES,
                               "type": st.sampled_from(["private", "group", "supergroup",
                                                        "channel", "x"]) | JSON_VALUES})
USERS = st.fixed_dictionaries({"id": st.integers(-5, 50) | JSON_VALUES,
                               "first_name": st.text(max_size=5) | JSON_VALUES})
MESSAGES = st.dictionaries(FIELDS, JSON_VALUES, max_size=6).flatmap(
    lambda base: st.fixed_dictionaries({
        "message_id": st.integers(-2, 9) | JSON_VALUES, "chat": CHATS | JSON_VALUES,
        "from": USERS | JSON_VALUES}).map(lambda envelope: {**base, **envelope}))
MEMBER_CHANGES = st.fixed_dictionaries({
    "chat": CHATS | JSON_VALUES,
    "new_chat_member": st.fixed_dictionaries({
        "user": USERS | st.just({"id": 123456789, "is_bot": True, "first_name": "Linli"}),
        "status": st.sampled_from(["member", "administrator", "left", "kicked", "creator"])
        | JSON_VALUES}) | JSON_VALUES})
UPDATES = st.dictionaries(
    st.sampled_from(["message", "edited_message", "channel_post", "edited_channel_post",
                     "callback_query", "my_chat_member", "chat_member"]),
    MESSAGES | MEMBER_CHANGES | JSON_VALUES, min_size=1, max_size=2)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(updates=st.lists(UPDATES, min_size=1, max_size=4))
def test_no_injected_update_breaks_the_world(updates: list[dict]) -> None:
    world = World(TOKEN)
    world.allowed_updates = frozenset(Update.ALL_TYPES)  # chat_member too (opt-in)
    for update in updates:
        absorb(world, update)
        world.enqueue(update)
    for chat in world.chats.values():
        for message in chat.messages.values():
            json.dumps(world.message_to_control(message))  # every view still renders
    assert [u for u in world.updates] == [
        {"update_id": n, **u} for n, u in enumerate(updates, start=1)]


# -- 2. parameters ------------------------------------------------------------------------


async def test_unknown_parameters_are_refused(emu_bot: Bot, emu_server: RunningEmulator) -> None:
    (ann,) = await people(emu_server, "Ann")
    with pytest.raises(BadRequest, match="^Unknown parameter colour$"):
        await emu_bot.send_message(ann, "hi", api_kwargs={"colour": "red"})
    with pytest.raises(BadRequest, match="^Unknown parameter text$"):
        await emu_bot.send_photo(ann, b"GIF89a", api_kwargs={"text": "caption goes elsewhere"})
    with pytest.raises(BadRequest, match="^Unknown parameter chat_id$"):
        await emu_bot.get_me(api_kwargs={"chat_id": ann})
    assert await emu_server.client.messages(ann) == []
    # Telegram's real optional parameters pass, and so do the two reply_parameters replaced.
    sent = await emu_bot.send_message(
        ann, "hi", disable_notification=True, protect_content=True,
        link_preview_options=LinkPreviewOptions(is_disabled=True), allow_paid_broadcast=True)
    await emu_bot.send_message(ann, "re", api_kwargs={"reply_to_message_id": sent.message_id,
                                                      "allow_sending_without_reply": True})
    # PTB sends a thumbnail as "attach://NAME" plus a part NAME: that part is no parameter.
    sent = await emu_bot.send_document(ann, b"a,b\n", filename="t.csv", thumbnail=b"\xff\xd8")
    assert sent.document.file_name == "t.csv"


async def test_ptb_defaults_on_edits_and_locations_pass(emu_server: RunningEmulator) -> None:
    """PTB sends disable_notification, protect_content and parse_mode from its Defaults even to
    methods that have no such parameter; Telegram ignores them, so must the emulator."""
    (ann,) = await people(emu_server, "Ann")
    defaults = Defaults(parse_mode="HTML", disable_notification=True, protect_content=True,
                        link_preview_options=LinkPreviewOptions(is_disabled=True))
    async with ExtBot(TOKEN, base_url=emu_server.bot_base_url, defaults=defaults) as bot:
        sent = await bot.send_message(ann, "<b>vote</b>",
                                      reply_markup=InlineKeyboardMarkup.from_button(
                                          InlineKeyboardButton("Yes", callback_data="y")))
        await bot.edit_message_text("<i>voted</i>", ann, sent.message_id)
        await bot.edit_message_reply_markup(ann, sent.message_id, reply_markup=(
            InlineKeyboardMarkup.from_button(InlineKeyboardButton("Undo", callback_data="u"))))
        await bot.send_location(ann, 30.27, 120.15, live_period=600)
        await bot.pin_chat_message(ann, sent.message_id)
    calls = await emu_server.client.calls()
    assert [c["method"] for c in calls if not c["ok"]] == []


def ptb_parameters() -> dict[str, set[str]]:
    """Per Bot API method, every parameter PTB 22.8's ``Bot`` can put in a request: the keys of
    the dicts it builds, the keywords it hands ``_send_message`` and the three that
    ``_send_message`` fills from ``Defaults`` (read from PTB's own source)."""
    tree = ast.parse(inspect.getsource(telegram._bot))
    bot = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Bot")
    ignored = {"read_timeout", "write_timeout", "connect_timeout", "pool_timeout", "api_kwargs"}
    found: dict[str, set[str]] = {}
    for function in bot.body:
        if not isinstance(function, ast.AsyncFunctionDef) or function.name.startswith("_"):
            continue
        keys: set[str] = set()
        endpoints = []
        for node in ast.walk(function):
            if isinstance(node, ast.Dict):
                keys |= {k.value for k in node.keys
                         if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("_post", "_send_message") and node.args \
                    and isinstance(node.args[0], ast.Constant):
                endpoints.append(node.args[0].value)
                if node.func.attr == "_send_message":
                    keys |= {"reply_parameters" if k.arg in ("reply_to_message_id",
                                                             "allow_sending_without_reply")
                             else k.arg for k in node.keywords if k.arg not in ignored}
                    keys |= {"disable_notification", "protect_content", "parse_mode"}
        for endpoint in endpoints:
            found.setdefault(endpoint, set()).update(keys)
    return found


def test_every_parameter_ptb_sends_is_known() -> None:
    sent_by_ptb = ptb_parameters()
    missing = {}
    for entry in METHODS.values():
        unknown = sent_by_ptb[entry.name] - entry.params
        if unknown:
            missing[entry.name] = sorted(unknown)
    assert missing == {}
    assert len(sent_by_ptb["sendMessage"]) >= 15  # the extraction itself still works


async def test_missing_parameters_in_telegrams_words(
        emu_server: RunningEmulator, emu_http: httpx.AsyncClient) -> None:
    (ann,) = await people(emu_server, "Ann")
    expected = [
        ("sendMessage", {"chat_id": ann}, "Bad Request: message text is empty"),
        ("sendMessage", {"text": "hi"}, "Bad Request: chat_id is empty"),
        ("sendMessage", {"chat_id": 4711, "text": ""}, "Bad Request: message text is empty"),
        ("sendPhoto", {"chat_id": ann}, "Bad Request: there is no photo in the request"),
        ("sendLocation", {"chat_id": ann, "longitude": 1}, "Bad Request: latitude is empty"),
        ("editMessageText", {"text": "x"}, "Bad Request: message identifier is not specified"),
        ("editMessageText", {"chat_id": ann, "text": "x"},
         "Bad Request: message to edit not found"),
        ("deleteMessage", {"message_id": 1}, "Bad Request: chat identifier is not specified"),
        ("deleteMessage", {"chat_id": ann}, "Bad Request: message identifier is not specified"),
        ("deleteMessages", {"chat_id": ann},
         "Bad Request: message identifiers are not specified"),
        ("getFile", {}, "Bad Request: file_id not specified"),
        ("getChatMember", {"chat_id": ann}, "Bad Request: invalid user_id specified"),
        ("sendChatAction", {"chat_id": ann}, "Bad Request: wrong parameter action in request"),
        ("answerCallbackQuery", {}, "Bad Request: query is too old and response timeout "
                                    "expired or query ID is invalid"),
    ]
    for method, params, description in expected:
        response = await api(emu_http, method, **params)
        assert (response.status_code, response.json()) == (400, {
            "ok": False, "error_code": 400, "description": description}), (method, params)


async def test_inline_buttons_that_do_nothing_are_refused(
        emu_bot: Bot, emu_server: RunningEmulator, emu_http: httpx.AsyncClient) -> None:
    (ann,) = await people(emu_server, "Ann")
    refused = "Can't parse inline keyboard button: text buttons are unallowed in the inline " \
              "keyboard"
    for button in (InlineKeyboardButton("Just text"), InlineKeyboardButton("Link", url=""),
                   InlineKeyboardButton("Empty", callback_data="")):
        with pytest.raises(BadRequest, match=f"^{refused}$"):
            await emu_bot.send_message(ann, "menu", reply_markup=InlineKeyboardMarkup([[
                InlineKeyboardButton("ok", callback_data="ok"), button]]))
    sent = await emu_bot.send_message(ann, "menu", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("ok", callback_data="ok")]]))
    with pytest.raises(BadRequest, match="text buttons are unallowed"):
        await emu_bot.edit_message_reply_markup(ann, sent.message_id, reply_markup=(
            InlineKeyboardMarkup([[InlineKeyboardButton("Just text")]])))
    for button, detail in (({"callback_data": "x"}, 'Can\'t find field "text"'),
                           ({"text": "x", "url": 5}, 'Field "url" must be of type String')):
        response = await api(emu_http, "sendMessage", chat_id=ann, text="menu",
                             reply_markup={"inline_keyboard": [[button]]})
        assert response.json()["description"] == (
            f"Bad Request: can't parse inline keyboard button: {detail}")
    # Every kind of action is a real button.
    for button in ({"text": "a", "url": "https://example.org"}, {"text": "b", "pay": True},
                   {"text": "c", "copy_text": {"text": "x"}},
                   {"text": "d", "switch_inline_query_current_chat": ""},
                   {"text": "e", "web_app": {"url": "https://example.org"}}):
        response = await api(emu_http, "sendMessage", chat_id=ann, text="ok",
                             reply_markup={"inline_keyboard": [[button]]})
        assert response.status_code == 200, button


# -- 3. privacy mode ----------------------------------------------------------------------


async def test_privacy_mode_is_on_by_default_and_shows_in_get_me(
        emu_server: RunningEmulator, emu_bot: Bot) -> None:
    me = await emu_bot.get_me()
    assert (me.can_read_all_group_messages, me.can_join_groups,
            me.supports_inline_queries) == (False, True, False)
    assert await emu_server.client.set_privacy(False) == {"privacy_mode": False}
    assert (await emu_bot.get_me()).can_read_all_group_messages is True
    assert emu_server.world.privacy_mode is False
    assert parse_args([]).privacy_mode == "on"
    assert parse_args(["--privacy-mode", "off"]).privacy_mode == "off"
    assert parse_args(["--no-privacy-mode"]).privacy_mode == "off"
    assert parse_args(["--privacy-mode"]).privacy_mode == "on"


async def test_in_groups_the_bot_sees_only_what_privacy_mode_lets_through(
        emu_server: RunningEmulator, emu_bot: Bot) -> None:
    client = emu_server.client
    ann, bob = await people(emu_server, "Ann", "Bob")
    group = (await client.create_group("Building 3", [ann, bob]))["id"]
    await drain(emu_bot)
    bot_says = await emu_bot.send_message(group, "Send /report to report a problem")

    async def reaches(text: str, **kwargs: object) -> bool:
        return (await client.send(ann, text, chat_id=group, **kwargs))["update_id"] is not None

    assert not await reaches("the lift is broken")
    assert not await reaches("see /report")  # a command, but not at the start
    assert not await reaches("/report@other_bot lift")
    assert await reaches("/report lift")
    assert await reaches("/report@Linli_Bot lift")
    assert await reaches("thanks @linli_bot")
    assert await reaches("it is broken", reply_to_message_id=bot_says.message_id)
    first = (await client.send(bob, "first", chat_id=group))["message"]["message_id"]
    assert not await reaches("a reply to Bob", reply_to_message_id=first)
    assert (await client.send(ann, "a private word"))["update_id"] is not None

    updates = await emu_bot.get_updates()
    assert [u.message.text for u in updates] == [
        "/report lift", "/report@Linli_Bot lift", "thanks @linli_bot", "it is broken",
        "a private word"]
    # Service messages always reach it: Carol joining.
    (carol,) = await people(emu_server, "Carol")
    await client.add_member(group, carol, by_user_id=ann)
    (joined,) = await emu_bot.get_updates(offset=updates[-1].update_id + 1)
    assert [u.first_name for u in joined.message.new_chat_members] == ["Carol"]

    # An administrator sees everything, and so does any bot once privacy mode is off.
    await client.set_bot_status(group, "administrator", by_user_id=ann)
    assert await reaches("the lift is broken, admin")
    await client.set_bot_status(group, "member", by_user_id=ann)
    assert not await reaches("the lift is still broken")
    await client.set_privacy(False)
    assert await reaches("the lift is still broken")


# -- 4. chat member updates ---------------------------------------------------------------


async def test_the_bot_hears_about_its_own_membership(
        emu_server: RunningEmulator, emu_bot: Bot) -> None:
    client = emu_server.client
    ann, bob = await people(emu_server, "Ann", "Bob")
    group = await client.create_group("Building 3", [ann, bob])
    assert group["bot_status"] == "member"
    added, created = await emu_bot.get_updates()
    change: ChatMemberUpdated = added.my_chat_member
    assert (change.chat.id, change.from_user.id) == (group["id"], ann)
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("left", "member")
    assert change.new_chat_member.user.id == emu_bot.id
    assert created.message.group_chat_created and created.message.from_user.id == ann
    offset = created.update_id + 1

    promoted = await client.set_bot_status(group["id"], "administrator", by_user_id=bob)
    (update,) = await emu_bot.get_updates(offset=offset)
    assert update.update_id == promoted["update_id"]
    assert update.my_chat_member.from_user.id == bob
    assert update.my_chat_member.new_chat_member.status == "administrator"
    assert update.my_chat_member.new_chat_member.can_pin_messages
    assert (await emu_bot.get_chat_member(group["id"], emu_bot.id)).status == "administrator"

    await client.set_bot_status(group["id"], "kicked", by_user_id=ann)
    (update,) = await emu_bot.get_updates(offset=update.update_id + 1)
    assert (update.my_chat_member.old_chat_member.status,
            update.my_chat_member.new_chat_member.status) == ("administrator", "kicked")
    with pytest.raises(Forbidden, match="^Forbidden: bot was kicked from the group chat$"):
        await emu_bot.send_message(group["id"], "hello?")
    with pytest.raises(Forbidden, match="kicked from the group chat"):
        await emu_bot.pin_chat_message(group["id"], 1)
    assert (await emu_bot.get_chat(group["id"])).title == "Building 3"  # reading still works
    assert (await client.messages(group["id"]))[-1]["left_chat_member"]["id"] == emu_bot.id
    assert (await client.send(ann, "/report", chat_id=group["id"]))["update_id"] is None

    await client.set_bot_status(group["id"], "member", by_user_id=ann)
    added, joined = await emu_bot.get_updates(offset=update.update_id + 1)
    assert added.my_chat_member.new_chat_member.status == "member"
    assert [u.id for u in joined.message.new_chat_members] == [emu_bot.id]
    await emu_bot.send_message(group["id"], "I am back")
    await client.set_bot_status(group["id"], "left", by_user_id=ann)
    with pytest.raises(Forbidden, match="^Forbidden: bot is not a member of the group chat$"):
        await emu_bot.send_message(group["id"], "hello?")
    with pytest.raises(EmulatorError, match="already left"):
        await client.set_bot_status(group["id"], "left")

    district = await client.create_group("District", [ann], type="supergroup")
    await client.set_bot_status(district["id"], "left", by_user_id=ann)
    with pytest.raises(Forbidden, match="^Forbidden: bot is not a member of the supergroup "
                                        "chat$"):
        await emu_bot.send_message(district["id"], "hello?")
    with pytest.raises(Forbidden, match="not a member of the supergroup chat"):
        await emu_bot.get_chat(district["id"])  # a private supergroup: not even reading
    await client.set_bot_status(district["id"], "kicked", by_user_id=ann)
    with pytest.raises(Forbidden, match="^Forbidden: bot was kicked from the supergroup chat$"):
        await emu_bot.send_message(district["id"], "hello?")
    stats = emu_server.world.stats()
    assert stats["blocked_403"] == 4 and stats["total_delivered"] == 1


async def test_chat_member_updates_are_opt_in_and_for_administrators_only(
        emu_server: RunningEmulator, emu_bot: Bot) -> None:
    client = emu_server.client
    ann, bob = await people(emu_server, "Ann", "Bob")
    group = (await client.create_group("Building 3", [ann]))["id"]
    offset = await drain(emu_bot)

    await client.add_member(group, bob, by_user_id=ann)  # not asked for: no chat_member
    await client.set_bot_status(group, "administrator", by_user_id=ann)
    await client.remove_member(group, bob)  # an admin, but still not asked for
    kinds = [next(k for k in u.to_dict() if k != "update_id")
             for u in await emu_bot.get_updates(offset=offset)]
    assert kinds == ["message", "my_chat_member", "message"]
    offset = await drain(emu_bot)

    # Asking for it (opt-in) and being an administrator: joins and leaves arrive.
    assert await emu_bot.get_updates(offset=offset, allowed_updates=["message", "chat_member"]) \
        == ()
    await client.add_member(group, bob)  # by invite link: Bob adds himself
    await client.remove_member(group, bob, by_user_id=ann)  # Ann kicks him
    joined, join_message, kicked, kick_message = await emu_bot.get_updates(offset=offset)
    assert joined.chat_member.from_user.id == bob
    assert (joined.chat_member.old_chat_member.status,
            joined.chat_member.new_chat_member.status) == ("left", "member")
    assert join_message.message.new_chat_members[0].id == bob
    assert kicked.chat_member.from_user.id == ann
    assert kicked.chat_member.new_chat_member.status == "kicked"
    assert kick_message.message.left_chat_member.id == bob
    assert (await emu_bot.get_chat_member(group, bob)).status == "kicked"
    offset = kick_message.update_id + 1

    # Not an administrator any more: nothing about Bob, though the bot asked.
    await client.set_bot_status(group, "member", by_user_id=ann)
    await client.add_member(group, bob, by_user_id=ann)
    kinds = [next(k for k in u.to_dict() if k != "update_id")
             for u in await emu_bot.get_updates(offset=offset)]
    # my_chat_member is not in allowed_updates now, so even that is dropped.
    assert kinds == ["message"]


async def test_allowed_updates_drops_the_kinds_not_asked_for(
        emu_server: RunningEmulator, emu_bot: Bot) -> None:
    (ann,) = await people(emu_server, "Ann")
    assert await emu_bot.get_updates(allowed_updates=["callback_query"]) == ()
    await emu_server.client.send(ann, "ignored")
    sent = await emu_bot.send_message(ann, "Sign?", reply_markup=InlineKeyboardMarkup.from_button(
        InlineKeyboardButton("Yes", callback_data="y")))
    await emu_server.client.press(ann, ann, sent.message_id, data="y")
    (update,) = await emu_bot.get_updates()
    assert update.callback_query.data == "y"
    await emu_bot.get_updates(offset=update.update_id + 1, allowed_updates=[])  # the default
    await emu_server.client.send(ann, "heard")
    (update,) = await emu_bot.get_updates(offset=update.update_id + 1)
    assert update.message.text == "heard"


async def test_an_application_reacts_to_being_added_and_to_joins(
        emu_server: RunningEmulator) -> None:
    """The real Application, polling with every update type, as a bot that greets newcomers."""
    client = emu_server.client
    ann, bob = await people(emu_server, "Ann", "Bob")

    async def added(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change.new_chat_member.status == "administrator":
            await context.bot.send_message(change.chat.id, "Thanks, I can welcome people now")

    async def joined(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.chat_member
        if change.new_chat_member.status == "member":
            await context.bot.send_message(change.chat.id,
                                           f"Welcome, {change.new_chat_member.user.first_name}")

    app = Application.builder().token(TOKEN).base_url(emu_server.bot_base_url).build()
    app.add_handler(ChatMemberHandler(added, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(ChatMemberHandler(joined, ChatMemberHandler.CHAT_MEMBER))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1,
                                        allowed_updates=Update.ALL_TYPES)
        try:
            group = (await client.create_group("Building 3", [ann]))["id"]
            await client.set_bot_status(group, "administrator", by_user_id=ann)
            await client.wait_bot_message(group, contains="I can welcome people")
            await client.add_member(group, bob)
            await client.wait_bot_message(group, contains="Welcome, Bob")
        finally:
            await app.updater.stop()
            await app.stop()


# -- 5. migration -------------------------------------------------------------------------


async def test_a_group_upgraded_to_a_supergroup(
        emu_server: RunningEmulator, emu_bot: Bot) -> None:
    client = emu_server.client
    ann, bob = await people(emu_server, "Ann", "Bob")
    old = (await client.create_group("Building 3", [ann, bob], admin_ids=[ann]))["id"]
    pinned = await emu_bot.send_message(old, "Rules")
    offset = await drain(emu_bot)

    new = await client.migrate(old, by_user_id=ann)
    assert new["type"] == "supergroup" and str(new["id"]).startswith("-100")
    assert (new["title"], new["member_ids"], new["admin_ids"], new["bot_status"]) == (
        "Building 3", sorted([ann, bob]), [ann], "member")
    moved_out, moved_in = await emu_bot.get_updates(offset=offset)
    assert moved_out.message.chat.id == old and moved_out.message.migrate_to_chat_id == new["id"]
    assert moved_in.message.chat.id == new["id"] and moved_in.message.migrate_from_chat_id == old
    assert moved_in.message.chat.type == "supergroup"
    assert (await client.messages(old))[-1]["migrate_to_chat_id"] == new["id"]

    for attempt in (emu_bot.send_message(old, "still here?"),
                    emu_bot.edit_message_text("Rules v2", old, pinned.message_id),
                    emu_bot.pin_chat_message(old, pinned.message_id)):
        with pytest.raises(ChatMigrated) as raised:
            await attempt
        assert raised.value.new_chat_id == new["id"]
    assert (await emu_bot.get_chat(old)).type == "group"  # reading the old one still works
    sent = await emu_bot.send_message(new["id"], "Moved here")
    assert sent.chat.type == "supergroup"
    with pytest.raises(EmulatorError, match="upgraded to supergroup"):
        await client.send(ann, "/report", chat_id=old)
    with pytest.raises(EmulatorError, match="upgraded"):
        await client.migrate(old)
    assert (await client.send(ann, "/report", chat_id=new["id"]))["update_id"] is not None
    chats = {c["id"]: c for c in await client.chats()}
    assert chats[old]["migrate_to_chat_id"] == new["id"]
    with pytest.raises(EmulatorError, match="only groups"):
        await client.migrate(new["id"])


# -- 6. edits and live locations ----------------------------------------------------------


async def test_a_user_edits_a_message(emu_server: RunningEmulator, emu_bot: Bot) -> None:
    client = emu_server.client
    ann, bob = await people(emu_server, "Ann", "Bob")
    sent = await client.send(ann, "Leak on 3F")
    message_id = sent["message"]["message_id"]
    edited = await client.edit(ann, message_id, "Leak on 4F")
    assert edited["message"]["text"] == "Leak on 4F" and edited["message"]["edit_date"]
    assert [e["text"] for e in edited["message"]["edits"]] == ["Leak on 3F"]
    first, second = await emu_bot.get_updates()
    assert second.update_id == edited["update_id"]
    assert second.edited_message.message_id == message_id == first.message.message_id
    assert second.edited_message.text == "Leak on 4F" and second.edited_message.edit_date
    assert filters.UpdateType.EDITED_MESSAGE.check_update(second)

    with pytest.raises(EmulatorError, match="not modified"):
        await client.edit(ann, message_id, "Leak on 4F")
    group = (await client.create_group("Building 3", [ann, bob]))["id"]
    said = (await client.send(bob, "hello", chat_id=group))["message"]["message_id"]
    with pytest.raises(EmulatorError, match="not sent by user"):
        await client.edit(ann, said, "hijacked", chat_id=group)
    # In a group with privacy mode on, an edit reaches the bot when the message would.
    assert (await client.edit(bob, said, "hello all", chat_id=group))["update_id"] is None
    assert (await client.edit(bob, said, "/report lift", chat_id=group))["update_id"] \
        is not None
    caption = await client.send_photo(ann, b"GIF89a", caption="before")
    edited = await client.edit(ann, caption["message"]["message_id"], "after")
    assert edited["message"]["caption"] == "after"


async def test_a_live_location_moves(emu_server: RunningEmulator, emu_bot: Bot) -> None:
    client, world = emu_server.client, emu_server.world
    (ann,) = await people(emu_server, "Ann")
    shared = await client.send_location(ann, 30.2741, 120.1551, live_period=900)
    message_id = shared["message"]["message_id"]
    assert shared["message"]["location"]["live_period"] == 900
    moved = await client.edit_location(ann, message_id, 30.2750, 120.1560)
    (start, update) = await emu_bot.get_updates()
    assert seconds(start.message.location.live_period) == 900
    assert update.update_id == moved["update_id"]
    location = update.edited_message.location
    assert (location.latitude, location.longitude, seconds(location.live_period)) == (
        30.2750, 120.1560, 900)
    assert update.edited_message.edit_date is not None

    with pytest.raises(EmulatorError, match="live_period"):
        await client.send_location(ann, 30.0, 120.0, live_period=30)
    still = await client.send_location(ann, 30.0, 120.0)
    with pytest.raises(EmulatorError, match="not a live location"):
        await client.edit_location(ann, still["message"]["message_id"], 30.1, 120.1)
    world.clock = lambda: float(shared["message"]["date"] + 900)  # the live period is over
    with pytest.raises(EmulatorError, match="expired"):
        await client.edit_location(ann, message_id, 30.3, 120.2)

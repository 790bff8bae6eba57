"""No single update stops the bot: poison updates in both runtimes, webhook limits, updates
nobody asked for, buttons without a message, anonymous admins, and the log that never shows
an update's content."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time

from sqlalchemy import select

from bot.webhook import MAX_BODY_BYTES, InboxWorker, create_webhook_app
from jobs.housekeeping import purge_inbox
from models import inbox
from models.inbox import KEEP, InboxUpdate
from tests.test_onboarding_e2e import join
from tests.test_webhook import SECRET, client_for, start_update

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
# a message without chat and date: PTB cannot parse it (KeyError: 'date')
def poison(update_id: int) -> dict:
    return {"update_id": update_id, "message": {"message_id": 1}}


async def inbox_rows(db) -> list[InboxUpdate]:
    async with db.session() as s:
        return list(await s.scalars(select(InboxUpdate).order_by(InboxUpdate.update_id)))


# --- webhook ---------------------------------------------------------------------------------

async def test_webhook_poison_update_is_skipped_and_the_next_one_answered(env, caplog):
    alice = await env.user("Alice", language_code="en")
    worker = InboxWorker(env.app, env.db)
    async with client_for(create_webhook_app(env.db, worker, SECRET)) as http:
        assert (await http.post("/telegram", json=poison(500), headers=HEADERS)).status_code \
            == 200  # acknowledged, so Telegram stops resending it
        later = start_update(501, alice)
        assert (await http.post("/telegram", json=later, headers=HEADERS)).status_code == 200
    since = env.mark()
    with caplog.at_level(logging.DEBUG):
        assert await worker.process_pending() == 2
    await env.wait(alice, "Please choose your language", since=since)
    rows = await inbox_rows(env.db)
    assert [(r.update_id, r.error, r.payload) for r in rows] == [(500, "KeyError", None),
                                                                   (501, None, None)]
    assert all(r.processed_at is not None for r in rows)
    assert env.app.bot.update_stats.unreadable == 1
    lines = [r.getMessage() for r in caplog.records if "500" in r.getMessage()]
    assert lines == ["update 500 could not be read (KeyError); skipped"]


async def test_start_up_pass_survives_a_stored_poison_update(env):
    alice = await env.user("Alice", language_code="en")
    async with env.db.session() as s:  # stored by the last run, which died before processing
        assert await inbox.store(s, 600, poison(600))
        assert await inbox.store(s, 601, start_update(601, alice))
    since = env.mark()
    assert await InboxWorker(env.app, env.db).process_pending() == 2
    await env.wait(alice, "Please choose your language", since=since)
    assert [r.processed_at is not None for r in await inbox_rows(env.db)] == [True, True]


async def test_webhook_refuses_update_ids_telegram_never_sends(env):
    worker = InboxWorker(env.app, env.db)
    bodies = [b'{"update_id": 9223372036854775808}', b'{"update_id": 1e30}',
              b'{"update_id": true}', b'{"update_id": "5"}', b'{"update_id": -1}',
              b'{"update_id": 5.5}', b'[1, 2]', b'"text"', b'{}', b'{"update_id": null}',
              b"\xff\xfe not utf-8", b"[" * 100_000 + b"]" * 100_000, b"not json"]
    async with client_for(create_webhook_app(env.db, worker, SECRET)) as http:
        answers = [(await http.post("/telegram", content=b, headers=HEADERS)).status_code
                   for b in bodies]
    assert answers == [400] * len(bodies)
    assert await inbox_rows(env.db) == []


async def test_webhook_refuses_an_oversized_body_before_storing_it(env):
    worker = InboxWorker(env.app, env.db)
    huge = json.dumps({"update_id": 7, "message": {"text": "x" * MAX_BODY_BYTES}}).encode()

    async def chunks():  # no Content-Length: the limit must hold while reading
        for i in range(0, len(huge), 65536):
            yield huge[i:i + 65536]

    async with client_for(create_webhook_app(env.db, worker, SECRET)) as http:
        declared = await http.post("/telegram", content=huge, headers=HEADERS)
        streamed = await http.post("/telegram", content=chunks(), headers=HEADERS)
        fits = await http.post("/telegram", json=start_update(8, 5), headers=HEADERS)
    assert (declared.status_code, streamed.status_code, fits.status_code) == (413, 413, 200)
    assert [r.update_id for r in await inbox_rows(env.db)] == [8]


async def test_processed_updates_keep_only_their_id_and_go_after_the_retention(env):
    alice = await env.user("Alice", language_code="en")
    async with env.db.session() as s:
        assert await inbox.store(s, 700, start_update(700, alice))
        assert await inbox.store(s, 701, start_update(701, alice, "/help"))
    worker = InboxWorker(env.app, env.db)
    await worker.process_pending()
    async with env.db.session() as s:
        assert await inbox.store(s, 702, start_update(702, alice))  # not processed yet
    rows = await inbox_rows(env.db)
    assert [r.payload is None for r in rows] == [True, True, False]
    now = dt.datetime.now(dt.UTC)
    assert await purge_inbox(env.db, now=now + KEEP - dt.timedelta(minutes=1)) == 0
    async with env.db.session() as s:  # a re-delivery within the retention is still caught
        assert not await inbox.store(s, 700, start_update(700, alice))
    assert await purge_inbox(env.db, now=now + KEEP + dt.timedelta(minutes=1)) == 2
    assert [r.update_id for r in await inbox_rows(env.db)] == [702]


# --- polling ---------------------------------------------------------------------------------

async def test_polling_skips_an_unreadable_update_without_flooding_the_log(env, caplog):
    alice = await env.user("Alice", language_code="en")
    name = "".join(["Zhang", "Secret"])  # built at run time: no source line contains it
    with caplog.at_level(logging.DEBUG):
        bad = await env.client.inject({"message": {"message_id": 1, "text": name,
                                                   "from": {"first_name": name}}})
        answer = await env.say(alice, "/start", "Please choose your language")
    assert answer
    assert env.app.bot.update_stats.unreadable == 1
    critical = [r for r in caplog.records if r.levelno >= logging.CRITICAL]
    assert critical == []
    read = [r.getMessage() for r in caplog.records if "could not be read" in r.getMessage()]
    assert len(read) == 1 and re.fullmatch(rf"update {bad} could not be read \(\w+\); skipped",
                                           read[0])
    assert name not in caplog.text
    assert (await env.client._get("/bot"))["pending_updates"] == 0  # acknowledged


async def test_the_log_never_shows_an_update(env, caplog):
    secret = "".join(["138", "0013", "9999"])
    alice = await env.user("Alice" + secret, language_code="en")
    with caplog.at_level(logging.DEBUG):
        await env.say(alice, "/start " + secret, "Please choose your language")
    assert "Processing update" in caplog.text  # PTB did log it, reduced to its id
    assert secret not in caplog.text
    assert secret not in "\n".join(r.getMessage() for r in caplog.records)


# --- updates nobody asked for -----------------------------------------------------------------

def private_message(user_id: int, **content) -> dict:
    return {"message_id": 9000 + int(time.time()) % 1000, "date": int(time.time()),
            "from": {"id": user_id, "is_bot": False, "first_name": "Alice"},
            "chat": {"id": user_id, "type": "private", "first_name": "Alice"}, **content}


async def replies_before_help(env, user: int, inject: list[dict]) -> list[str]:
    """Inject updates, then /help; the bot's replies before its answer to /help."""
    since = env.mark()
    for update in inject:
        await env.client.inject(update)
    helped = await env.say(user, "/help", "What I can do")
    replies = [m for m in await env.client.bot_messages(user)
               if m["seq"] > since and m["message_id"] < helped["message_id"]]
    return [m.get("text") or "" for m in replies]


async def test_only_new_private_content_gets_the_pointer(env):
    alice = await env.user("Alice", language_code="en")
    await join(env, alice, language_button="✓ English", agree="I agree")
    since = env.mark()
    await env.client.send(alice, "what is this?")
    pointer = await env.wait(alice, "I did not understand that", since=since)
    assert "Notices" in env.buttons(pointer)  # the menu's buttons, not just a command
    edited = private_message(alice, text="edit", edit_date=int(time.time()))
    quiet = await replies_before_help(env, alice, [
        {"edited_message": edited},
        {"edited_message": {**edited, "location": {"latitude": 31.2, "longitude": 121.4},
                            "text": None}},
        {"message": private_message(alice)},  # empty
        {"message": private_message(alice, new_chat_title="x")},  # service
        {"business_message": private_message(alice, text="hello")},
        {"channel_post": {"message_id": 3, "date": int(time.time()), "text": "post",
                          "chat": {"id": -100777, "type": "channel", "title": "c"}}},
        {"message_reaction": {"chat": {"id": alice, "type": "private"}, "message_id": 1,
                              "date": int(time.time()), "old_reaction": [],
                              "new_reaction": [{"type": "emoji", "emoji": "👍"}],
                              "user": {"id": alice, "is_bot": False, "first_name": "A"}}},
        {"edited_message": {**edited, "text": "/help"}},
    ])
    assert quiet == []


async def test_a_button_without_a_message_is_answered(env):
    alice = await env.user("Alice", language_code="en")
    query_id = "77001"
    await env.client.inject({"callback_query": {
        "id": query_id, "chat_instance": "1", "inline_message_id": "AAEx",
        "from": {"id": alice, "is_bot": False, "first_name": "Alice", "language_code": "en"},
        "data": "pl:s:1:1"}})
    answer = await env.client.wait_callback_answer(query_id, timeout=15.0)
    assert answer["answered"] and "only in your chat with me" in answer["text"]


async def test_an_anonymous_admin_is_told_how_to_bind(env):
    alice = await env.user("Alice", language_code="en")
    group = await env.client.create_group("1栋 邻里群", [alice])
    chat = {"id": group["id"], "type": "group", "title": "1栋 邻里群"}
    since = env.mark()
    await env.client.inject({"message": {
        "message_id": 50, "date": int(time.time()), "chat": chat, "sender_chat": chat,
        "from": {"id": 1087968824, "is_bot": True, "first_name": "Group",
                 "username": "GroupAnonymousBot"},
        "text": "/bind", "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}})
    # nobody to know the language of: the community's default
    told = await env.wait(group["id"], "匿名", since=since)
    assert "/bind" in told["text"] and "自己的账号" in told["text"]


async def test_an_update_with_ids_that_are_not_numbers_does_not_stop_polling(env):
    alice = await env.user("Alice", language_code="en")
    command = {"text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}
    await env.client.inject({"message": {  # the library hashes these ids after a handler ran
        "message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"},
        "from": {"id": [1], "is_bot": False, "first_name": "x"}, **command}})
    await env.client.inject({"message": {"message_id": 2, "date": 1,
                                         "chat": {"id": {"a": 1}, "type": "group"}, **command}})
    await env.say(alice, "/start", "Please choose your language")
    await env.say(alice, "/help", "What I can do")  # and the next: the fetcher still runs
    assert env.app.bot.update_stats.unreadable == 2


async def test_a_payment_message_nobody_asked_for_changes_nothing(env):
    alice = await env.user("Alice", language_code="en")
    payment = {"currency": "XTR", "total_amount": 1, "invoice_payload": "x",
               "telegram_payment_charge_id": "c", "provider_payment_charge_id": "p"}
    quiet = await replies_before_help(env, alice, [
        {"message": private_message(alice, successful_payment=payment)}])
    assert quiet == []


async def test_a_double_tap_and_an_empty_first_name_still_join(env):
    user = await env.user("", language_code="en")  # Telegram's first name may be empty
    menu = await env.say(user, "/start", "Please choose your language")
    await env.tap(user, "✓ English", message_id=menu["message_id"], expect="Before you join")
    # the second press of a double tap was made before the message changed
    again = await env.tap(user, data="ob:l:en:", message_id=menu["message_id"], forge=True)
    assert "went wrong" not in (again.get("text") or "")
    toast = await env.tap(user, "I agree", message_id=menu["message_id"],
                          expect="Which community")
    assert "went wrong" not in (toast.get("text") or "")
    async with env.db.session() as s:
        from models.people import person_by_telegram

        assert (await person_by_telegram(s, user)).consent_at is not None


async def test_a_sender_whose_name_is_not_a_name_stores_nobody(env):
    alice = await env.user("Alice", language_code="en")
    menu = await env.say(alice, "/start", "Please choose your language")
    mangled = {"id": alice, "is_bot": False, "first_name": "Ann", "last_name": [False, 4.4e-150]}
    query_id = "88001"
    await env.client.inject({"callback_query": {
        "id": query_id, "chat_instance": "1", "from": mangled, "data": "ob:y:en:",
        "message": {"message_id": menu["message_id"], "date": int(time.time()),
                    "chat": {"id": alice, "type": "private"}, "text": "menu"}}})
    await env.say(alice, "/help", "What I can do")  # handled after the mangled press
    async with env.db.session() as s:
        from models.people import person_by_telegram

        assert await person_by_telegram(s, alice) is None
    assert env.app.bot.update_stats.unreadable == 1

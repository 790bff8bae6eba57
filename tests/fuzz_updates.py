"""Hypothesis strategies for the update fuzzer (issue #10): every kind of Bot API update, built
from the Bot API's object shapes and then mutated (fields dropped, unknown fields added, wrong
types, nulls, huge and empty strings, absurd sizes), plus the raw bodies only a webhook sees
(not JSON, not an object, bad update ids, over a megabyte, a wrong secret, a re-delivery). A
strategy yields a `Case`: the update with placeholders for what only the running test knows
(the update's id and marker, a real bot message to press a button on, a callback query id,
real pledge and membership ids), which tests/test_fuzz.py fills in; `mutate` then applies the
mutations and says whether the result still follows the Bot API's types and required fields
(`conformant`). Every generated name, text, caption, username, file name
and phone number carries the marker `FZ<update id>Q`, so a log line quoting one is found and
traced to its update. The chats come from fixed pools the test creates in the emulator:
"talkers" (private chats and groups that may be answered), "silent" chats (which receive only
updates that must never be answered: edits, business messages, service and empty messages,
reactions, member changes, …), channels, and strangers unknown to the emulator.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import strategies as st

JSON = dict[str, Any]

BOT_ID = 123456789  # the harness's token starts with it
BOT_USERNAME = "linli_bot"

# Placeholders (private-use characters, never generated as content).
MARK = "\ue000"  # becomes the update's marker, FZ<n>Q
REF = "\ue001"  # REF + letter inside a string: a real id (P pledge, M membership, H household,
#                 J join code, N notice)
HOLE = "\ue00f"  # {HOLE: what}: a value only the running test can fill in
CONSENT_ID = 7_777_777_777  # the from.id of a consent press; a fresh user is made for each
RESERVED = "".join(chr(c) for c in range(0xE000, 0xE010))

# The pools: the test creates these users and chats in the emulator before the campaign.
TALKERS = tuple(range(610_001, 610_013))  # private chats that may be answered
SILENT = tuple(range(620_001, 620_007))  # private chats that must never get a message
GROUPS = (-630_001, -630_002, -1_000_000_630_003, -1_000_000_630_004)  # talkers are members
SILENT_GROUPS = (-640_001, -1_000_000_640_002)
CHANNELS = (-1_000_000_650_001, -1_000_000_650_002)  # not in the emulator: nothing may be sent
STRANGER_IDS = st.integers(660_000, 669_999)  # users the emulator does not know

# Absurd sizes that are still integers a JSON reader keeps exactly (the Bot API's integers
# have at most 52 significant bits); beyond that, only by mutation, and then not conformant.
ABSURD_INTS = st.sampled_from([0, -1, 2**31, 2**32 + 1, 2**52, 2**53 - 1])
HUGE_INTS = st.sampled_from([2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30])
MAX_EXACT = 2**53 - 1
# Fields of free text: a huge or empty one is still what the Bot API allows in its type.
FREE_TEXT = frozenset({"text", "caption", "first_name", "last_name", "title", "query", "bio",
                       "address", "file_name", "question", "phone_number", "vcard", "data",
                       "invoice_payload", "author_signature", "sender_user_name",
                       "new_chat_title", "paid_media_payload", "game_short_name", "city",
                       "state", "street_line1", "street_line2", "post_code"})
SIZE_KEYS = frozenset({"file_size", "width", "height", "duration", "length", "voter_count",
                       "total_voter_count", "live_period", "horizontal_accuracy", "heading",
                       "proximity_alert_radius", "total_amount", "total_count",
                       "message_auto_delete_time"})

# What each object needs, by the field that holds it (a list's items by the list's field).
# An object under a field not listed here is treated as needing all its fields.
_MESSAGE = frozenset({"message_id", "date", "chat"})
_USER = frozenset({"id", "is_bot", "first_name"})
_FILE = frozenset({"file_id", "file_unique_id"})
REQUIRED: dict[str, frozenset[str]] = {
    **{k: _MESSAGE for k in ("message", "edited_message", "channel_post", "edited_channel_post",
                             "business_message", "edited_business_message", "guest_message",
                             "reply_to_message", "pinned_message")},
    **{k: _USER for k in ("from", "user", "new_chat_members", "left_chat_member", "via_bot",
                          "sender_user")},
    "chat": frozenset({"id", "type"}), "sender_chat": frozenset({"id", "type"}),
    "photo": _FILE | {"width", "height"}, "new_chat_photo": _FILE | {"width", "height"},
    "thumbnail": _FILE | {"width", "height"}, "document": _FILE,
    "sticker": _FILE | {"width", "height", "is_animated", "is_video", "type"},
    "voice": _FILE | {"duration"}, "audio": _FILE | {"duration"},
    "video": _FILE | {"width", "height", "duration"},
    "animation": _FILE | {"width", "height", "duration"},
    "video_note": _FILE | {"length", "duration"},
    "location": frozenset({"latitude", "longitude"}),
    "contact": frozenset({"phone_number", "first_name"}),
    "venue": frozenset({"location", "title", "address"}),
    "dice": frozenset({"emoji", "value"}),
    # python-telegram-bot 22.8 requires two fields of Bot API 9.6 that older servers never sent
    "poll": frozenset({"id", "question", "options", "total_voter_count", "is_closed",
                       "is_anonymous", "type", "allows_multiple_answers", "allows_revoting",
                       "members_only"}),
    "options": frozenset({"text", "voter_count", "persistent_id"}),
    "entities": frozenset({"type", "offset", "length"}),
    "caption_entities": frozenset({"type", "offset", "length"}),
    "callback_query": frozenset({"id", "from", "chat_instance"}),
    "inline_query": frozenset({"id", "from", "query", "offset"}),
    "chosen_inline_result": frozenset({"result_id", "from", "query"}),
    "shipping_query": frozenset({"id", "from", "invoice_payload", "shipping_address"}),
    "pre_checkout_query": frozenset({"id", "from", "currency", "total_amount",
                                     "invoice_payload"}),
    "poll_answer": frozenset({"poll_id", "option_ids", "option_persistent_ids"}),
    "my_chat_member": frozenset({"chat", "from", "date", "old_chat_member",
                                 "new_chat_member"}),
    "chat_member": frozenset({"chat", "from", "date", "old_chat_member", "new_chat_member"}),
    "chat_join_request": frozenset({"chat", "from", "user_chat_id", "date"}),
    "message_reaction": frozenset({"chat", "message_id", "date", "old_reaction",
                                   "new_reaction"}),
    "message_reaction_count": frozenset({"chat", "message_id", "date", "reactions"}),
    "chat_boost": frozenset({"chat", "boost"}),
    "removed_chat_boost": frozenset({"chat", "boost_id", "remove_date", "source"}),
    "business_connection": frozenset({"id", "user", "user_chat_id", "date", "is_enabled"}),
    "deleted_business_messages": frozenset({"business_connection_id", "chat", "message_ids"}),
    "purchased_paid_media": frozenset({"from", "paid_media_payload"}),
    "managed_bot": frozenset({"user", "bot"}), "bot": _USER,
}

# Namespaces of the bot's buttons (the `pattern=` regexes in bot/app.py), with argument shapes.
CALLBACK_SHAPES = (
    "gb:u:{i}:place", "gb:p:{i}", "gb:b:{i}:{i}", "gb:x", "gb:{w}",
    "ob:l:{lang}:{w}", "ob:n:{lang}:", "ob:y:xx:{w}", "ob:y:{w}", "ob:y", "ob:{w}:{lang}:",
    "j:p:{i}:{i}", "j:h:{i}", "j:h:{H}", "j:r:{H}:o", "j:r:{H}:{w}", "j:r:{i}:t", "j:{w}",
    "m:a:{i}", "m:r:{i}", "m:a:{M}", "m:r:{M}", "m:list", "m:a:", "m:r:{w}",
    "me:{w}", "me:", "lang:{lang}", "lang:menu", "lang:{w}",
    "nt:new", "nl", "nt:{w}", "nt:{w}:{i}", "na:{i}", "na:{N}", "ns:{i}", "ns:{N}:{i}",
    "tg:{w}", "tg:{w}:{i}",
    "pl:list", "pl:r:{P}", "pl:r:{i}", "pl:s:{P}:1", "pl:s:{i}:{i}", "pl:c:{P}:1",
    "pl:c:999:1", "pl:c:{i}:{i}", "pl:x:{P}", "pl:x:{i}",
    "pa:list", "pa:m:{P}", "pa:m:{i}", "pa:pg:{P}", "pa:pg:{P}:{i}", "pa:rm:{P}",
    "pa:as:{P}", "pa:ap:{P}:{i}", "pa:ac:{P}:{i}", "pa:x:{P}:csv", "pa:x:{P}:{w}",
    "pa:qr:{P}", "pa:ed:{P}", "pa:sv:{P}", "pa:rs:{P}", "pa:xt:{P}", "pa:cl:{P}",
    "pa:cc:{P}", "pa:{w}", "pa:{w}:{i}",
)
LANGS = ("zh_CN", "en")
COMMANDS = ("/start", "/help", "/me", "/bind", "/pledge", "/pledges", "/notice", "/notices",
            "/tags", "/pending", "/language", "/cancel", "/settings")


def is_consent(data: object) -> bool:
    """Callback data that makes the pressing user a stored person (`ob:y:<language>:<code>`)."""
    if not isinstance(data, str):
        return False
    parts = data.split(":")
    return len(parts) >= 4 and parts[:2] == ["ob", "y"] and parts[2] in LANGS


# -- strings ---------------------------------------------------------------------------------

_chars = st.characters(codec="utf-8", exclude_categories=("Cs",),
                       exclude_characters="\x00" + RESERVED)
_tricky = st.sampled_from([
    "😀", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇨🇳", "\u200d", "\u202e", "\u200f", "e\u0301", "𝕏𝕐", "中文",
    "阳光社区", "\ufeff", "\u2028", "\r\n", "\t", "<b>", "</i>", "&amp;", "<a href='x'>",
    "\\", '"', "'", "%s", "%(name)s", "{name}", "{0}", "{", "}", "`", "*", "_", "[x](y)",
    "@linli_bot", "#tag", "http://x.y/", " ",
])
_piece = st.one_of(st.text(_chars, max_size=12), _tricky)


@st.composite
def texts(draw: st.DrawFn, *, huge: bool = True, empty: bool = True, limit: int = 10_000) -> str:
    """A text carrying the marker: plain, emoji and markup heavy, huge (up to ~10k), empty."""
    shape = draw(st.sampled_from(["plain"] * 4 + ["tricky"] * 2 + ["huge"] * huge
                                 + ["empty", "space"] * empty))
    if shape == "empty":
        return ""
    if shape == "space":
        return draw(st.sampled_from([" ", "\n", "\u200b", " \t\n "])) + MARK
    body = "".join(draw(st.lists(_tricky if shape == "tricky" else _piece, max_size=6)))
    if shape == "huge":
        chunk = draw(st.text(_chars, min_size=1, max_size=8)) + draw(_tricky) + MARK
        size = draw(st.integers(min(4_097, limit), limit))
        body = (chunk * (size // len(chunk) + 1))[:size]
    return MARK + body + MARK


names = st.one_of(texts(huge=False, empty=False), texts(limit=300))
usernames = st.sampled_from(["fz_" + MARK, MARK + "_user", "a" * 32 + MARK, "x" + MARK])
languages = st.one_of(st.none(), st.sampled_from(["en", "zh-hans", "zh", "zh-hant", "ru",
                                                  "en-US", "", "xx", "FZ" + MARK]))
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                         st.floats(allow_nan=False, allow_infinity=False), texts(huge=False))


def _nest(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=3),
                     st.dictionaries(st.text(_chars, max_size=6), inner, max_size=3))


json_values = st.recursive(json_scalars, _nest, max_leaves=6)
small_ids = st.integers(1, 2**31 - 1)
dates = st.integers(1_500_000_000, 2_000_000_000)


# -- objects ---------------------------------------------------------------------------------

def opt(**fields: st.SearchStrategy[Any]) -> dict[str, st.SearchStrategy[Any]]:
    return fields


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> st.SearchStrategy:
    """A JSON object: every required field, any subset of the optional ones."""
    as_strategy = {k: v if isinstance(v, st.SearchStrategy) else st.just(v)
                   for k, v in required.items()}
    return st.fixed_dictionaries(as_strategy, optional=optional or {})


def user(uid: int | st.SearchStrategy[int], *, bot: bool = False) -> st.SearchStrategy[JSON]:
    return obj({"id": uid, "is_bot": bot, "first_name": names},
               opt(last_name=names, username=usernames, language_code=languages,
                   is_premium=st.booleans(), added_to_attachment_menu=st.booleans()))


def private_chat(uid: int) -> st.SearchStrategy[JSON]:
    return obj({"id": uid, "type": "private"},
               opt(first_name=names, last_name=names, username=usernames))


def group_chat(gid: int) -> st.SearchStrategy[JSON]:
    kind = "supergroup" if gid < -1_000_000_000_000 else "group"
    extra = opt(username=usernames, is_forum=st.booleans()) if kind == "supergroup" else {}
    return obj({"id": gid, "type": kind, "title": names},
               {**extra, "all_members_are_administrators": st.booleans()})


def channel_chat(cid: int) -> st.SearchStrategy[JSON]:
    return obj({"id": cid, "type": "channel", "title": names}, opt(username=usernames))


def chat_for(cid: int) -> st.SearchStrategy[JSON]:
    if cid > 0:
        return private_chat(cid)
    return channel_chat(cid) if cid in CHANNELS else group_chat(cid)


file_sizes = st.one_of(st.integers(0, 20_000_000), ABSURD_INTS)
file_ids = st.sampled_from(["AgAC" + MARK, "BQAC" + MARK, "", "x" * 300, "../../etc/passwd"])


def photo_size() -> st.SearchStrategy[JSON]:
    return obj({"file_id": file_ids, "file_unique_id": file_ids,
                "width": st.one_of(st.integers(0, 5000), ABSURD_INTS),
                "height": st.one_of(st.integers(0, 5000), ABSURD_INTS)},
               opt(file_size=file_sizes))


def a_file(**more: Any) -> st.SearchStrategy[JSON]:
    return obj({"file_id": file_ids, "file_unique_id": file_ids, **more},
               opt(file_size=file_sizes, file_name=texts(huge=False), mime_type=st.sampled_from(
                   ["image/jpeg", "application/pdf", "text/plain" + MARK, "", "x/y"])))


durations = st.integers(0, 2**31)  # PTB makes a timedelta of it: absurd ones by mutation
coords = st.floats(-180, 180, allow_nan=False)
phones = st.sampled_from(["+86138" + MARK, MARK, "+1 (555) " + MARK, "00" + MARK + "0" * 40])


def content(cid: int, *, service: bool) -> st.SearchStrategy[JSON]:
    """What a message carries: text and commands, media, shared data, or a service event."""
    members = user(st.sampled_from(TALKERS) | STRANGER_IDS)
    in_group = cid < 0 and cid not in CHANNELS
    commands = st.builds(_command, st.sampled_from(COMMANDS), st.sampled_from(
        ["", " ", " pledge_" + REF + "P", " pledge_" + REF + "P_7", " pledge_999999",
         " pledge_00", " pledge_x", " join_" + REF + "J", " join_" + MARK, " join_",
         " " + MARK, " pledge_" + "9" * 40]), st.booleans(), st.booleans())
    kinds: list[st.SearchStrategy[JSON]] = [
        obj({"text": texts()}, opt(entities=st.lists(entity(), max_size=3))),
        commands, commands,
        obj({"photo": st.lists(photo_size(), max_size=4)},
            opt(caption=texts(), media_group_id=st.just(MARK))),
        obj({"document": a_file().map(_thumbnail)}, opt(caption=texts())),
        obj({"location": obj({"latitude": coords, "longitude": coords},
                             opt(horizontal_accuracy=st.floats(0, 1500),
                                 live_period=durations, heading=st.integers(1, 360)))}),
        obj({"contact": obj({"phone_number": phones, "first_name": names},
                            opt(last_name=names, user_id=st.sampled_from(TALKERS) | STRANGER_IDS,
                                vcard=texts(huge=False)))}),
        obj({"sticker": a_file(width=st.integers(0, 512), height=st.integers(0, 512),
                               is_animated=st.booleans(), is_video=st.booleans(),
                               type=st.sampled_from(["regular", "mask", "custom_emoji"]))},
            ),
        obj({"voice": a_file(duration=durations)}),
        obj({"video": a_file(width=st.integers(0, 4000), height=st.integers(0, 4000),
                             duration=durations)}, opt(caption=texts())),
        obj({"animation": a_file(width=st.integers(0, 4000), height=st.integers(0, 4000),
                                 duration=durations)}),
        obj({"dice": obj({"emoji": st.sampled_from(["🎲", "🎯", "🏀"]),
                          "value": st.integers(1, 6)})}),
        obj({"venue": obj({"location": obj({"latitude": coords, "longitude": coords}),
                           "title": names, "address": texts(huge=False)})}),
        obj({"poll": poll()}),
        obj({"successful_payment": obj({"currency": "XTR", "total_amount": ABSURD_INTS,
                                        "invoice_payload": texts(huge=False),
                                        "telegram_payment_charge_id": MARK,
                                        "provider_payment_charge_id": MARK})}),
    ]
    services: list[st.SearchStrategy[JSON]] = [
        st.just({}),  # an empty message: no content at all
        obj({"pinned_message": st.one_of(
            obj({"message_id": small_ids, "date": st.just(0), "chat": chat_for(cid)}),
            obj({"message_id": small_ids, "date": dates, "chat": chat_for(cid),
                 "text": texts(huge=False)}))}),
    ]
    if in_group:
        services += [
            obj({"new_chat_members": st.lists(members, min_size=1, max_size=3)}),
            obj({"left_chat_member": members}),
            obj({"new_chat_title": names}),
            obj({"new_chat_photo": st.lists(photo_size(), min_size=1, max_size=2)}),
            st.just({"delete_chat_photo": True}), st.just({"group_chat_created": True}),

            obj({"message_auto_delete_timer_changed": obj(
                {"message_auto_delete_time": durations})}),
        ]
    if cid in SILENT_GROUPS:
        # a group upgraded to a supergroup: the old chat is gone afterwards, so this happens
        # only where nothing is answered later
        services += [
            obj({"migrate_to_chat_id": st.one_of(st.just(cid - 1_000_000_000_000),
                                                 st.integers(-2**52, -1), st.just(cid))}),
            obj({"migrate_from_chat_id": st.one_of(st.integers(-2**52, -1), st.just(cid))}),
            obj({"left_chat_member": user(BOT_ID, bot=True)}),
        ]
    if service:
        return st.sampled_from(services).flatmap(lambda s: s)
    if in_group and cid not in SILENT_GROUPS:
        # the bot itself joining a group it may answer in
        kinds.append(obj({"new_chat_members": st.lists(user(BOT_ID, bot=True), min_size=1,
                                                       max_size=1)}))
    return st.sampled_from(kinds).flatmap(lambda s: s)


def _thumbnail(document: JSON) -> JSON:
    return {**document, "thumbnail": {"file_id": "AAMC" + MARK, "file_unique_id": MARK,
                                      "width": 2**31, "height": -1, "file_size": 2**62}}


def _command(name: str, arg: str, mention: bool, entity: bool) -> JSON:
    command = name + (f"@{BOT_USERNAME}" if mention else "")
    text = command + arg
    found: JSON = {"text": text}
    if entity:
        found["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return found


def entity() -> st.SearchStrategy[JSON]:
    return obj({"type": st.sampled_from(["bot_command", "bold", "mention", "text_link", "url",
                                         "custom_emoji", "FZ_future" + MARK]),
                "offset": st.integers(-5, 12_000), "length": st.integers(-5, 12_000)},
               opt(url=st.just("http://x/" + MARK), custom_emoji_id=st.just(MARK)))


def poll() -> st.SearchStrategy[JSON]:
    return obj({"id": st.just(MARK), "question": texts(huge=False),
                "options": st.lists(obj({"text": texts(huge=False),
                                         "voter_count": st.integers(0, 2**31),
                                         "persistent_id": st.just("o" + MARK)}), max_size=4),
                "total_voter_count": st.one_of(st.integers(0, 10), ABSURD_INTS),
                "is_closed": st.booleans(), "is_anonymous": st.booleans(),
                "type": st.sampled_from(["regular", "quiz", "FZ" + MARK]),
                "allows_multiple_answers": st.booleans(),
                "allows_revoting": st.booleans(), "members_only": st.booleans()})


def message(cid: int, sender: st.SearchStrategy[JSON] | None, *, service: bool = False,
            business: bool = False) -> st.SearchStrategy[JSON]:
    """A message in chat `cid` from `sender` (a channel post has none: its sender is the chat)."""
    base = obj({"message_id": small_ids, "date": dates, "chat": chat_for(cid)},
               opt(reply_to_message=obj({"message_id": small_ids, "date": dates,
                                          "chat": chat_for(cid), "text": texts(huge=False)}),
                   forward_origin=obj({"type": "hidden_user", "date": dates,
                                       "sender_user_name": names}),
                   author_signature=names, has_protected_content=st.booleans(),
                   message_thread_id=small_ids))
    parts = [base, content(cid, service=service)]
    if sender is not None:
        parts.append(sender.map(lambda s: {"from": s}))
    else:
        parts.append(chat_for(cid).map(lambda c: {"sender_chat": c}))
    if business:
        parts.append(st.just({"business_connection_id": "bc" + MARK}))
    return st.tuples(*parts).map(_merge)


def _merge(parts: tuple[JSON, ...]) -> JSON:
    merged: JSON = {}
    for part in parts:
        merged.update(part)
    return merged


# -- cases ------------------------------------------------------------------------------------

@dataclass
class Case:
    """One generated update (or raw webhook body) and what the test must know about it."""

    kind: str  # the update's field (message, callback_query, …) or a raw body's shape
    chat_id: int | None  # where an answer would go; None for no chat
    update: JSON  # without update_id, with placeholders
    ops: list[tuple[str, int, Any]] = field(default_factory=list)  # mutations to apply
    consent: bool = False  # a press of "I agree": the only update that may store a person
    raw: str | None = None  # webhook only: "bad_id", "not_json", "non_object", "no_id", …
    raw_value: Any = None


def _case(kind: str, chat_id: int | None, consent: bool = False) -> Callable[..., Case]:
    return lambda body, ops: Case(kind, chat_id, {kind: body}, ops, consent)


def callback(chat_id: int, presser: st.SearchStrategy[JSON], data: st.SearchStrategy[Any],
             *, consent: bool = False) -> st.SearchStrategy[Case]:
    """A button press: on a real bot message, on one too old to edit, or on an inline one."""
    where = st.sampled_from(["message"] * 4 + ["inaccessible", "inline"])

    def build(how: str, who: JSON, payload: Any, game: bool, instance: str) -> JSON:
        body: JSON = {"id": {HOLE: "callback_id"}, "from": who, "chat_instance": instance}
        if how == "inline":
            body["inline_message_id"] = "im" + MARK
        else:
            body["message"] = {HOLE: "bot_message" if how == "message" else "inaccessible"}
        if game:
            body["game_short_name"] = "g" + MARK
        elif payload is not None:
            body["data"] = payload
        return body

    body = st.builds(build, where, presser, data, st.booleans() if not consent else st.just(False),
                     st.sampled_from(["-42", "7919" + MARK, ""]))
    return st.builds(_case("callback_query", chat_id, consent), body, mutations())


def _forge(shape: str, i: int, w: str, lang: str) -> str:
    data = shape.replace("{i}", str(i)).replace("{w}", w).replace("{lang}", lang)
    for letter in "PMHN":
        data = data.replace("{" + letter + "}", REF + letter)
    return data


forged = st.builds(_forge, st.sampled_from(CALLBACK_SHAPES),
                   st.one_of(st.integers(0, 100), st.sampled_from([2**62, 2**63, -1, 10**30])),
                   st.sampled_from(["", "x", MARK, "1:2:3", "é", "0" * 80]),
                   st.sampled_from(LANGS + ("xx", "")))
callback_data = st.one_of(forged, forged, forged, texts(huge=False), st.none(),
                          st.sampled_from(["", ":", "::", "ob", "pl:c", "m:a:5", "pl:c:999:1",
                                           "gb:u:1:place"]))
talker_chat = st.sampled_from(TALKERS)
silent_chat = st.sampled_from(SILENT)


def member_status(uid: st.SearchStrategy[int], *, bot: bool = False,
                  staying: bool = False) -> st.SearchStrategy[JSON]:
    """A ChatMember; `staying`: one who is still in the chat (member or administrator)."""
    who = user(uid, bot=bot)
    rights = {k: st.booleans() for k in (
        "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
        "can_manage_video_chats", "can_restrict_members", "can_promote_members",
        "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
        "can_delete_stories")}
    staying_ones = [obj({"status": "member", "user": who}),
                    obj({"status": "administrator", "user": who, **rights})]
    if staying:
        return st.one_of(staying_ones)
    return st.one_of(*staying_ones, obj({"status": "left", "user": who}),
                     obj({"status": "kicked", "user": who, "until_date": st.just(0) | dates}))


def member_update(cid: int, *, bot: bool, staying: bool = False) -> st.SearchStrategy[JSON]:
    """A ChatMemberUpdated; `staying`: the bot stays in the group (it is answered there later,
    and Telegram sends nothing from a group the bot has left)."""
    subject = st.just(BOT_ID) if bot else (st.sampled_from(TALKERS) | STRANGER_IDS)
    actor = cid if cid > 0 else None
    return obj({"chat": chat_for(cid),
                "from": user(actor if actor is not None else STRANGER_IDS),
                "date": dates, "old_chat_member": member_status(subject, bot=bot),
                "new_chat_member": member_status(subject, bot=bot, staying=staying)},
               opt(invite_link=obj({"invite_link": st.just("https://t.me/+" + MARK),
                                    "creator": user(STRANGER_IDS), "creates_join_request":
                                    st.booleans(), "is_primary": st.booleans(),
                                    "is_revoked": st.booleans()}),
                   via_chat_folder_invite_link=st.booleans()))


def reaction_list() -> st.SearchStrategy[list[JSON]]:
    return st.lists(st.one_of(obj({"type": "emoji", "emoji": st.sampled_from(["👍", "🔥"])}),
                              obj({"type": "custom_emoji", "custom_emoji_id": st.just(MARK)})),
                    max_size=3)


def boost_source() -> st.SearchStrategy[JSON]:
    return st.one_of(obj({"source": "premium", "user": user(STRANGER_IDS)}),
                     obj({"source": "gift_code", "user": user(STRANGER_IDS)}))


def _for_each(chats: tuple[int, ...],
              make: Callable[[int], st.SearchStrategy[Case]]) -> st.SearchStrategy[Case]:
    return st.sampled_from([make(c) for c in chats]).flatmap(lambda s: s)


def _stranger_cases() -> list[st.SearchStrategy[Case]]:
    """Updates about no chat, from users the bot may not answer in a message."""
    someone = user(st.sampled_from(SILENT) | STRANGER_IDS)
    return [
        st.builds(_case("inline_query", None), obj(
            {"id": st.just(MARK), "from": someone, "query": texts(), "offset": texts(huge=False)},
            opt(chat_type=st.sampled_from(["sender", "private", "group", "channel"]),
                location=obj({"latitude": coords, "longitude": coords}))), mutations()),
        st.builds(_case("chosen_inline_result", None), obj(
            {"result_id": st.just(MARK), "from": someone, "query": texts()},
            opt(inline_message_id=st.just("im" + MARK))), mutations()),
        st.builds(_case("shipping_query", None), obj(
            {"id": st.just(MARK), "from": someone, "invoice_payload": texts(huge=False),
             "shipping_address": obj({k: texts(huge=False) for k in (
                 "country_code", "state", "city", "street_line1", "street_line2",
                 "post_code")})}), mutations()),
        st.builds(_case("pre_checkout_query", None), obj(
            {"id": st.just(MARK), "from": someone, "currency": st.sampled_from(["XTR", "CNY"]),
             "total_amount": st.one_of(st.integers(0, 10**6), ABSURD_INTS),
             "invoice_payload": texts(huge=False)}), mutations()),
        st.builds(_case("poll", None), poll(), mutations()),
        st.builds(_case("poll_answer", None), obj(
            {"poll_id": st.just(MARK), "option_ids": st.lists(st.integers(-1, 2**31), max_size=3),
             "option_persistent_ids": st.lists(st.just("o" + MARK), max_size=3)},
            opt(user=someone)), mutations()),
        st.builds(_case("managed_bot", None), obj(
            {"user": someone, "bot": user(STRANGER_IDS, bot=True)}), mutations()),
        st.builds(_case("purchased_paid_media", None), obj(
            {"from": someone, "paid_media_payload": texts(huge=False)}), mutations()),
        st.builds(lambda key, body, ops: Case("future", None, {key: body}, ops),
                  st.sampled_from(["fz_future_kind", "story", "guest_query"]),
                  json_values, mutations()),
    ]


def branches() -> list[st.SearchStrategy[Case]]:
    """One strategy per kind of update and audience (talkers' twice: they matter most)."""
    talker_in_group = user(st.sampled_from(TALKERS))
    talk = [
        # private chats that may be answered: messages, commands, media, button presses
        _for_each(TALKERS, lambda c: st.builds(_case("message", c),
                                               message(c, user(c)), mutations())),
        _for_each(TALKERS, lambda c: st.builds(_case("message", c),
                                               message(c, user(c)), mutations())),
        _for_each(TALKERS, lambda c: callback(c, user(c), callback_data)),
        _for_each(TALKERS, lambda c: callback(c, user(c), callback_data)),
        # groups: /help, /bind, text, the bot added, migrations, presses on group messages
        _for_each(GROUPS, lambda c: st.builds(_case("message", c),
                                              message(c, talker_in_group), mutations())),
        _for_each(GROUPS, lambda c: st.builds(_case("message", c), message(
            c, talker_in_group, service=True), mutations())),
        _for_each(GROUPS, lambda c: callback(c, talker_in_group, callback_data)),
        _for_each(GROUPS, lambda c: st.builds(_case("my_chat_member", c), member_update(
            c, bot=True, staying=True), mutations())),
        # a fresh user agreeing to the consent text: may store that person, nothing else
        st.builds(lambda case: case, callback(
            0, user(CONSENT_ID), st.builds(lambda lang, code: f"ob:y:{lang}:{code}",
                                           st.sampled_from(LANGS),
                                           st.sampled_from(["", MARK, REF + "J"])),
            consent=True)),
    ]
    silent = [
        # never answered in a message: edits, business messages, service and empty messages
        _for_each(SILENT, lambda c: st.builds(_case("edited_message", c), message(
            c, user(c)).map(_edited), mutations())),
        _for_each(SILENT, lambda c: st.builds(_case("message", c), message(
            c, user(c), service=True), mutations())),
        _for_each(SILENT, lambda c: st.builds(_case("business_message", c), message(
            c, user(c), business=True), mutations())),
        _for_each(SILENT, lambda c: st.builds(_case("edited_business_message", c), message(
            c, user(c), business=True).map(_edited), mutations())),
        # a guest query is answered through answerGuestQuery, never in the chat
        _for_each(SILENT, lambda c: st.builds(_case("guest_message", c), message(
            c, user(c)).map(lambda m: {**m, "guest_query_id": "gq" + MARK}), mutations())),
        _for_each(SILENT, lambda c: st.builds(_case("business_connection", c), obj(
            {"id": st.just("bc" + MARK), "user": user(c), "user_chat_id": c, "date": dates,
             "is_enabled": st.booleans()}), mutations())),
        _for_each(SILENT, lambda c: st.builds(_case("deleted_business_messages", c), obj(
            {"business_connection_id": st.just("bc" + MARK), "chat": chat_for(c),
             "message_ids": st.lists(small_ids, max_size=3)}), mutations())),
        _for_each(SILENT, lambda c: st.builds(_case("my_chat_member", c),
                                              member_update(c, bot=True), mutations())),
        _for_each(SILENT + SILENT_GROUPS, lambda c: st.builds(_case("message_reaction", c), obj(
            {"chat": chat_for(c), "message_id": small_ids, "date": dates,
             "old_reaction": reaction_list(), "new_reaction": reaction_list()},
            opt(user=user(c if c > 0 else STRANGER_IDS))), mutations())),
        _for_each(SILENT_GROUPS, lambda c: st.builds(_case("edited_message", c), message(
            c, user(st.sampled_from(TALKERS))).map(_edited), mutations())),
        _for_each(SILENT_GROUPS, lambda c: st.builds(_case("message", c), message(
            c, user(st.sampled_from(TALKERS) | STRANGER_IDS), service=True), mutations())),
        _for_each(SILENT_GROUPS, lambda c: st.builds(_case("chat_member", c),
                                                     member_update(c, bot=False), mutations())),
        _for_each(SILENT_GROUPS, lambda c: st.builds(_case("chat_join_request", c), obj(
            {"chat": chat_for(c), "from": user(STRANGER_IDS), "user_chat_id": STRANGER_IDS,
             "date": dates}, opt(bio=texts(huge=False))), mutations())),
        # channels: posts and their edits, boosts, reaction counts, the bot's membership
        _for_each(CHANNELS, lambda c: st.builds(_case("channel_post", c),
                                                message(c, None), mutations())),
        _for_each(CHANNELS, lambda c: st.builds(_case("edited_channel_post", c), message(
            c, None).map(_edited), mutations())),
        _for_each(CHANNELS + SILENT_GROUPS, lambda c: st.builds(
            _case("message_reaction_count", c), obj(
                {"chat": chat_for(c), "message_id": small_ids, "date": dates,
                 "reactions": st.lists(obj({"type": obj({"type": "emoji", "emoji": "👍"}),
                                            "total_count": ABSURD_INTS}), max_size=2)}),
            mutations())),
        _for_each(CHANNELS, lambda c: st.builds(_case("chat_boost", c), obj(
            {"chat": chat_for(c), "boost": obj({"boost_id": st.just(MARK), "add_date": dates,
                                                "expiration_date": dates,
                                                "source": boost_source()})}), mutations())),
        _for_each(CHANNELS, lambda c: st.builds(_case("removed_chat_boost", c), obj(
            {"chat": chat_for(c), "boost_id": st.just(MARK), "remove_date": dates,
             "source": boost_source()}), mutations())),
        _for_each(CHANNELS, lambda c: st.builds(_case("my_chat_member", c),
                                                member_update(c, bot=True), mutations())),
    ]
    return [*talk, *talk, *silent, *_stranger_cases()]


def updates() -> st.SearchStrategy[Case]:
    """Any update, of every kind the Bot API has (and some it may have one day)."""
    # picked evenly (st.one_of favours its first branches)
    return st.sampled_from(branches()).flatmap(lambda s: s)


def _edited(message: JSON) -> JSON:
    return {**message, "edit_date": message["date"] + 60}


# -- mutations --------------------------------------------------------------------------------

def mutations() -> st.SearchStrategy[list[tuple[str, int, Any]]]:
    """Up to three changes to make to the built update: (operation, which field, new value)."""
    op = st.one_of(
        st.tuples(st.just("drop"), st.integers(0, 10**6), st.none()),
        st.tuples(st.just("extra"), st.integers(0, 10**6),
                  st.tuples(st.sampled_from(["fz_unknown", "FZ" + MARK, "is_from_offline",
                                             "quote", "paid_star_count"]), json_values)),
        st.tuples(st.just("wrong"), st.integers(0, 10**6), json_values),
        st.tuples(st.just("null"), st.integers(0, 10**6), st.none()),
        st.tuples(st.just("huge"), st.integers(0, 10**6), texts(huge=True)),
        st.tuples(st.just("empty"), st.integers(0, 10**6), st.just("")),
        st.tuples(st.just("absurd"), st.integers(0, 10**6), ABSURD_INTS | HUGE_INTS),
    )
    return st.one_of(st.just([]), st.just([]), st.lists(op, min_size=1, max_size=3))


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return type(value).__name__


def _slots(node: Any, holder: str, path: tuple[str, ...]) -> list[tuple[Any, Any, str, tuple]]:
    """Every (container, key, container's field, path) below `node`."""
    found: list[tuple[Any, Any, str, tuple]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((node, key, holder, path))
            found += _slots(value, key, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((node, index, holder, path))
            found += _slots(value, holder, (*path, str(index)))
    return found


def _required(container: Any, key: Any, holder: str, extras: set[tuple[int, str]]) -> bool:
    if isinstance(container, list) or (id(container), key) in extras:
        return False  # an item of a list (dropping it leaves a shorter list), or an extra
    if holder == "":
        return True  # the update's own kind
    return key in REQUIRED.get(holder, frozenset(container))


def _identifier(key: Any) -> bool:
    """Ids are Telegram's to give: another value is not the same thing any more."""
    return isinstance(key, str) and (key == "id" or key.endswith("_id"))


def mutate(update: JSON, ops: list[tuple[str, int, Any]]) -> tuple[bool, list[str]]:
    """Apply the mutations in place (never to update_id); True while the update still follows
    the Bot API's types and required fields. Returns that and a description of each change."""
    conformant, done = True, []
    extras: set[tuple[int, str]] = set()  # unknown fields added here may go again
    for name, pick, value in ops:
        slots = [s for s in _slots(update, "", ()) if s[3] or s[1] != "update_id"]
        if name in ("huge", "empty"):
            slots = [s for s in slots if isinstance(s[0][s[1]], str)]
        elif name == "absurd":
            slots = [s for s in slots if s[1] in SIZE_KEYS and _type(s[0][s[1]]) == "int"]
        elif name == "extra":
            slots = [s for s in slots if isinstance(s[0][s[1]], dict)]
        if name == "extra" and pick % 4 == 0:
            slots = [({"": update}, "", "", ())]  # an unknown field on the update itself
        if not slots:
            continue
        container, key, holder, path = slots[pick % len(slots)]
        where = "/".join((*path, str(key)))
        if name == "drop":
            conformant &= not _required(container, key, holder, extras)
            if isinstance(container, list):
                container.pop(key)
            else:
                del container[key]
        elif name == "extra":
            extra_key, extra_value = value
            container[key][extra_key] = copy.deepcopy(extra_value)
            extras.add((id(container[key]), extra_key))
            where += "/" + extra_key
        elif name == "null":
            conformant &= not isinstance(container, list) and not _identifier(key) and \
                not _required(container, key, holder, extras)
            container[key] = None
        elif name == "wrong":  # still conformant only as another value of a free scalar
            old = container[key]
            conformant &= _type(value) == _type(old) and not _identifier(key) and not \
                isinstance(old, dict | list) and (not isinstance(old, str) or key in FREE_TEXT) \
                and (_type(old) != "int" or abs(value) <= MAX_EXACT)
            container[key] = copy.deepcopy(value)
        elif name == "absurd":  # the same type, an extreme value
            conformant &= abs(value) <= MAX_EXACT
            container[key] = value
        else:  # huge, empty: the same type, and still a value a free text field may have
            conformant &= key in FREE_TEXT
            container[key] = value
        done.append(f"{name} {where}")
    return conformant, done


def substitute(node: Any, replace: Callable[[Any], Any]) -> Any:
    """A copy of `node` with `replace` applied to every value, depth first."""
    if isinstance(node, dict):
        if len(node) == 1 and HOLE in node:
            return replace(node)
        return {k: substitute(v, replace) for k, v in node.items()}
    if isinstance(node, list):
        return [substitute(v, replace) for v in node]
    return replace(node)


# -- raw webhook bodies -----------------------------------------------------------------------

BAD_UPDATE_IDS = ("123", "", True, False, 5.0, 1e30, 2**63, 2**53, -1, -(2**63), None, [1],
                  {"id": 1}, 12.5)


def webhook_cases() -> st.SearchStrategy[Case]:
    """Updates as a webhook receives them: mostly good ones, some that must be refused."""
    bad = st.sampled_from([
        st.builds(lambda case, bad_id: replace(case, raw="bad_id", raw_value=bad_id),
                  updates(), st.sampled_from(BAD_UPDATE_IDS)),
        st.builds(lambda body: Case("raw", None, {}, raw="not_json", raw_value=body),
                  st.sampled_from([MARK + " not json {", "", "{\"update_id\": 1", "\xff\xfe",
                                   "{'update_id': 1}", "NaN", "{\"update_id\": NaN}",
                                   "[" * 50_000, '{"update_id": 7, "x": ' + "[" * 1_500
                                   + "]" * 1_500 + "}"])),
        st.builds(lambda value: Case("raw", None, {}, raw="non_object", raw_value=value),
                  st.one_of(st.lists(json_scalars, max_size=3), json_scalars)
                  .filter(lambda v: not isinstance(v, dict))),
        st.builds(lambda case: replace(case, raw="no_id"), updates()),
        st.builds(lambda case, size: replace(case, raw="oversize", raw_value=size),
                  updates(), st.integers(1024 * 1024 + 1, 3 * 1024 * 1024)),
        st.builds(lambda n: Case("duplicate", None, {}, raw="duplicate", raw_value=n),
                  st.integers(0, 10**6)),  # which earlier update comes again
        st.builds(lambda case: replace(case, raw="wrong_secret"), updates()),
    ]).flatmap(lambda s: s)
    return st.sampled_from([updates()] * 6 + [bad]).flatmap(lambda s: s)


def body_of(update: JSON, raw: str | None, raw_value: Any) -> bytes:
    """The HTTP body a webhook case posts."""
    if raw == "not_json":  # "\xff\xfe" stays those two bytes: not even UTF-8
        text = str(raw_value)
        return text.encode("latin-1") if all(ord(c) < 256 for c in text) else text.encode()
    if raw == "non_object":
        return json.dumps(raw_value).encode()
    if raw == "oversize":
        padded = {**update, "fz_padding": "x" * int(raw_value)}
        return json.dumps(padded).encode()
    return json.dumps(update).encode()

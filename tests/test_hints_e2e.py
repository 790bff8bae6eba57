"""Every hint that names a command comes with a button that does it (#13): nobody has to type
"/help". The catalog is walked: each message naming a command has a scenario below, end to end
through the emulator in zh_CN and en, in which the bot sends it with the command's button, and
pressing that button answers as the command does (as a new message; the hint stays)."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable

import pytest
from babel.messages.pofile import read_po

from bot import hints
from bot.catalog import po_path
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, Translator, tr
from models.onboarding import request_membership
from models.people import Relation, Role
from models.pledges import Signers
from tests.conftest import COMMUNITY, ROOM_101, person, place, published_pledge, resident

STAFF = 900
Scenario = Callable[..., Awaitable[None]]


def plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


def words(_: Translator, message: str, **params: object) -> str:
    """A piece of the message as the chat shows it: its longest stretch without HTML or a
    placeholder."""
    text = plain(_(message, **params) if params else _(message))
    return max(re.split(r"\{[^}]*\}", text), key=len).strip()[:30]


async def pressed(env, user: int, hinted: dict, command: str, _: Translator, answer: str,
                  chat_id: int | None = None) -> dict:
    """Press the command's button on the hint's message; the answer comes as a new message,
    and the hint's message keeps its text."""
    label = _(hints.command(command).hint)
    assert label in env.buttons(hinted), (label, env.buttons(hinted))
    answered = await env.tap_on(user, label, on=hinted, expect=answer)
    assert answered["message_id"] != hinted["message_id"]
    return answered


async def staff(env, language: str = "en") -> object:
    await env.user("Wang", id=STAFF, language_code="en")
    async with env.db.session() as s:
        return await person(s, STAFF, "王主任", language=language, role=Role.STAFF,
                            at=COMMUNITY)


# --- one scenario per message that names a command ------------------------------------------


async def not_understood(env, language: str, user: int) -> None:
    _ = tr(language)
    await env.user("Ann", id=user, language_code="en" if language == "en" else "zh")
    hinted = await env.say(user, "hello?", words(_, "I did not understand that. Send /help "
                                                    "to see what I can do."))
    await pressed(env, user, hinted, "help", _, plain(_("<b>What I can do</b>")))


async def stale_button(env, language: str, user: int) -> None:
    _ = tr(language)
    await env.user("Ann", id=user, language_code="en" if language == "en" else "zh")
    helped = await env.say(user, "/help", plain(_("<b>What I can do</b>")))
    since = env.mark()
    toast = await env.tap(user, data="zz:nonsense", forge=True, message_id=helped["message_id"])
    message = "This button is no longer valid. Send /help to start again."
    assert toast["text"] == _(message)
    hinted = await env.wait(user, words(_, message), since=since)
    await pressed(env, user, hinted, "help", _, plain(_("<b>What I can do</b>")))


async def not_registered(env, language: str, user: int) -> None:
    _ = tr(language)
    await env.user("Ann", id=user, language_code="en" if language == "en" else "zh")
    hinted = await env.say(user, "/me", words(_, "You are not registered yet. Send /start to "
                                                 "join your community."))
    await pressed(env, user, hinted, "start", _, "Please choose your language")


async def declined(env, language: str, user: int) -> None:
    _ = tr(language)
    await env.user("Ann", id=user, language_code="en" if language == "en" else "zh")
    since = env.mark()
    await env.client.send(user, "/start")
    mine = "✓ " + LANGUAGE_NAMES[language]  # (preselected from Telegram's language)
    choose = await env.wait_for(user, since=since, button=mine)
    consent = await env.tap_on(user, mine, on=choose, button=_("Decline"))
    hinted = await env.tap_on(user, _("Decline"), on=consent,
                              expect=words(_, "Nothing was stored. Send /start any time if "
                                              "you change your mind."))
    await pressed(env, user, hinted, "start", _, "Please choose your language")


async def welcome(env, language: str, user: int) -> None:
    _ = tr(language)
    approver = await staff(env)
    await env.user("Ann", id=user, language_code="en" if language == "en" else "zh")
    since = env.mark()
    async with env.db.session() as s:
        await resident(s, approver, user, ROOM_101, language=language)
    await env.drain_outbox()
    hinted = await env.wait(user, words(_, "Welcome! You are now registered at {place} as "
                                           "{relation}. Send /help to see what you can do."),
                            since=since)
    await pressed(env, user, hinted, "help", _, plain(_("<b>What I can do</b>")))


async def not_signed(env, language: str, user: int) -> None:
    _ = tr(language)
    approver = await staff(env)
    await env.user("Ann", id=user, language_code="en" if language == "en" else "zh")
    async with env.db.session() as s:
        await resident(s, approver, user, ROOM_101, language=language)
        pledge_id = await published_pledge(s, approver, COMMUNITY, "Fire safety",
                                           "Keep the stairs free.", signers=Signers.RESIDENT)
    asked = await env.say(user, f"/start pledge_{pledge_id}", words(_, "Have you read it? "
                                                                       "Sign below."))
    confirm = await env.tap_on(user, _("✍️ I agree and sign"), on=asked,
                               button=_("✅ Confirm and sign"))
    hinted = await env.tap_on(user, _("Cancel"), on=confirm,
                              expect=words(_, "Not signed. You can sign later with /pledges."))
    await pressed(env, user, hinted, "pledges", _, plain(_("<b>Open pledges</b>")))


async def only_verified(env, language: str, user: int) -> None:
    _ = tr(language)
    approver = await staff(env)
    await env.user("Ann", id=user, language_code="en" if language == "en" else "zh")
    async with env.db.session() as s:
        waiting = await person(s, user, "Ann", language=language)
        await request_membership(s, person=waiting, relation=Relation.OWNER,
                                 household_id=(await place(s, ROOM_101)).id)
        pledge_id = await published_pledge(s, approver, COMMUNITY, "Fire safety",
                                           "Keep the stairs free.", signers=Signers.RESIDENT)
    hinted = await env.say(user, f"/start pledge_{pledge_id}",
                           words(_, "Only verified residents can sign. Your registration has "
                                    "not been approved yet; send /me to see it."))
    await pressed(env, user, hinted, "me", _, plain(_("<b>My households</b>")))


async def delivered(env, language: str, user: int) -> None:
    _ = tr(language)
    await staff(env, language)
    await env.say(STAFF, "/notice", words(_, "<b>New notice</b>\nSend me its text. You can also "
                                             "send a photo or a document (PDF, Word, Excel) "
                                             "with the text as its caption."))
    area = await env.say(STAFF, "Lift repairs.", words(_, "Who should get it? Choose the "
                                                          "area."))
    who = await env.tap_on(STAFF, _("✅ All of {place}", place="阳光社区"), on=area,
                           expect=words(_, "Who in that area?"))
    preview = await env.tap_on(STAFF, _("All residents"), on=who,
                               expect=words(_, "<b>Preview</b> — this is what people will "
                                               "get:"))
    since = env.mark()
    await env.tap(STAFF, _("📤 Send now"), message_id=preview["message_id"])
    message = ("✅ Notice #{id} delivered: sent {sent}, failed {failed}, unreachable "
               "{blocked}. Send /notices to see who has confirmed.")
    hinted = await env.wait_for(STAFF, words(_, message), since=since,
                                button=_(hints.command("notices").hint))
    await pressed(env, STAFF, hinted, "notices", _, plain(_("<b>Notices in your area</b>")))


async def anonymous_admin(env, language: str, user: int) -> None:
    """An anonymous admin writes as the group: the community's default language (zh_CN) for
    the group; the button is pressed by the staff member, who has a language of their own."""
    _group, _ = tr("zh_CN"), tr(language)
    await staff(env, language)
    group = await env.client.create_group("1栋 邻里群", [STAFF], admin_ids=[STAFF])
    chat = {"id": group["id"], "type": "group", "title": "1栋 邻里群"}
    since = env.mark()
    await env.client.inject({"message": {
        "message_id": 50, "date": int(time.time()), "chat": chat, "sender_chat": chat,
        "from": {"id": 1087968824, "is_bot": True, "first_name": "Group",
                 "username": "GroupAnonymousBot"},
        "text": "/bind", "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}})
    message = ("You are writing as the group (\"Remain anonymous\" is on), so I cannot tell who "
               "you are. Turn it off for a moment in the group's admin settings, or send /bind "
               "from your own account.")
    hinted = await env.wait(group["id"], words(_group, message), since=since)
    label = _group(hints.command("bind").hint)
    assert label in env.buttons(hinted)
    # the button knows who pressed it: the staff member, bound from their own account
    await env.tap_on(STAFF, label, on=hinted,
                     expect=words(_, "<b>{place}</b>: choose it all, or a part of it."))


SCENARIOS: dict[str, Scenario] = {
    "I did not understand that. Send /help to see what I can do.": not_understood,
    "This button is no longer valid. Send /help to start again.": stale_button,
    "You are not registered yet. Send /start to join your community.": not_registered,
    "Nothing was stored. Send /start any time if you change your mind.": declined,
    "Welcome! You are now registered at {place} as {relation}. Send /help to see what you can "
    "do.": welcome,
    "Not signed. You can sign later with /pledges.": not_signed,
    "Only verified residents can sign. Your registration has not been approved yet; send /me "
    "to see it.": only_verified,
    "✅ Notice #{id} delivered: sent {sent}, failed {failed}, unreachable {blocked}. Send "
    "/notices to see who has confirmed.": delivered,
    "You are writing as the group (\"Remain anonymous\" is on), so I cannot tell who you are. "
    "Turn it off for a moment in the group's admin settings, or send /bind from your own "
    "account.": anonymous_admin,
}


def catalog(language: str) -> dict[str, str]:
    with po_path(language).open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle, locale=language) if m.id}


def test_every_message_naming_a_command_has_a_scenario_and_a_button():
    for language in LANGUAGES:
        naming = {mid: text for mid, text in catalog(language).items() if hints.named(mid)}
        assert set(naming) == set(SCENARIOS), language
        for mid, text in naming.items():
            # the translation names the same commands: the button is found from it
            assert hints.named(text) == hints.named(mid), (language, mid)
            for name in hints.named(mid):
                assert hints.command(name).hint, name


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("message", list(SCENARIOS), ids=lambda m: m[:32])
async def test_the_hint_comes_with_its_button(env, message, language):
    await SCENARIOS[message](env, language, 11)

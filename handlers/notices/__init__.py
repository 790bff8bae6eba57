"""Notices, as the bot offers them: composing (`composing`), following what was sent
(`following`), what is still current for a resident (`current`), and how the outbox renders
them (`rendering`); the buttons are in `buttons`."""

from __future__ import annotations

from bot.feature import Command, Feature, MenuButton, MenuCommand, On
from bot.i18n import N_
from handlers.notices import buttons as b
from handlers.notices import composing, current, following
from handlers.notices.rendering import RENDERERS
from models.notices import NOTICE_SEND, send_scheduled

FEATURE = Feature(
    name="notices",
    commands=[Command("notice", composing.new_notice),
              Command("notices", following.list_notices, hint=N_("📢 Notices"))],
    buttons=[
        On(b.NewNotice, composing.new_notice),
        On(b.ListNotices, following.list_notices),
        On(b.Discard, composing.discard),
        On(b.Area, composing.area),
        On(b.PlaceChosen, composing.place_chosen),
        On(b.ChangeWho, composing.change_who),
        On(b.TagGroups, composing.tag_groups),
        On(b.TargetChosen, composing.target_chosen),
        On(b.TagChosen, composing.tag_chosen),
        On(b.Pin, composing.pin),
        On(b.Urgent, composing.urgent),
        On(b.OwnText, composing.own_text),
        On(b.ScheduleMenu, composing.schedule_menu),
        On(b.TypeTime, composing.type_time),
        On(b.SendAt, composing.send_at),
        On(b.BackToPreview, composing.back_to_preview),
        On(b.SendNow, composing.send_now),
        On(b.Cancel, following.cancel),
        On(b.GotIt, following.acknowledge),
        On(b.Status, following.status),
        On(b.Remind, following.remind),
        On(b.ValidMenu, current.valid_menu),
        On(b.ValidUntil, current.valid_until),
        On(b.OpenNotice, current.open_notice),
    ],
    # the steps its verbs ask with (models/notices/drafts.py): the text, per language, a time
    inputs={"text": composing.take_text, "text_en": composing.take_text,
            "text_zh_CN": composing.take_text, "when": composing.take_time},
    renderers=RENDERERS,
    shared_renderers=frozenset(RENDERERS),  # the same for every reader of one language
    effects={NOTICE_SEND: send_scheduled},
    waiting=current.waiting,
    menu=[MenuCommand("notices", N_("Recent notices"), "resident", 30),
          MenuCommand("notice", N_("Publish a notice"), "manager", 120)],
    menu_buttons=[MenuButton(N_("Notices"), b.ListNotices(), "resident", 30),
                  MenuButton(N_("📢 New notice"), b.NewNotice(), "manager", 60)],
)

"""Pledges (承诺书), the feature: residents read and sign (`reading`, `signing`); staff and grid
workers write one step by step (`drafting`, with the typed answers in `answers`), follow it
(`following`: progress, reminders, assisted signing, exports, posters) and change it
(`changes`: a new version, extend, close). `rendering` is how pledges read, in chats and in
the outbox; `buttons` are their codecs. The verbs are in models/pledges/.
"""

from __future__ import annotations

from bot.feature import Command, DeepLink, Feature, MenuButton, MenuCommand, On
from bot.i18n import N_
from handlers.pledges import answers, changes, drafting, following, reading, signing, waiting
from handlers.pledges import buttons as b
from handlers.pledges.rendering import RENDERERS, full_text
from models import pledges

__all__ = ["FEATURE", "full_text"]

FEATURE = Feature(
    name=pledges.FEATURE,
    commands=[Command("pledges", reading.my_pledges, hint=N_("✍️ My pledges")),
              Command("pledge", drafting.all_pledges)],
    deep_links=[DeepLink("pledge_", reading.deep_link, then=r"\d")],
    buttons=[
        On(b.MyPledges, reading.my_pledges), On(b.Read, reading.read),
        On(b.Sign, signing.ask_to_confirm), On(b.Confirm, signing.confirm),
        On(b.NotNow, signing.not_now),
        *[On(codec, handler) for codec, handler in drafting.BUTTONS.items()],
        On(b.Manage, following.manage), On(b.Progress, following.progress),
        On(b.ProgressPage, following.progress), On(b.Remind, following.remind),
        On(b.AssistList, following.assist_list), On(b.AssistPick, following.assist_pick),
        On(b.AssistConfirm, following.assist_confirm), On(b.Export, following.export),
        On(b.Poster, following.poster),
        On(b.NewText, changes.new_text), On(b.SaveText, changes.save_text),
        On(b.AskResign, changes.ask_resign), On(b.Extend, changes.extend),
        On(b.AskClose, changes.ask_close), On(b.CloseNow, changes.close_now),
    ],
    inputs=answers.INPUTS,
    renderers=RENDERERS,
    # the teasers depend on the pledge and the reader's language only: once per batch
    shared_renderers=frozenset({pledges.PUBLISHED, pledges.REMINDER, pledges.RESIGN}),
    effects=pledges.EFFECTS,
    waiting=waiting.waiting,
    menu=[MenuCommand("pledges", N_("Pledges to read and sign"), "resident", 40),
          MenuCommand("pledge", N_("Write and follow pledges"), "manager", 130)],
    menu_buttons=[MenuButton(N_("Pledges"), b.MyPledges(), "resident", 30),
                  MenuButton(N_("📜 Write or follow pledges"), b.AllPledges(), "manager", 70)],
)

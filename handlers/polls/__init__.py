"""Resident polls (#15), the feature: residents answer by buttons (`answering`: the polls of
my homes, the answer ticked in place and sent, mine so far, the result and its chart); staff
and grid workers write one (`drafting`, the typed question and options in `answers`) and
follow it (`following`: progress, reminders, closing, publishing the result, the lists as
files). `rendering` is how polls read, in chats and in the outbox; `buttons` are their
codecs; `exporting` is `linli polls export`. The verbs are in models/polls/.
"""

from __future__ import annotations

from bot.feature import CliCommand, Command, Feature, MenuButton, MenuCommand, On
from bot.i18n import N_
from handlers.polls import answering, answers, drafting, exporting, following, waiting
from handlers.polls import buttons as b
from handlers.polls.rendering import RENDERERS, SHARED
from models import polls
from models.polls import core

FEATURE = Feature(
    name=core.FEATURE,
    commands=[Command("polls", answering.my_polls, hint=N_("📊 Resident polls"))],
    buttons=[*[On(codec, handler) for codec, handler in answering.BUTTONS.items()],
             *[On(codec, handler) for codec, handler in drafting.BUTTONS.items()],
             *[On(codec, handler) for codec, handler in following.BUTTONS.items()]],
    inputs=answers.INPUTS,
    renderers=RENDERERS,
    shared_renderers=SHARED,
    effects=polls.EFFECTS,
    waiting=waiting.waiting,
    menu=[MenuCommand("polls", N_("Resident polls: answer, or run one"), "resident", 47)],
    menu_buttons=[MenuButton(N_("📊 Resident polls"), b.MyPolls(), "resident", 35),
                  MenuButton(N_("🗂 Run resident polls"), b.Polls(), "manager", 70)],
    cli=[CliCommand(exporting.add_cli)],
)

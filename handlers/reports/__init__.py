"""Photo reports (#16), the feature: a resident reports a problem by buttons in a private chat
(`reporting`: /report, photos, where, category, description, confirm; /myreports and a
report's history), staff and grid workers dispatch it and the assignee fixes it, the reporter
accepts or reopens it (`dispatching`). `rendering` is how reports read, in chats and in the
outbox; `buttons` are their codecs. The verbs are in models/reports/.

Not yet: #report in group chats and albums, sharing a location, escalation, "me too", the
numbers, Open311.
"""

from __future__ import annotations

from bot.feature import CliCommand, Command, Feature, MenuButton, MenuCommand, On
from bot.i18n import N_
from handlers.reports import buttons as b
from handlers.reports import cli, dispatching, reporting
from handlers.reports.rendering import RENDERERS
from models import reports
from models.reports import core, handling
from models.reports.tables import Step

FEATURE = Feature(
    name=core.FEATURE,
    commands=[Command("report", reporting.start, hint=N_("📸 Report a problem")),
              Command("myreports", reporting.my_reports, hint=N_("📋 My reports"))],
    buttons=[*[On(codec, handler) for codec, handler in reporting.BUTTONS.items()],
             *[On(codec, handler) for codec, handler in dispatching.BUTTONS.items()]],
    inputs={str(Step.PHOTOS): reporting.take_photo,
            str(Step.DESCRIPTION): reporting.take_description,
            **{str(step): reporting.take_other
               for step in (Step.PLACE, Step.CATEGORY, Step.CONFIRM)},
            handling.AFTER: dispatching.take_after_photo,
            handling.REOPEN: dispatching.take_reopen_reason},
    renderers=RENDERERS,
    effects=reports.EFFECTS,
    menu=[MenuCommand("report", N_("Report a problem with a photo"), "resident", 48),
          MenuCommand("myreports", N_("The problems I reported"), "resident", 49)],
    menu_buttons=[MenuButton(N_("📸 Report a problem"), b.NewReport(), "resident", 36),
                  MenuButton(N_("📋 My reports"), b.MyReports(), "resident", 36)],
    cli=[CliCommand(cli.add_cli)],
)

"""Notices (公告 / 通知): staff and grid workers publish to everyone under a place, to a role,
to owners or tenants only, or to a tag group; every recipient gets it once, through the outbox.

A notice is composed as a draft row (so a restart mid-dialog resumes), previewed with its exact
recipient count, then sent now or scheduled. Recipients are expanded into outbox rows in the
same transaction that confirms it (or when its due item fires). Residents acknowledge with
"Got it"; staff see acknowledgements per building and can remind those who have not.

By use case: `tables` (the rows and kinds), `drafts` (composing, and the questions it asks),
`sending` (confirm, schedule, cancel, progress), `following` (acknowledgements, reminders,
lists), `current` (what is still current for a person, also one who joined after it went
out). Everything public is importable from here.
"""

from models.notices.current import (
    current_for,
    is_current,
    listed_for,
    set_valid_until,
    shown_to,
    unacknowledged_for,
)
from models.notices.drafts import (
    LANGUAGES,
    Preview,
    ask_language_text,
    ask_time,
    author_scopes,
    check_text,
    open_draft,
    own_draft,
    own_notice,
    parse_time,
    preview,
    set_place,
    set_target,
    set_text,
    start_draft,
    toggle_pin,
    toggle_urgent,
)
from models.notices.following import (
    AckLine,
    Acknowledged,
    acknowledge,
    acknowledgements,
    managed_by,
    received_by,
    remind_unacknowledged,
)
from models.notices.sending import (
    Progress,
    awaits_progress_message,
    cancel,
    confirm,
    finish,
    progress,
    require_manager,
    schedule_at,
    send_scheduled,
    sending,
    set_progress_message,
)
from models.notices.tables import (
    FEATURE,
    HEADING_ROOM,
    INPUT_STEPS,
    MAX_CAPTION,
    MAX_TEXT,
    NOTICE,
    NOTICE_GROUP,
    NOTICE_REMINDER,
    NOTICE_SEND,
    Notice,
    NoticeAck,
    NoticeStatus,
    Target,
    audience_of,
    get_notice,
    sendable,
)
from models.tags import tag_person, tag_person_check  # (tags moved to models/tags.py)

__all__ = [
    "FEATURE", "HEADING_ROOM", "INPUT_STEPS", "LANGUAGES", "MAX_CAPTION", "MAX_TEXT", "NOTICE",
    "NOTICE_GROUP", "NOTICE_REMINDER", "NOTICE_SEND", "AckLine", "Acknowledged", "Notice",
    "NoticeAck", "NoticeStatus", "Preview", "Progress", "Target", "acknowledge",
    "acknowledgements",
    "ask_language_text", "ask_time", "audience_of", "author_scopes", "cancel", "check_text",
    "awaits_progress_message", "confirm", "finish", "get_notice", "managed_by", "open_draft",
    "own_draft", "own_notice",
    "parse_time", "preview", "progress", "received_by", "remind_unacknowledged",
    "require_manager", "schedule_at", "send_scheduled", "sendable", "sending", "set_place",
    "set_progress_message", "set_target", "set_text", "start_draft", "tag_person",
    "tag_person_check", "toggle_pin", "toggle_urgent", "current_for", "is_current",
    "listed_for", "set_valid_until", "shown_to", "unacknowledged_for",
]

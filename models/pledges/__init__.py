"""Pledges (承诺书): staff write one step by step, publish it to the residents of a place, and
edit, extend or close it; residents sign it; staff follow who has not.

One module per use case: `core` (the tables, loading, who may manage, who must sign),
`drafting` (the draft's steps, each asking for what it needs next), `publishing` (publish, the
automatic reminders and the closing report), `signatures` (the table, and where one person
stands under one pledge, read at once), `signing` (by the resident, or assisted),
`following` (progress, who has not signed, reminders, exports) and `changes` (a new version,
extend, close). Everything a caller needs is importable from here.
"""
# ruff: noqa: F401

from models.pledges.changes import (
    NewVersion,
    ask_to_resign,
    begin_edit,
    close_early,
    close_pledge,
    closing_pledge,
    extend,
    extend_pledge,
    pledges_for_manager,
    save_version,
)
from models.pledges.core import (
    ASSISTED,
    AUTO_REMIND,
    AUTO_REMIND_BEFORE,
    CLOSED,
    CLOSING_REPORT,
    FEATURE,
    INPUT_STEPS,
    MAX_BODY,
    MAX_TITLE,
    OTHER_LANGUAGES,
    PRIMARY,
    PUBLISHED,
    REMINDER,
    RESIGN,
    SCOPE_KINDS,
    TEXT_STEPS,
    Pledge,
    PledgeStatus,
    PledgeText,
    PledgeVersion,
    Signers,
    Step,
    duty_of,
    find_pledge,
    get_pledge,
    languages_of,
    manager_places,
    pending_text,
    place_label,
    place_of,
    require_manager,
    staff_member,
    text_hash,
    text_in,
    translated,
    viewer_paths,
    where,
)
from models.pledges.drafting import (
    add_text,
    audience_size,
    begin_translation,
    cancel_draft,
    cancel_translation,
    draft_at_scope,
    end_of_day_in,
    finish_body,
    finish_translation,
    go_to_step,
    parse_date,
    resume_draft,
    scope_choices,
    set_attachment,
    set_closing,
    set_scope,
    set_signers,
    start_draft,
    waiting_for_text,
)
from models.pledges.following import (
    NOT_SIGNED_SHOWN,
    ProgressReport,
    SignatureRow,
    Summary,
    Tally,
    UnitProgress,
    assist_choices,
    auto_remind,
    export_signatures,
    non_signers,
    poster_target,
    progress,
    progress_report,
    remind,
    remind_non_signers,
    signature_rows,
    summary,
    tally_by_child,
    totals,
)
from models.pledges.publishing import (
    Published,
    closing_report,
    publish,
    publish_pledge,
    report_closing,
    schedule_missing_reports,
    schedule_reminders,
)
from models.pledges.signatures import (
    Home,
    Signature,
    SignatureBrief,
    SignedHow,
    Standing,
    covering,
    eligible_home,
    signer_key,
    stand,
)
from models.pledges.signing import (
    MyPledge,
    SignatureView,
    Signed,
    assisted_candidate,
    open_for,
    reading,
    sign,
    sign_for_resident,
    sign_pledge,
    signature_view,
    signatures_of,
    signing_as,
)
from models.pledges.waiting import to_sign
from models.schedule import Effect

# due-item kind → effect (the feature declares them; the tick runs them)
EFFECTS: dict[str, Effect] = {AUTO_REMIND: auto_remind, CLOSING_REPORT: closing_report}

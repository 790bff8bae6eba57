"""Photo reports (随手拍, #16): a resident snaps a problem, staff dispatch it, the assignee
fixes it with an "after" photo, the reporter accepts it or reopens it.

By part: `tables`; `core` (the state machine, who may do what, the outbox and due kinds);
`categories` (per community, the defaults made on first use); `departments` (责任部门);
`drafting` (the reporter writes and sends one; the draft lives in the database);
`handling` (dispatch, deadline, reject, merge, start, fix, accept, reopen, closed by
default).
"""

from models.reports import tables  # noqa: F401  (registers the tables)
from models.reports.core import CLOSE_DUE
from models.reports.handling import close_due
from models.schedule import Effect

EFFECTS: dict[str, Effect] = {CLOSE_DUE: close_due}

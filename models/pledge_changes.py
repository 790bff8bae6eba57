"""(Moved to models/pledges/; this name stays only for older imports elsewhere.)"""

from models.pledges.changes import (  # noqa: F401
    ask_to_resign,
    begin_edit,
    close_early,
    extend,
    pledges_for_manager,
    save_version,
)

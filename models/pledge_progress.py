"""(Moved to models/pledges/ and models/participation.py; this name stays only for older
imports elsewhere.)"""

from models.pledges.core import viewer_paths  # noqa: F401
from models.pledges.following import (  # noqa: F401
    non_signers,
    progress,
    remind,
    signature_rows,
    tally_by_child,
    totals,
)

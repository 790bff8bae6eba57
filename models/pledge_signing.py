"""(Moved to models/pledges/; this name stays only for older imports elsewhere.)"""

from models.pledges.signing import Signature, SignedHow, open_for, sign  # noqa: F401

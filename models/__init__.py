"""The product: tables and domain services, one module per feature, no Telegram imports.

Importing this package registers every table on `Base.metadata` (for Alembic and tests).
"""

from models import groups, inbox, onboarding, outbox, people, places, schedule  # noqa: F401
from models.base import Base  # noqa: F401

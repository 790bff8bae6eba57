"""The product: tables and domain services, one module per feature, no Telegram imports.

Importing this package registers every table on `Base.metadata` (for Alembic and tests).
"""

from models import (  # noqa: F401
    asks,
    audience,
    audit,
    estates,
    groups,
    inbox,
    notices,
    onboarding,
    outbox,
    participation,
    people,
    permissions,
    places,
    pledges,
    polls,
    reports,
    schedule,
    votes,
)
from models.base import Base  # noqa: F401

"""Read-only queries about households."""
from __future__ import annotations

import sqlalchemy as sa

from survey_app.access import visible
from survey_app.accounts.models import User
from survey_app.collection.models import Household, HouseholdStatus

PAGE_SIZE = 50


def household_page(user: User, group_id: int, *, search: str = "", status: HouseholdStatus | None = None,
                   page: int = 1):
    """One page of a group's households, searchable by address or head's name."""
    query = sa.select(Household).where(
        Household.residential_group_id == group_id, visible(Household, user)
    )
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(Household.address).like(pattern),
                                   sa.func.lower(Household.head_name).like(pattern)))
    if status is not None:
        query = query.where(Household.status == status)
    from survey_app.extensions import db

    return db.paginate(query.order_by(Household.id), page=page, per_page=PAGE_SIZE, error_out=False)

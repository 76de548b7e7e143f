"""Read-only queries about accounts and their devices, scoped to what the admin manages."""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.access import manageable_users, manageable_wards
from survey_app.accounts.models import Role, User, UserSession
from survey_app.extensions import db, utcnow
from survey_app.wards.models import Ward

#: Most rows the account list shows at once (a ward has a few hundred accounts).
LIST_LIMIT = 500
#: Admins first, then team leaders, surveyors and the city roles.
ROLE_ORDER = (Role.WARD_ADMIN, Role.TEAM_LEADER, Role.SURVEYOR, Role.CITY_ADMIN, Role.CITY_VIEWER)


def managed_wards(actor: User) -> list[Ward]:
    return list(db.session.scalars(sa.select(Ward).where(manageable_wards(actor)).order_by(Ward.name)))


def _device_counts():
    """Per user: live sessions and the last time any of them was seen."""
    now = utcnow()
    return (
        sa.select(
            UserSession.user_id.label("user_id"),
            sa.func.count().filter(sa.and_(UserSession.ended_at.is_(None), UserSession.expires_at > now)).label("live"),
            sa.func.max(UserSession.last_seen_at).label("last_seen"),
        )
        .group_by(UserSession.user_id)
        .subquery()
    )


def account_rows(
    actor: User, *, q: str = "", role: str = "", status: str = "active", ward_id: int = 0, team_id: int = 0
) -> tuple[list[sa.Row], int]:
    """The accounts `actor` manages that match the filters, with live device counts; and the total matched."""
    devices = _device_counts()
    query = (
        sa.select(User, Ward.name.label("ward_name"), sa.func.coalesce(devices.c.live, 0).label("live"), devices.c.last_seen)
        .outerjoin(Ward, Ward.id == User.ward_id)
        .outerjoin(devices, devices.c.user_id == User.id)
        .where(manageable_users(actor))
    )
    if q:
        pattern = f"%{q.strip().lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(User.full_name).like(pattern), sa.func.lower(User.username).like(pattern), User.phone.like(pattern)
            )
        )
    if role:
        query = query.where(User.role == role)
    if status in ("active", "inactive"):
        query = query.where(User.active.is_(status == "active"))
    if ward_id:
        query = query.where(User.ward_id == ward_id)
    if team_id:
        query = query.where(User.survey_team_id == team_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rank = sa.case({role.value: i for i, role in enumerate(ROLE_ORDER)}, value=User.role, else_=len(ROLE_ORDER))
    rows = db.session.execute(query.order_by(Ward.name, rank, User.full_name).limit(LIST_LIMIT)).all()
    return rows, total

"""What reads the API tokens: a person's own, for their page."""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.odata.models import ApiToken


def tokens_of(user_id: int) -> list[ApiToken]:
    """The person's tokens, newest first."""
    return list(db.session.execute(sa.select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())).scalars())


def own_token(user_id: int, token_id) -> ApiToken | None:
    """One of the person's own tokens by id, or None (another person's token is not found either)."""
    try:
        key = int(token_id)
    except (TypeError, ValueError):
        return None
    token = db.session.get(ApiToken, key)
    return token if token is not None and token.user_id == user_id else None

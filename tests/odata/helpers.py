"""Tokens and requests for the OData tests, the way Excel's OData connector sends them."""

from __future__ import annotations

import base64

from survey_app.extensions import db
from survey_app.odata import operations

#: Headers Excel's and Power BI's OData connector (Power Query, "Microsoft.Data.Mashup") sends.
EXCEL = {
    "User-Agent": "Microsoft.Data.Mashup (https://go.microsoft.com/fwlink/?LinkID=304225)",
    "Accept": (
        "application/json;odata.metadata=minimal;q=1.0,application/json;odata=minimalmetadata;q=0.9,"
        "application/atomsvc+xml;q=0.8,application/atom+xml;q=0.8,application/xml;q=0.7,text/plain;q=0.7"
    ),
    "OData-Version": "4.0",
    "OData-MaxVersion": "4.0",
    "Accept-Encoding": "gzip, deflate",
}
#: What it asks for $metadata.
EXCEL_METADATA = {**EXCEL, "Accept": "application/xml"}


def make_token(user, name: str = "Excel", days: int = 365) -> str:
    """A token of `user` made as the tokens page makes it; committed."""
    _record, secret = operations.create_token(user, name, days)
    db.session.commit()
    return secret


def basic(username: str, secret: str) -> dict:
    """Excel's "Basic" credential: the username, and the token as the password."""
    value = base64.b64encode(f"{username}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {value}"}


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def feed(ward, central: bool = False) -> str:
    if central:
        return f"/v1/projects/{ward.id}/forms/household_survey.svc"
    return f"/odata/{ward.id}/household_survey.svc"

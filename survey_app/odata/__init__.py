"""Live data for Excel, Power BI, pyodk and ruODK: an OData v4 feed of the household survey, read with
personal API tokens.

The feed is served twice with the same views: at /odata/<ward>/<form>.svc, and in ODK Central's layout
(/v1/sessions, /v1/projects/<ward>/forms/<form>.svc/...) so that scripts written for Central read a ward
unchanged (a Central "project" is a ward here). It shows what the exports show (survey_app.exports:
the same scope, the same pseudonyms for non-admins), one entity set per table: the submissions, and each
repeat (the members) in its own set. Pages: "API tokens" on the person's own account page, where
tokens are created, named and revoked.
"""

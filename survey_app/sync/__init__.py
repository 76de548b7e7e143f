"""The sync core: the envelope every phone record travels in, and the one loop that stores it.

`envelope` holds what every record shares (its UUID, canonical hash, size limits, JSON parsing, the
receipt the phone keeps). `core` stores one record or a batch: each record inside its own SAVEPOINT,
duplicate and conflict detection by UUID, retries when a concurrent request wins a race, the audit of
refusals. What a record *is* belongs to a handler registered per kind (`core.register`): the household
visit and survey (survey_app.collection.handler) and the support event (survey_app.support.handler).
Neither handler imports the other; both import only this package and their own modules.
"""

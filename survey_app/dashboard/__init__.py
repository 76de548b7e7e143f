"""Ward dashboard and coverage maps: coverage, daily progress, indicators, the city roll-up.

Pages: /dashboard (ward staff: their ward; team leaders: their team's groups), /dashboard/ward/<id>,
/dashboard/city (city viewers). JSON under /api/dashboard/wards/<id>/... and /api/dashboard/city.

Indicators are read from derived rows (models.PersonIndicator, one per interviewed adult, and
models.IndicatorTally, the headline sums per group). Whoever stores a household submission or
changes its review status writes an outbox row (survey_app.sync.outbox) in the same transaction; the
worker's tick (tasks.py) derives from it in batches and stamps each ward's freshness
(models.FiguresFreshness), which the dashboard shows. ``indicators.rebuild_indicators(ward_id)`` (or
``survey-app dashboard rebuild-indicators``) re-derives a whole ward, e.g. after the scoring rules change.
"""

"""Survey rounds: the same households surveyed again, each round's figures kept, and what changed.

Round 1 is the baseline. Starting a round closes the one before: its coverage and every adult's
figures are kept (SurveyRound.figures, round_people), the households go back to "not visited", and
the dashboard counts the submissions of the new round only (dashboard.indicators.latest_by_round). An
interview of a closed round that arrives late is added to that round's rows (operations.keep_late).
"""

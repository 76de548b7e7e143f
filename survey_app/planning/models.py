"""Models of planning."""

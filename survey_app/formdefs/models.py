"""Models of formdefs."""

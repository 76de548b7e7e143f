"""Classes held: the sessions of a planned class, the attendance taken at them, and who completed a module.

A session (buổi học) belongs to a class of the training plan (planning). Attendance is a phone record
of kind "attendance", sent through the sync core like visits and support events, offline too.
"""

"""Access logs name the route, never the raw path or query: enrollment, set-password and self-survey
tokens sit in paths, and name searches in query strings (?q=Nguyễn…).

Two servers write access logs: gunicorn in production (`gunicorn -c python:survey_app.gunicorn_conf`,
whose logger class is RouteLogger below) and Werkzeug's development server (`survey-app run`), whose
"werkzeug" logger gets a RouteFilter from the app factory.
"""

from __future__ import annotations

import logging
import re

from flask import request, request_started
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

#: Logged in place of a path no route matches (it could be a mistyped token).
UNMATCHED = "<unmatched>"


def route_text(rule: Rule | None, path: str) -> str:
    """The rule's pattern (/enroll/<token>); a static file's own path, which names no one."""
    if rule is None:
        return UNMATCHED
    return path if rule.endpoint == "static" else rule.rule


#: Where the app leaves each request's route for the server's logger (Flask drops its request object
#: from the environ before gunicorn logs the request).
ROUTE_KEY = "survey.route"


def tag_route(sender, **extra) -> None:
    """On Flask's request_started signal: remember the route in the WSGI environ."""
    request.environ[ROUTE_KEY] = route_text(request.url_rule, request.path)


def route_of_environ(environ) -> str:
    """The route of a request the app has seen; UNMATCHED for one it never saw."""
    return environ.get(ROUTE_KEY) or UNMATCHED


def route_of_path(url_map: Map, method: str, path: str) -> str:
    """The route of a raw path, matched against the app's URL map (the query string is dropped)."""
    path = path.split("?", 1)[0]
    try:
        rule, _ = url_map.bind("localhost").match(path, method=method, return_rule=True)
    except HTTPException:  # no route, wrong method, or a redirect to the path with a slash
        return UNMATCHED
    return route_text(rule, path)


_ANSI = r"(?:\x1b\[[\d;]*m)*"
_REQUEST_LINE = re.compile(
    rf"^(?P<pre>{_ANSI})(?P<method>[A-Z]+) (?P<path>.*) (?P<proto>HTTP/[\d.]+)(?P<post>{_ANSI})$", re.DOTALL
)


class RouteFilter(logging.Filter):
    """On the "werkzeug" logger: rewrites `"GET /enroll/abc?x=y HTTP/1.1" 200 -` to `"GET /enroll/<token> ..."`."""

    def __init__(self, url_map: Map):
        super().__init__()
        self.url_map = url_map

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        args = record.args if isinstance(record.args, tuple) else ()
        if message.endswith('"%s" %s %s') and len(args) == 3:
            record.args = (self.request_line(str(args[0])), *args[1:])
        elif "code %d, message %s" in message and len(args) == 2:
            record.args = (args[0], "-")  # http.server quotes the bad request line here
        return True

    def request_line(self, line: str) -> str:
        found = _REQUEST_LINE.match(line)
        if found is None:
            return "<bad request line>"
        route = route_of_path(self.url_map, found["method"], found["path"])
        return f"{found['pre']}{found['method']} {route} {found['proto']}{found['post']}"


def install(app) -> None:
    """Tag each request with its route (for gunicorn) and put one RouteFilter on the "werkzeug" logger,
    bound to this app's URL map (apps made later replace it)."""
    request_started.connect(tag_route, app)
    logger = logging.getLogger("werkzeug")
    for old in [f for f in logger.filters if isinstance(f, RouteFilter)]:
        logger.removeFilter(old)
    logger.addFilter(RouteFilter(app.url_map))


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is only needed in production
    _GunicornLogger = None

#: Request and response headers an access-log format may still show (cookies, referers carrying
#: tokens, Location headers carrying ?next=... never are).
SAFE_HEADERS = frozenset({"{user-agent}i", "{x-forwarded-for}i", "{x-request-id}i", "{content-type}o", "{content-length}o"})

if _GunicornLogger is not None:

    class RouteLogger(_GunicornLogger):
        """gunicorn's logger with the request line, path, query and referer replaced by the route,
        whatever access_log_format asks for; environ atoms and other headers are left out."""

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            route = route_of_environ(environ)
            for key in [k for k in atoms if k.startswith("{") and k not in SAFE_HEADERS]:
                del atoms[key]
            atoms.update(
                r=f"{environ.get('REQUEST_METHOD', '-')} {route} {environ.get('SERVER_PROTOCOL', '-')}", U=route, q="-", f="-"
            )
            return atoms

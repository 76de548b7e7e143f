"""gunicorn settings for production:

    gunicorn -c python:survey_app.gunicorn_conf -w 4 -b 127.0.0.1:8000 'survey_app:create_app()'

The access log names the route (/enroll/<token>), never the raw path, query string or referer,
so tokens and name searches stay out of it (see survey_app.accesslog).
"""

accesslog = "-"
logger_class = "survey_app.accesslog.RouteLogger"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


def post_worker_init(worker):
    """Parse the shipped forms as each worker process starts, before it takes a request."""
    from survey_app.formdefs import shipped

    shipped.warm()

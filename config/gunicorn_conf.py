"""gunicorn settings for `make run`, the Dockerfile and Kubernetes (`-c config/gunicorn_conf.py`).

The access log records the path without its query string (``%(U)s``, not ``%(r)s``) and no
referrer: query strings and referrers carry card numbers, e-mail addresses and search terms,
and the access log does not go through the platform's masking log filter.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'

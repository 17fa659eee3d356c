"""Settings shared by every environment. Everything that differs between machines comes from the
environment through one django-environ ``env`` (cookiecutter-django); production.py only adds what
the environment must not be able to turn off.

One module per concern; each imports the names it needs from the ones it builds on:
core (apps, middleware, database, cache, static files), security (auth, audit keys, data
lifecycle, browser security, request limits), api (DRF, OpenAPI, quotas), workers (Celery,
notifications, jobs), observability (logging, health, the operator console), runtime (the
inference worker, knowledge graphs). Once all are loaded, verticals merges what each vertical
declares in its ``vertical.py`` (beat entries, task routes, enum names, panels, hooks and its
own settings).
"""

from .api import *  # noqa: F403
from .core import *  # noqa: F403
from .observability import *  # noqa: F403
from .runtime import *  # noqa: F403
from .security import *  # noqa: F403
from .verticals import merge
from .workers import *  # noqa: F403

merge(globals())

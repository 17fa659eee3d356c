"""System checks of the audit log: anchors outside the database must be configured.

Without AUDIT_ANCHOR_URL, someone with full database access can erase history undetected:
``check`` warns (development), ``check --deploy`` fails (production).
"""

from django.conf import settings
from django.core import checks

from .anchors.store import open_store

NO_ANCHORS = (
    "AUDIT_ANCHOR_URL is not set: audit checkpoints are not anchored outside the database, so "
    "erasing audit history with database access goes undetected"
)
HINT = "Set AUDIT_ANCHOR_URL=file:///worm/volume or s3://bucket/prefix (Object Lock)."


def _url_problems(error_class, code):
    url = getattr(settings, "AUDIT_ANCHOR_URL", "")
    if not url:
        return [error_class(NO_ANCHORS, hint=HINT, id=code)]
    try:
        open_store(url) if url.startswith("file://") else None
    except ValueError as exc:
        return [checks.Error(str(exc), hint=HINT, id="audit.E002")]
    return []


@checks.register(checks.Tags.security)
def anchors_configured(app_configs, **kwargs):
    """Warn when anchoring is off."""
    return _url_problems(checks.Warning, "audit.W001")


@checks.register(checks.Tags.security, deploy=True)
def anchors_configured_for_deploy(app_configs, **kwargs):
    """``check --deploy``: anchoring off is an error."""
    return _url_problems(checks.Error, "audit.E001")

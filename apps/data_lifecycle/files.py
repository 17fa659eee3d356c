"""The platform's own files in the lifecycle: tenant export archives under PRIVACY_EXPORT_ROOT.

Everything else a tenant uploads is kept in the database (encrypted at rest); the one kind of
file the platform writes with personal data in clear is a tenant export (``export``: JSON lines
per table in a zip, ``tenant.json`` naming the tenant). A subject's erasure would be hollow if
an older export still quoted them, so it deletes every archive of the tenant under the root
that holds the identifier (read member by member, decompressed, as JSON would write it). An
offboarding keeps the archive it has just written (that is the hand-over) and deletes the
tenant's earlier ones. Archives written elsewhere (``privacy_export --output`` outside the
root) are the operator's to keep or delete: the platform cannot find them.
"""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

from django.conf import settings

logger = logging.getLogger("apps.data_lifecycle")


def export_root() -> Path:
    return Path(settings.PRIVACY_EXPORT_ROOT)


def offboarding_archive(erasure) -> Path:
    """Where an offboarding writes its export (kept after the erasure: the hand-over)."""
    return export_root() / f"{erasure.tenant_id}-{erasure.pk}.zip"


def _archive_tenant(path: Path) -> str | None:
    """The tenant id an export archive names in its ``tenant.json`` (None: not an export)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return str(json.loads(archive.read("tenant.json"))["id"])
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def tenant_archives(tenant) -> list[Path]:
    """Every export archive of ``tenant`` under the export root (any depth)."""
    root = export_root()
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*.zip") if _archive_tenant(p) == str(tenant.pk))


def _archive_holds(path: Path, subject_id: str) -> bool:
    # Rows are json.dumps(ensure_ascii=False): the identifier appears as JSON writes it
    # (quotes and backslashes escaped), compared without regard to case like the sweeps.
    needles = {subject_id.casefold(), json.dumps(subject_id, ensure_ascii=False)[1:-1].casefold()}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8", errors="replace").casefold()
            if any(needle in text for needle in needles):
                return True
    return False


def _unlink(paths: list[Path]) -> int:
    for path in paths:
        path.unlink(missing_ok=True)
        logger.info("deleted export archive %s", path.name)
    return len(paths)


def export_archives_erase_subject(*, tenant, subject_id: str) -> int:
    """Delete the tenant's export archives that hold ``subject_id``; how many."""
    subject_id = subject_id.strip()
    if not subject_id:
        return 0
    return _unlink([p for p in tenant_archives(tenant) if _archive_holds(p, subject_id)])


def export_archives_erase_tenant(*, tenant, keep: Path | None = None) -> int:
    """Delete the tenant's export archives but ``keep`` (the offboarding's own); how many."""
    keep = keep.resolve() if keep is not None else None
    return _unlink([p for p in tenant_archives(tenant) if p.resolve() != keep])

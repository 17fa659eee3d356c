"""Tenant export: everything of one tenant as a documented archive.

A zip with one ``<table>.jsonl`` per table (one JSON object per line, as the registered data
kinds export it: encrypted fields in clear, dates in ISO 8601), ``tenant.json`` and
``README.txt`` saying so. Offboarding is export, then erasure.
"""

from __future__ import annotations

import json
import zipfile
from collections import defaultdict
from pathlib import Path

from django.core.serializers.json import DjangoJSONEncoder

from apps.audit.services import audited

from .kinds import data_kinds

README = """Tenant export ({name}, {tenant_id})

One file per table: <table>.jsonl, one JSON object per line (UTF-8). Encrypted fields are
written in clear; timestamps are ISO 8601 UTC. tenant.json describes the tenant. Data kinds
exported: {kinds}.
"""


def tenant_export(*, tenant, path: Path) -> dict:
    """Write ``tenant``'s data to the zip at ``path``; returns rows per table (audited)."""
    counts: dict[str, int] = defaultdict(int)
    kinds = data_kinds()
    with audited(
        tenant=tenant, action="privacy.tenant.export", resource_type="accounts.tenant"
    ) as event:
        event.resource_id = tenant.pk
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            lines: dict[str, list[str]] = defaultdict(list)
            for kind in kinds.values():
                for table, row in kind.export(tenant):
                    lines[table].append(json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False))
                    counts[table] += 1
            for table, rows in sorted(lines.items()):
                archive.writestr(f"{table}.jsonl", "\n".join(rows) + "\n")
            info = {"id": str(tenant.pk), "name": tenant.name, "slug": tenant.slug}
            archive.writestr("tenant.json", json.dumps(info, ensure_ascii=False))
            archive.writestr(
                "README.txt",
                README.format(
                    name=tenant.name, tenant_id=tenant.pk, kinds=", ".join(sorted(kinds))
                ),
            )
        event.row_count = sum(counts.values())
        event.details = {"tables": len(counts)}
    return dict(counts)

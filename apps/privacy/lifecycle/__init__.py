"""The data lifecycle: retention, erasure on request, tenant export.

This sub-package sits higher than the rest of ``apps.privacy`` (above jobs and approvals), as
ARCHITECTURE.md allows for a package with parts at two heights. The verticals plug their data
in by dotted path (``PRIVACY_DATA_KINDS``), so nothing here names a vertical:

- ``kinds``: the ``DataKind`` registry (what each kind can expire, erase, export);
- ``retention``: per-tenant policies and the scheduled job that deletes what is past them;
- ``erasure``: four-eyes erasure requests executed as jobs, with a signed certificate;
- ``export``: everything of a tenant as JSON lines per table, in one archive.
"""

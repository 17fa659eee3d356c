"""The data lifecycle: retention, erasure on request, tenant export.

Its tables (data keys, retention policies, erasure requests) are ``apps.privacy``'s; the
services, tasks, API and commands that use them sit here, above ``apps.jobs``,
``apps.approvals`` and ``models_runtime`` (an erasure drops the tenant's cached model results),
where the import contract allows it; ``apps.privacy`` stays at the bottom with the masking
every layer uses. The verticals plug their data in by dotted path (``PRIVACY_DATA_KINDS``),
so nothing here names a vertical:

- ``kinds``: the ``DataKind`` registry (what each kind can expire, erase, export);
- ``retention``: per-tenant policies and the scheduled job that deletes what is past them;
- ``erasure``: four-eyes erasure requests executed as jobs, with a signed certificate;
- ``export``: everything of a tenant as JSON lines per table, in one archive.
"""

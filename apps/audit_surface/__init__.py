"""The audit log's API (``/api/v1/audit/``), admin, verification job and attack drill.

The chain itself (models, services, verification) is ``apps.audit``, which sits below
``apps.accounts`` so that accounts' services can record their own events; what reads the chain
for people, or runs as a job, sits here, above ``apps.surface`` and ``apps.jobs``.
"""

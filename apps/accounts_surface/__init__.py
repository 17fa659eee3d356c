"""The accounts app's API (``/api/v1/accounts/``) and admin, built on ``apps.surface``.

Tenants, memberships, keys and usage live in ``apps.accounts``; this package is their HTTP and
admin surface, one layer above the tenant-scoped base classes it derives from.
"""

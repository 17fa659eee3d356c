"""The tenant-scoped, audited surface every app's API and admin build on.

``viewsets``: the DRF base viewsets that scope every query to the request's tenant and audit the
generic writes; ``admin_base``: the Django admin base classes that do the same for the admin.
The package sits above ``apps.accounts`` (authorization, tenants) and ``apps.audit`` (the chain)
in the import contract, so that neither of them imports the other's surface; accounts' and
audit's own API and admin live higher still (``apps.accounts_surface``, ``apps.audit_surface``).
"""

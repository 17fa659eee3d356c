"""One admin page asks for the user's role once, however many models the sidebar lists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.roles import Role
from apps.accounts.tests.factories import admin_signed_in

pytestmark = pytest.mark.django_db


def test_the_admin_index_looks_up_the_role_once(client, make_member, tenant):
    admin_signed_in(client, make_member(tenant, Role.ANALYST), tenant)
    client.get("/admin/")  # the session and the tenant switcher's first lookups
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/")
    assert response.status_code == 200
    # The index lists every model the role may see: each asks module, view, add, change and
    # delete permission, and each of those needs the role. One membership query answers all.
    role_lookups = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "accounts_membership"' in q["sql"] and '"accounts_membership"."role"' in q["sql"]
    ]
    assert len(role_lookups) == 1, role_lookups

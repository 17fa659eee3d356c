import factory
from django.contrib.auth import get_user_model

from apps.accounts.admin_tenant import ADMIN_TENANT_SESSION_KEY
from apps.accounts.models import Membership, Tenant
from apps.accounts.roles import Role


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Tenant {n}")
    slug = factory.Sequence(lambda n: f"tenant-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.django.Password("correct-horse-battery")
    is_staff = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    tenant = factory.SubFactory(TenantFactory)
    role = Role.ADMIN


def admin_signed_in(client, user, tenant):
    """``client`` signed in as ``user`` in the admin, acting for ``tenant`` (the admin acts for
    one tenant at a time: its tenant switcher keeps the choice in the session)."""
    client.force_login(user)
    session = client.session
    session[ADMIN_TENANT_SESSION_KEY] = str(tenant.pk)
    session.save()
    return client

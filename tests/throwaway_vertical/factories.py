from itertools import count

from .models import Widget

_numbers = count(1)


def widget(tenant):
    return Widget.objects.create(tenant=tenant, name=f"widget {next(_numbers)}")

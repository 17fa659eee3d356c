from django.db import models


class Widget(models.Model):
    """One tenant's row of the throw-away vertical."""

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

"""Describe the platform's authentication to drf-spectacular (Swagger UI's "Authorize")."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: AutoSchema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>` (keys are issued at /api/v1/accounts/api-keys/).",
        }


class TenantSessionScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.TenantSessionAuthentication"
    name = "SessionAuth"

    def get_security_definition(self, auto_schema: AutoSchema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "Web-UI session; users in several tenants send `X-Tenant: <slug>`.",
        }

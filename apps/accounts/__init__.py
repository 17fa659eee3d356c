"""Tenants, users' memberships and roles, API keys, usage metering and quotas."""

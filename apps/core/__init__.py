"""Shared REST plumbing: request context, the one error format, pagination, health checks."""

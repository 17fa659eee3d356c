"""Per-request context (request id, actor) carried in contextvars.

Contextvars rather than thread-locals so the values follow a request into threads started with
``contextvars.copy_context()`` and into ASGI tasks. Logging, the audit log and Celery task
headers read the request id from here.
"""

from __future__ import annotations

import contextvars
import re
import uuid
from contextlib import contextmanager

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# A caller-supplied X-Request-ID is echoed into logs and audit rows: only accept a short,
# printable token so it cannot smuggle newlines or personal data of any length into them.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(candidate: str | None) -> str:
    """Return ``candidate`` if it is an acceptable request id, otherwise a fresh one."""
    if candidate and _VALID_REQUEST_ID.match(candidate):
        return candidate
    return new_request_id()


def get_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


@contextmanager
def request_id_scope(value: str | None):
    """Bind a request id for the duration of a block (used by Celery tasks and commands)."""
    token = set_request_id(value)
    try:
        yield
    finally:
        reset_request_id(token)


class Actor:
    """Who is acting: a user, an API key, a background job or an anonymous caller.

    Kept free of model instances so it can be stored in audit rows and passed to Celery as JSON.
    """

    __slots__ = ("kind", "id", "label", "tenant_id", "role")

    def __init__(self, kind: str, id: str = "", label: str = "", tenant_id=None, role: str = ""):  # noqa: A002
        self.kind = kind
        self.id = str(id)
        self.label = label
        self.tenant_id = tenant_id
        self.role = role

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.id,
            "label": self.label,
            "tenant_id": str(self.tenant_id) if self.tenant_id else None,
            "role": self.role,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Actor:
        return cls(**data)

    def __repr__(self) -> str:
        return f"Actor({self.kind}:{self.id} {self.label!r})"


ANONYMOUS = Actor("anonymous")
SYSTEM = Actor("system", label="system")

_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("actor", default=ANONYMOUS)


def get_actor() -> Actor:
    return _actor.get()


def set_actor(actor: Actor) -> contextvars.Token:
    return _actor.set(actor)


def reset_actor(token: contextvars.Token) -> None:
    _actor.reset(token)


@contextmanager
def actor_scope(actor: Actor):
    """Bind an actor for the duration of a block (Celery tasks acting for a job's creator)."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)

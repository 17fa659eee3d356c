"""``encrypted-json``: Celery's JSON serializer with every message body encrypted.

Task arguments (chat prompts, note text sent to a model) and results (generated text) cross
Redis; registered with kombu and selected for tasks and results in ``config/celery.py``, this
serializer keeps them Fernet-encrypted there under a key derived from the master key
(``apps.privacy.masterkey``). Every process (web, workers, beat) shares the master key.
"""

from __future__ import annotations

from celery.app.amqp import AMQP
from kombu.serialization import register
from kombu.utils.json import dumps, loads

from .masterkey import platform_fernet

NAME = "encrypted-json"
CONTENT_TYPE = "application/x-encrypted-json"


def encrypted_dumps(value) -> str:
    return platform_fernet("celery").encrypt(dumps(value).encode("utf-8")).decode("ascii")


def encrypted_loads(body) -> object:
    if isinstance(body, str):
        body = body.encode("ascii")
    return loads(platform_fernet("celery").decrypt(bytes(body)).decode("utf-8"))


def register_encrypted_json() -> None:
    """Make ``encrypted-json`` known to kombu (idempotent)."""
    register(
        NAME, encrypted_dumps, encrypted_loads, content_type=CONTENT_TYPE, content_encoding="utf-8"
    )


class EncryptedPayloadAMQP(AMQP):
    """Celery's AMQP with the headers that would repeat the arguments in clear (``argsrepr``,
    ``kwargsrepr``: a repr for monitoring tools) replaced by a placeholder: the arguments
    travel only inside the encrypted body."""

    def as_task_v2(self, *args, **kwargs):
        kwargs["argsrepr"] = kwargs["kwargsrepr"] = "<encrypted>"
        return super().as_task_v2(*args, **kwargs)

"""The load test's simulated users (locust): each user picks, by weight, one of the parts the
runner prepared (``LOADTEST_SCENARIO``, a JSON file written by ``tests/load/run.py``) and sends
its request with the load-test tenant's API key. Status codes per endpoint are counted and
written to ``LOADTEST_STATUS`` when the test stops (locust's own CSV has failures, not codes).

Run through ``make loadtest``, which starts the platform first; by hand:
``LOADTEST_SCENARIO=var/loadtest/<run>/scenario.json locust -f tests/load/locustfile.py``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from collections import Counter

from locust import HttpUser, between, events

from tests.load import parts

SCENARIO = json.loads(open(os.environ["LOADTEST_SCENARIO"]).read())
STATUS: Counter = Counter()
_STARTED = itertools.count()  # users started so far in this process
# Relative weights of the parts in the mix (the runner only lists parts it prepared).
WEIGHTS = {"risk": 4, "customer_service": 3, "medical": 2, "adapter_chat": 1}


@events.request.add_listener
def _count_status(name, response=None, exception=None, **kwargs):
    code = getattr(response, "status_code", None) or 0
    STATUS[f"{name}|{code}"] += 1


@events.test_stop.add_listener
def _write_status(**kwargs):
    path = os.environ.get("LOADTEST_STATUS")
    if path:
        with open(path, "w") as out:
            json.dump(dict(STATUS), out, indent=1, sort_keys=True)


def _post(user, part: str, path: str, body: dict) -> None:
    user.client.post(path, json=body, name=f"POST {path}  [{part}]", timeout=180)


def risk_decision(user):
    _post(
        user,
        "risk",
        "/api/v1/risk/decisions/",
        parts.risk_body(SCENARIO["parts"]["risk"], user.rng),
    )


# A customer's conversation lasts a few messages, then the user starts another.
MESSAGES_PER_CONVERSATION = 4


def customer_service_message(user):
    data = SCENARIO["parts"]["customer_service"]
    if not getattr(user, "conversation", None) or user.sent >= MESSAGES_PER_CONVERSATION:
        path = "/api/v1/customer-service/conversations/"
        with user.client.post(
            path,
            json={"channel": "api"},
            name=f"POST {path}  [customer_service]",
            catch_response=True,
            timeout=60,
        ) as started:
            if started.status_code != 201:
                started.failure(f"HTTP {started.status_code}")
                return
            user.conversation, user.sent = started.json()["id"], 0
    user.sent += 1
    user.client.post(
        f"/api/v1/customer-service/conversations/{user.conversation}/messages/",
        json={"text": user.rng.choice(data["messages"])},
        name="POST /api/v1/customer-service/conversations/<id>/messages/  [customer_service]",
        timeout=180,
    )


def medical_note(user):
    _post(
        user,
        "medical",
        "/api/v1/medical/notes/",
        parts.note_body(SCENARIO["parts"]["medical"], user.rng),
    )


def adapter_chat(user):
    data = SCENARIO["parts"]["adapter_chat"]
    path = "/api/v1/inference/chat"
    with user.client.post(
        path,
        json=parts.adapter_chat_body(data, user.rng),
        name=f"POST {path}  [adapter_chat]",
        catch_response=True,
        timeout=180,
    ) as response:
        # An answer from the base model alone would be a wrong answer, not a fast one.
        if response.status_code == 200:
            served = (response.json().get("adapter") or {}).get("name")
            if served != data["adapter"]:
                response.failure(f"answered by adapter {served!r}, not {data['adapter']!r}")


TASKS = {
    "adapter_chat": adapter_chat,
    "risk": risk_decision,
    "customer_service": customer_service_message,
    "medical": medical_note,
}


class PlatformUser(HttpUser):
    """An API client of the load-test tenant: 0.5–2 s between requests."""

    wait_time = between(0.5, 2.0)
    tasks = {TASKS[name]: WEIGHTS[name] for name in SCENARIO["parts"]}

    def on_start(self):
        self.rng = random.Random()
        self.client.headers["Authorization"] = f"Api-Key {SCENARIO['api_key']}"
        # One request of every part first, so that even a short run covers each endpoint; each
        # user starts at another part, so that on a slow machine, where the first requests take
        # seconds each, the run's end does not find every user still on the same early parts.
        names = list(SCENARIO["parts"])
        first = next(_STARTED) % len(names)
        for name in names[first:] + names[:first]:
            TASKS[name](self)

"""Coalescing concurrent embedding calls into one worker task per group: a lone call goes at
once, calls arriving while the slots are taken share the next task, every caller gets its own
answer, and a failed group fails only its own members."""

from __future__ import annotations

import threading
import time

import pytest

from models_runtime.coalesce import Coalescer


class GatedSender:
    """Stands in for the broker round trip: records each group and holds it until released."""

    def __init__(self):
        self.groups: list[list[dict]] = []
        self.release = threading.Event()
        self.sent = threading.Semaphore(0)
        self.fail_group: int | None = None

    def __call__(self, model, items, timeout_s):
        self.groups.append([dict(item) for item in items])
        number = len(self.groups) - 1
        self.sent.release()
        assert self.release.wait(10)
        if number == self.fail_group:
            raise RuntimeError("broker down")
        return [{"echo": item["texts"], "model": model} for item in items]


def _call_in_thread(coalescer, text, answers, errors):
    def run():
        try:
            answers[text] = coalescer.call("embed", {"texts": [text], "tenant_id": "t"}, 5)
        except Exception as exc:
            errors[text] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_a_lone_call_is_sent_at_once():
    sender = GatedSender()
    sender.release.set()
    coalescer = Coalescer(sender, max_in_flight=2)
    answer = coalescer.call("embed", {"texts": ["hello"], "tenant_id": "t"}, 5)
    assert answer == {"echo": ["hello"], "model": "embed"}
    assert sender.groups == [[{"texts": ["hello"], "tenant_id": "t"}]]


def test_calls_arriving_while_the_slots_are_taken_share_one_task():
    sender = GatedSender()
    coalescer = Coalescer(sender, max_in_flight=1)
    answers, errors = {}, {}
    threads = [_call_in_thread(coalescer, "first", answers, errors)]
    assert sender.sent.acquire(timeout=5)  # "first" is on its way and holds the only slot
    threads += [_call_in_thread(coalescer, f"later-{i}", answers, errors) for i in range(5)]
    _wait_until(lambda: coalescer.stats()["open"].get("embed") == 5)
    sender.release.set()
    for thread in threads:
        thread.join(10)
    assert not errors
    assert [len(group) for group in sender.groups] == [1, 5]
    # Every caller got the answer to its own text.
    assert all(answers[text] == {"echo": [text], "model": "embed"} for text in answers)
    assert len(answers) == 6


def test_a_group_is_capped_by_texts():
    sender = GatedSender()
    coalescer = Coalescer(sender, max_in_flight=1, max_texts=2)
    answers, errors = {}, {}
    threads = [_call_in_thread(coalescer, "first", answers, errors)]
    assert sender.sent.acquire(timeout=5)
    threads += [_call_in_thread(coalescer, f"later-{i}", answers, errors) for i in range(4)]
    # Four calls wait in two groups of two: one full group waits for the slot, one is open.
    _wait_until(lambda: coalescer.stats()["queued"].get("embed") == 4)
    assert coalescer.stats()["open"]["embed"] == 2
    sender.release.set()
    for thread in threads:
        thread.join(10)
    assert not errors and len(answers) == 5
    assert sorted(len(group) for group in sender.groups) == [1, 2, 2]


def test_a_failed_group_fails_its_members_only():
    sender = GatedSender()
    sender.fail_group = 1
    coalescer = Coalescer(sender, max_in_flight=1)
    answers, errors = {}, {}
    threads = [_call_in_thread(coalescer, "first", answers, errors)]
    assert sender.sent.acquire(timeout=5)
    threads += [_call_in_thread(coalescer, f"later-{i}", answers, errors) for i in range(3)]
    _wait_until(lambda: coalescer.stats()["open"].get("embed") == 3)
    sender.release.set()
    for thread in threads:
        thread.join(10)
    assert set(answers) == {"first"}
    assert set(errors) == {"later-0", "later-1", "later-2"}
    assert all(str(exc) == "broker down" for exc in errors.values())
    assert coalescer.stats()["in_flight"]["embed"] == 0, "the slot is given back"


def test_settings_are_checked():
    with pytest.raises(ValueError):
        Coalescer(GatedSender(), max_in_flight=0)


@pytest.mark.django_db
def test_the_client_coalesces_small_calls_and_sends_big_ones_alone(tenant, settings, monkeypatch):
    """Which path a call takes from the client (the broker round trip replaced by a recorder)."""
    from models_runtime import admission, client
    from models_runtime.packing import pack_vectors

    settings.INFERENCE_COALESCE_IN_FLIGHT = 2
    settings.INFERENCE_COALESCE_TEXTS = 4
    sent = []

    def answer(texts):
        return {
            "ok": True,
            "model": "embed",
            "revision": "r",
            "outputs": pack_vectors([[float(len(t))] for t in texts]),
            "queue_ms": 0.0,
            "compute_ms": 0.0,
            "batch_size": 1,
            "tokens_in": len(texts),
            "tokens_out": 0,
            "compute_share_s": 0.0,
            "metered": True,
        }

    def round_trip(kind, *, model, payload, tenant_id):
        sent.append((kind, payload))
        if kind == "embed_group":
            return {"ok": True, "items": [answer(item["texts"]) for item in payload["items"]]}
        return answer(payload["texts"])

    monkeypatch.setattr(admission, "in_process", lambda: False)
    monkeypatch.setattr(admission, "queued_requests", lambda queue: 0)
    monkeypatch.setattr(client, "_send_and_wait", round_trip)
    monkeypatch.setattr(client, "_coalescers", {})

    small = client.embed(["ab", "abc"], tenant_id=tenant.pk, use_cache=False)
    big = client.embed(["a", "bb", "ccc"], tenant_id=tenant.pk, use_cache=False)
    assert small.outputs == [[2.0], [3.0]] and big.outputs == [[1.0], [2.0], [3.0]]
    assert [kind for kind, _ in sent] == ["embed_group", "embed"]
    assert sent[0][1]["items"] == [{"texts": ["ab", "abc"], "tenant_id": str(tenant.pk)}]

    settings.INFERENCE_COALESCE_IN_FLIGHT = 0  # turned off: every call on its own
    client.embed(["x"], tenant_id=tenant.pk, use_cache=False)
    assert sent[-1][0] == "embed"

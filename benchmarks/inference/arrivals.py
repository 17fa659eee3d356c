"""``chat_arrivals``: one seeded trace of chat requests arriving as a Poisson process, replayed
three ways.

- The trace: ``requests`` arrivals at ``LOAD`` (0.6) x the raw static batcher's capacity, each
  asking for 16, 32 or 64 new tokens (drawn with the same seed), greedy, every row exactly its
  length (``ignore_eos``). The capacity is measured first, in this process: one left-padded greedy
  ``generate`` of ``clients`` (16) prompts runs to the longest row (64 tokens), as the static
  batcher's batches do, so capacity = 16 requests / that batch's seconds.
- **raw**: transformers' continuous-batching manager in this process (``init_continuous_batching``,
  one streaming request per arrival, added at its arrival time), before any platform process runs;
- **platform**: the web server and an inference worker with continuous batching (the default),
  each request a streaming HTTP call (``"stream": true``) sent at its arrival time;
- **static**: the same, with the worker's chat model on the old static batcher
  (``MODELS_RUNTIME_CHAT_BATCHING=static``).

Time to first token is the first streamed piece (raw: the first token out of the manager);
latency is until the answer is complete. Throughput is tokens over the span from the first
arrival to the last answer. The report gives the realised offered load, throughput, TTFT and
latency p50/p99 per path, and ``platform_over_raw``, ``ttft_p50_ms`` (the platform's) and
``latency_p50_over_static``.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from dataclasses import dataclass, field

from benchmarks.inference.report import percentile
from benchmarks.inference.workloads import CHAT_PATH, SUBJECTS

LOAD = 0.6
SEED = 23
LENGTHS = (16, 32, 64)
SMOKE_LENGTHS = (2, 4, 8)


@dataclass(frozen=True)
class Arrival:
    at_s: float  # seconds after the trace's start
    new_tokens: int
    number: int

    def prompt(self, nonce: int, path: str) -> str:
        subject = SUBJECTS[self.number % len(SUBJECTS)]
        return f"Write a long story about a {subject}. Arrival {nonce}-{path}-{self.number}."


def make_trace(rate_per_s: float, count: int, lengths=LENGTHS, seed: int = SEED) -> list[Arrival]:
    rng = random.Random(seed)
    at, trace = 0.0, []
    for number in range(count):
        trace.append(Arrival(round(at, 4), rng.choice(lengths), number))
        at += rng.expovariate(rate_per_s)
    return trace


@dataclass
class Replay:
    """What one path made of the trace: per request, TTFT and latency (seconds) and tokens."""

    path: str
    ttft_s: list[float] = field(default_factory=list)
    latency_s: list[float] = field(default_factory=list)
    tokens: int = 0
    span_s: float = 0.0
    errors: list[str] = field(default_factory=list)

    def summary(self, trace: list[Arrival]) -> dict:
        arrivals_span = trace[-1].at_s - trace[0].at_s if len(trace) > 1 else 0.0
        offered = sum(a.new_tokens for a in trace)
        span = arrivals_span or float("nan")
        return {
            "requests": len(self.latency_s),
            "offered_requests_per_s": round(len(trace) / span, 3),
            "offered_tokens_per_s": round(offered / span, 2),
            "throughput_tokens_per_s": round(self.tokens / self.span_s, 2) if self.span_s else 0.0,
            "ttft_ms": _quantiles(self.ttft_s),
            "latency_ms": _quantiles(self.latency_s),
        }


def _quantiles(values: list[float]) -> dict:
    return {q: round(percentile(values, p) * 1000, 1) for q, p in (("p50", 0.5), ("p99", 0.99))}


def replay_http(port: int, token: str, trace: list[Arrival], nonce: int, path: str) -> Replay:
    """Each arrival a thread that sends its streaming request at its time."""
    result = Replay(path)
    lock = threading.Lock()
    start = time.perf_counter() + 0.2
    finished: list[float] = []

    def one(arrival: Arrival) -> None:
        delay = start + arrival.at_s - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        sent = time.perf_counter()
        body = {
            "model": "chat",
            "messages": [{"role": "user", "content": arrival.prompt(nonce, path)}],
            "max_new_tokens": arrival.new_tokens,
            "temperature": 0,
            "ignore_eos": True,
            "cache": False,
            "stream": True,
        }
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
        try:
            conn.request(
                "POST",
                CHAT_PATH,
                body=json.dumps(body).encode(),
                headers={
                    "Authorization": f"Api-Key {token}",
                    "Content-Type": "application/json",
                    "Accept": "application/json",  # DRF negotiates JSON; the stream is SSE
                },
            )
            response = conn.getresponse()
            if response.status != 200:
                raise RuntimeError(f"{response.status}: {response.read()[:300]!r}")
            first, done = None, None
            event = ""
            while done is None:
                line = response.readline()
                if not line:
                    raise RuntimeError("the stream ended without a done event")
                line = line.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[len("event: ") :]
                    if first is None and event in ("delta", "done"):
                        first = time.perf_counter()
                elif line.startswith("data: ") and event == "done":
                    done = json.loads(line[len("data: ") :])
                elif line.startswith("data: ") and event == "error":
                    raise RuntimeError(line)
            ended = time.perf_counter()
            with lock:
                result.ttft_s.append(first - sent)
                result.latency_s.append(ended - sent)
                result.tokens += int(done["usage"]["tokens_out"])
                finished.append(ended)
        except Exception as exc:  # noqa: BLE001 - reported as the measure's failure
            with lock:
                result.errors.append(f"request {arrival.number}: {type(exc).__name__}: {exc}")
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(a,), daemon=True) for a in trace]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.span_s = (max(finished) - start) if finished else 0.0
    return result


def replay_raw_continuous(raw_chat, trace: list[Arrival], nonce: int, config) -> Replay:
    """transformers' continuous batching called raw: each arrival added at its time as a
    streaming request; the first token out of the manager is its TTFT."""
    from transformers import GenerationConfig

    tokenizer, model = raw_chat.tokenizer, raw_chat.model
    generation = GenerationConfig(
        do_sample=False,
        max_new_tokens=max(a.new_tokens for a in trace),
        eos_token_id=-1,
        pad_token_id=tokenizer.pad_token_id,
    )
    manager = model.init_continuous_batching(
        generation_config=generation, continuous_batching_config=config
    )
    result = Replay("raw")
    encoded = {}
    for a in trace:
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": a.prompt(nonce, "raw")}],
            add_generation_prompt=True,
            tokenize=False,
        )
        encoded[a.number] = tokenizer(text, add_special_tokens=False)["input_ids"]
    sent: dict[str, float] = {}
    first: dict[str, float] = {}
    manager.start()
    try:
        start = time.perf_counter() + 0.2

        def feed() -> None:
            for arrival in trace:
                delay = start + arrival.at_s - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                request_id = f"a{arrival.number}"
                sent[request_id] = time.perf_counter()
                manager.add_request(
                    list(encoded[arrival.number]),
                    request_id=request_id,
                    max_new_tokens=arrival.new_tokens,
                    streaming=True,
                    eos_token_id=-1,
                )

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        done, last = 0, start
        while done < len(trace):
            output = manager.get_result(timeout=600)
            if output is None:
                result.errors.append("the continuous batching manager stopped answering")
                break
            now = time.perf_counter()
            first.setdefault(output.request_id, now)
            if output.is_finished():
                done += 1
                last = now
                result.ttft_s.append(first[output.request_id] - sent[output.request_id])
                result.latency_s.append(now - sent[output.request_id])
                result.tokens += len(output.generated_tokens)
                if output.error:
                    result.errors.append(f"{output.request_id}: {output.error}")
        feeder.join()
        result.span_s = last - start
    finally:
        manager.stop(block=True, timeout=10)
    return result

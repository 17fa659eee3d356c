"""Iteration-level scheduling of one local chat model with transformers' own continuous batching.

``ContinuousEngine`` wraps one ``ContinuousBatchingManager`` (``model.init_continuous_batching``
with a ``ContinuousBatchingConfig``: ``num_blocks`` x ``page_size`` tokens of paged KV cache,
``max_requests_per_batch`` requests per forward pass). The manager's thread runs one decoding step
after another; a request added between two steps joins the running batch at the next one (its
prompt is prefilled in the same forward pass as the others' next tokens), a finished one leaves.

Per request, as in the static path:
- ``max_new_tokens`` is the library's own per-request limit; ``ignore_eos`` is a request without
  end-of-turn ids (``eos_token_id=-1``);
- temperature, top-p and seed: ``PerRequestSampler``, a continuous-batching logits processor that
  samples the rows that ask for it, each with its own seeded generator, and leaves greedy rows to
  the library's argmax (as ``per_row.PerRowSampler`` does inside ``generate``);
- stop strings: the dispatcher thread decodes each new token's tail, and a hit cancels the request
  in the library and answers with the text before the stop string;
- streaming: ``TokenStream`` sends the settled answer text (the rules of ``streaming.py``: no stop
  string, no reasoning, no half character) as the tokens arrive.

LoRA adapters are not applied here (the scheduler sends adapter requests to the static path,
which runs while the loop is paused, ``paused()``), so a forward pass never mixes adapters.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from transformers import GenerationConfig
from transformers.generation.configuration_utils import ContinuousBatchingConfig
from transformers.generation.continuous_batching.cb_logits_processors import (
    ContinuousBatchingLogitsProcessor,
)

from models_runtime.backends.base import ChatRequest, ChatResult
from models_runtime.backends.per_row import cut_at_stop, decode_answer
from models_runtime.backends.streaming import decodes_by_concatenation, partial_tail, settled_answer
from models_runtime.errors import BackendError
from models_runtime.thinking import OPEN_TAG, split_thinking

logger = logging.getLogger(__name__)

PAGE_SIZE = 64
# Tokens in one forward pass: longer prompts are prefilled in chunks of this many, so decoding
# requests are never held up by one long prompt for more than one such step.
MAX_BATCH_TOKENS = 512


class PerRequestSampler(ContinuousBatchingLogitsProcessor):
    """Samples the rows whose request asked for it (temperature > 0, top-p, its own seed), and
    turns their scores into a one-hot on the drawn token, which the library's argmax keeps.

    Each sampling request holds a slot (1, 2, ...); the per-row argument the library passes to
    the processor is the row's slot, 0 for a greedy row."""

    supported_kwargs: dict[str, type] = {"sampler_slot": int}
    ignored_kwargs: tuple[str, ...] = ()

    def __init__(self, device):
        self.device = device
        self.slots: dict[int, tuple[float, float, torch.Generator]] = {}
        self._next = itertools.count(1)

    def register(self, request: ChatRequest) -> int:
        if request.temperature <= 0:
            return 0
        seed = request.seed if request.seed is not None else int.from_bytes(os.urandom(8), "big")
        generator = torch.Generator(device=self.device).manual_seed(seed % (2**63))
        slot = next(self._next)
        self.slots[slot] = (float(request.temperature), float(request.top_p), generator)
        return slot

    def release(self, slot: int) -> None:
        self.slots.pop(slot, None)

    def fill_defaults(self, int32_tensor: torch.Tensor) -> None:
        int32_tensor.fill_(0)

    def prepare_tensor_args(self, requests_with_new_token) -> torch.Tensor:
        slots = [
            r.state.logit_processor_kwargs.get("sampler_slot", 0) for r in requests_with_new_token
        ]
        return torch.tensor(slots, dtype=torch.int32, device="cpu")

    def __call__(self, scores: torch.Tensor, tensor_arg: torch.Tensor) -> torch.Tensor:
        if not self.slots:
            return scores
        rows = tensor_arg[: scores.size(0)].tolist()
        for row, slot in enumerate(rows):
            entry = self.slots.get(slot) if slot else None
            if entry is None:
                continue
            temperature, top_p, generator = entry
            logits = scores[row].float() / temperature
            if top_p < 1.0:
                sorted_logits, order = torch.sort(logits, descending=True)
                probs = torch.softmax(sorted_logits, dim=-1)
                drop = probs.cumsum(dim=-1) - probs >= top_p
                logits[order[drop]] = float("-inf")
            token = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator)
            scores[row] = float("-inf")
            scores[row, token] = 0.0
        return scores


class TokenStream:
    """One request's text as its tokens arrive: stop strings, and the settled answer streamed."""

    def __init__(self, request: ChatRequest, prompt: str, tokenizer):
        self.request = request
        self.tokenizer = tokenizer
        self.callback = request.on_text
        self.stops = request.stop
        self.thinking_open = prompt.rstrip().endswith(OPEN_TAG)
        self.incremental = decodes_by_concatenation(tokenizer)
        self.hold_last_word = bool(getattr(tokenizer, "clean_up_tokenization_spaces", False))
        self.tail = max((len(s) for s in self.stops), default=0) + 2
        self.emitted = ""
        self.decoded, self.decoded_text = 0, ""

    def stop_hit(self, ids: list[int]) -> bool:
        if not self.stops:
            return False
        window = ids[-min(len(ids), self.tail) :]
        tail = self.tokenizer.decode(window, skip_special_tokens=True)
        return any(s in tail for s in self.stops)

    def update(self, ids: list[int]) -> None:
        """Send what the first ``len(ids)`` tokens settle of the answer."""
        if self.callback is None:
            return
        text = self._text(ids).rstrip("\ufffd")
        cut, hit = cut_at_stop(text, self.stops)
        if hit:
            self.finish(split_thinking(cut)[1])
            return
        if self.stops:
            cut = cut[: len(cut) - partial_tail(cut, self.stops)]
        if self.hold_last_word:
            cut = cut[: max((cut.rfind(c) for c in " \n\t"), default=-1) + 1]
        self._send_settled(settled_answer(cut, self.thinking_open))

    def finish(self, final: str) -> None:
        if self.callback is None:
            return
        if final.startswith(self.emitted):
            self._send_settled(final)
        else:
            logger.warning("streamed text is not a prefix of the final text; nothing more is sent")
        self.callback = None

    def _text(self, ids: list[int]) -> str:
        if not self.incremental:
            return self.tokenizer.decode(ids, skip_special_tokens=True)
        new = self.tokenizer.decode(ids[self.decoded :], skip_special_tokens=True)
        if new.endswith("\ufffd"):
            return self.decoded_text + new
        self.decoded, self.decoded_text = len(ids), self.decoded_text + new
        return self.decoded_text

    def _send_settled(self, settled: str) -> None:
        if len(settled) > len(self.emitted) and settled.startswith(self.emitted):
            delta = settled[len(self.emitted) :]
            self.emitted = settled
            try:
                self.callback(delta)
            except Exception:
                logger.warning("on_text callback raised; it is not called again", exc_info=True)
                self.callback = None


@dataclass
class Running:
    """A request inside the engine. ``done(result_or_error, shared)`` is called once, on the
    dispatcher thread; ``shared`` is the most requests it shared a decoding step with."""

    request: ChatRequest
    prompt_ids: list[int]
    stream: TokenStream
    done: Callable[[ChatResult | BaseException, int], None]
    slot: int = 0
    admitted: float = field(default_factory=time.perf_counter)
    token_times: list[float] = field(default_factory=list)
    shared: int = 1
    steps: int = 0


class ContinuousEngine:
    """One manager per chat model; a dispatcher thread routes its outputs to the requests."""

    def __init__(self, backend, *, max_requests: int, kv_cache_tokens: int):
        self.backend = backend
        self.tokenizer = backend.tokenizer
        self.max_requests = max_requests
        generation = GenerationConfig(
            do_sample=False,
            max_new_tokens=backend.spec.max_new_tokens,
            eos_token_id=sorted(backend._eos_ids) or -1,
            pad_token_id=self.tokenizer.pad_token_id,
        )
        config = ContinuousBatchingConfig(
            page_size=PAGE_SIZE,
            num_blocks=max(2, -(-kv_cache_tokens // PAGE_SIZE)),
            max_batch_tokens=MAX_BATCH_TOKENS,
            max_requests_per_batch=max_requests,
            allow_block_sharing=False,
            auto_switch_to_flash=False,
        )
        self.manager = backend.model.init_continuous_batching(
            generation_config=generation, continuous_batching_config=config
        )
        # Per-request sampling: our processor joins the library's list before the loop starts
        # (its argument storage is sized from the list when the batch processor is created).
        self.sampler = PerRequestSampler(backend.model.device)
        processors = self.manager.logit_processor
        processors.logits_processor.append(self.sampler)
        processors.tensors_required += 1
        processors.supported_keys.update(self.sampler.supported_kwargs)
        processors.do_processing = True
        self._lock = threading.Lock()
        self._running: dict[str, Running] = {}
        self._ids = itertools.count()
        self._closed = False
        self.steps = 0  # outputs seen for streaming requests: a step counter for tests
        self.manager.start()
        # Named as the static batcher's thread: callbacks run on the model's thread either way.
        name = f"batcher-{backend.spec.name}"
        self._thread = threading.Thread(target=self._dispatch, name=name, daemon=True)
        self._thread.start()

    @property
    def active(self) -> int:
        return len(self._running)

    def add(self, request: ChatRequest, prompt: str, prompt_ids: list[int], done) -> None:
        """Start ``request`` at the next decoding step; ``done`` gets its result or error."""
        if not self.manager.is_running():
            if self._closed:
                raise BackendError("the continuous batching engine is shut down")
            logger.warning("continuous batching loop was not running; starting it again")
            self.manager.start()
        item = Running(request, prompt_ids, TokenStream(request, prompt, self.tokenizer), done)
        item.slot = self.sampler.register(request)
        request_id = f"r{next(self._ids)}"
        with self._lock:
            self._running[request_id] = item
        kwargs = {"sampler_slot": item.slot} if item.slot else {}
        added = self.manager.add_request(
            prompt_ids,
            request_id=request_id,
            max_new_tokens=self._limit(request),
            streaming=True,
            eos_token_id=-1 if request.ignore_eos else None,
            **kwargs,
        )
        if added is None:
            self._forget(request_id)
            raise BackendError("the continuous batching loop refused the request")

    def _limit(self, request: ChatRequest) -> int:
        return request.max_new_tokens or self.backend.spec.max_new_tokens

    @contextlib.contextmanager
    def paused(self):
        """Hold the decoding loop between two steps (for a static batch on the same weights)."""
        if not self.manager.is_running():
            self.manager.start()
        with self.manager.pause():
            yield

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(Exception):
            self.manager.stop(block=True, timeout=10)
        self._thread.join(5)
        with self._lock:
            leftover, self._running = list(self._running.values()), {}
        for item in leftover:
            self._finish_error(item, BackendError("the model was shut down"))

    def _stop_at_exit(self) -> None:
        """The interpreter is exiting (its main thread has ended): stop the library's decoding
        loop, whose thread is not a daemon and would otherwise hold the process open for ever
        (a worker's Ctrl-C or a test run that never ends after its last line)."""
        self._closed = True
        with contextlib.suppress(Exception):
            self.manager.stop(block=False, hard_stop=True)

    # ------------------------------------------------------------------ dispatcher thread

    def _dispatch(self) -> None:
        queue = self.manager.output_router.output_queue
        while not (self._closed and queue.empty()):
            try:
                output = queue.get(timeout=0.1)
            except Exception:  # queue.Empty
                if not threading.main_thread().is_alive():
                    self._stop_at_exit()
                    return
                continue
            try:
                self._route(output)
            except Exception:  # a bug here must not stop the answers of everyone else
                logger.exception("continuous batching: routing an output failed")

    def _route(self, output) -> None:
        now = time.perf_counter()
        with self._lock:
            item = self._running.get(output.request_id)
            active = len(self._running)
        if item is None:  # cancelled at a stop string: a step that was already running
            return
        self.steps += 1
        if output.error is not None:
            self._forget(output.request_id)
            self._finish_error(item, BackendError(f"continuous batching: {output.error}"))
            return
        ids = list(output.generated_tokens)
        while len(item.token_times) < len(ids):
            item.token_times.append(now)
        item.shared = max(item.shared, active)
        if item.stream.stop_hit(ids):
            self.manager.cancel_request(output.request_id)
            self._forget(output.request_id)
            self._finish(item, ids, "stop")
            return
        if output.is_finished():
            self._forget(output.request_id)
            eos = bool(ids) and ids[-1] in self.backend._eos_ids and not item.request.ignore_eos
            self._finish(item, ids, "stop" if eos else "length")
            return
        item.stream.update(ids)

    def _forget(self, request_id: str) -> None:
        with self._lock:
            item = self._running.pop(request_id, None)
        if item is not None:
            self.sampler.release(item.slot)

    def _finish(self, item: Running, ids: list[int], reason: str) -> None:
        reasoning, answer, cut = decode_answer(self.tokenizer, ids, item.request.stop)
        item.stream.finish(answer)
        times = item.token_times
        result = ChatResult(
            text=answer,
            reasoning=reasoning,
            tokens_in=len(item.prompt_ids),
            tokens_out=len(ids),
            finish_reason="stop" if cut else reason,
            first_token_s=times[0] - item.admitted if times else None,
            last_token_s=times[-1] - item.admitted if times else None,
        )
        item.done(result, item.shared)

    def _finish_error(self, item: Running, error: BaseException) -> None:
        item.stream.callback = None
        item.done(error, item.shared)

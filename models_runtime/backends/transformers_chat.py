"""Chat generation with transformers: one left-padded ``generate`` call per batch.

Requests in one batch keep their own parameters without splitting the batch:
- a per-row logits processor samples the rows that ask for sampling (their own temperature, top_p
  and seed) and leaves greedy rows (temperature 0) to ``generate``'s argmax;
- a per-row stopping criterion finishes each row at its own ``max_new_tokens``, at the end-of-turn
  token or at one of its stop strings; ``generate`` pads finished rows and ends when all are done.

Streaming rides in the same batch: a request with ``on_text`` gets its answer in pieces while
``generate`` runs (``_Streamer``, a stopping criterion that never stops anything and looks only at
the streaming rows). The pieces put together equal the final ``ChatResult.text`` exactly, so text
that may still change or vanish is held back until it is settled:
- an incomplete UTF-8 character (a trailing U+FFFD) until its last byte arrives;
- a tail that could be the beginning of one of the request's stop strings (a stop string is never
  sent; the row's stream ends where it appears, or at its own ``max_new_tokens``);
- trailing whitespace, since the final text is stripped (and, for tokenizers that clean up
  tokenization spaces, the last word too);
- reasoning: only the answer is streamed. Text inside ``<think>…</think>`` (or, when the chat
  template opened the block at the end of the prompt, everything before ``</think>``) is never
  sent; a tail that could begin a think tag waits. A row still thinking when it ends gets its
  final text in one piece, as ``split_thinking`` defines it.
Per step, only the streaming rows are looked at. With a byte-level tokenizer (SmolLM2, Qwen,
Llama 3, DeepSeek) only the tokens after the last whole character are decoded; other tokenizers
decode the row's generated tokens whole each step. A row's final piece comes from the same decode
as its ``ChatResult``. A callback that raises is logged at WARNING and not called again; the batch
carries on. If the batcher retries a batch in halves after running out of memory, a request's
stream resumes after what it already sent.
"""

from __future__ import annotations

import copy
import logging
import os
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import (
    GenerationConfig,
    LogitsProcessor,
    LogitsProcessorList,
    StoppingCriteria,
    StoppingCriteriaList,
)

from models_runtime.backends.base import (
    Backend,
    ChatRequest,
    ChatResult,
    new_tokens_for,
    validate_chat_request,
)
from models_runtime.backends.loading import load_transformers
from models_runtime.batcher import is_out_of_memory
from models_runtime.errors import BackendError
from models_runtime.specs import ModelSpec
from models_runtime.thinking import CLOSE_TAG, OPEN_TAG, split_thinking

logger = logging.getLogger(__name__)

# LoRA adapters kept loaded beside the one base model (each is a few MB for SmolLM2).
MAX_ADAPTERS = 8

# Used when a tokenizer ships no chat template (ChatML, as SmolLM2 and Qwen use).
FALLBACK_CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
    "{% endif %}"
)


@dataclass
class TransformersChatBackend(Backend):
    model: object = None
    tokenizer: object = None

    @classmethod
    def load(cls, spec: ModelSpec) -> TransformersChatBackend:
        from transformers import AutoModelForCausalLM

        loaded = load_transformers(spec, AutoModelForCausalLM)
        tokenizer = loaded.tokenizer
        if not getattr(tokenizer, "chat_template", None):
            tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        backend = cls(
            spec=spec,
            device=loaded.device,
            dtype=loaded.dtype,
            revision=loaded.revision,
            details=loaded.details,
            model=loaded.model,
            tokenizer=tokenizer,
        )
        # Callers' threads count tokens while the batch thread encodes: give them their own copy,
        # so the two never share one Rust tokenizer object.
        backend._counting_tokenizer = copy.deepcopy(tokenizer)
        backend._eos_ids = _eos_ids(loaded.model, tokenizer)
        return backend

    # ------------------------------------------------------------------ validation (caller threads)

    def prompt_text(self, request: ChatRequest, tokenizer=None) -> str:
        return (tokenizer or self.tokenizer).apply_chat_template(
            [dict(m) for m in request.messages], add_generation_prompt=True, tokenize=False
        )

    def count_tokens(self, payload: ChatRequest) -> int:
        tokenizer = self._counting_tokenizer
        prompt = self.prompt_text(payload, tokenizer)
        return len(tokenizer(prompt, add_special_tokens=False)["input_ids"])

    def validate(self, payload: ChatRequest) -> None:
        validate_chat_request(payload, self.spec, adapters=True)
        super().validate(payload)

    def group_key(self, payload: ChatRequest):
        return payload.adapter_key

    # ------------------------------------------------------------ LoRA adapters (batch thread)

    def _adapter_scope(self, adapter):
        """Run a batch with ``adapter`` (an AdapterRef) active, or with none: the base model.

        The first adapter wraps the one base model with peft (LoRA layers injected in place);
        later ones are loaded beside it by name, at most ``MAX_ADAPTERS`` (the least recently
        used goes). Without an adapter, the layers are bypassed (``disable_adapter``)."""
        import contextlib

        peft_model = getattr(self, "_peft", None)
        if adapter is None:
            return (
                peft_model.disable_adapter() if peft_model is not None else contextlib.nullcontext()
            )
        self._load_adapter(adapter)
        self._peft.set_adapter(adapter.key)
        return contextlib.nullcontext()

    def _load_adapter(self, adapter) -> None:
        from peft import PeftModel

        from models_runtime.adapters import adapter_folder

        loaded = self.__dict__.setdefault("_adapters_loaded", {})
        if adapter.key in loaded:
            loaded[adapter.key] = loaded.pop(adapter.key)  # most recently used last
            return
        folder = str(adapter_folder(adapter))
        if getattr(self, "_peft", None) is None:
            self._peft = PeftModel.from_pretrained(self.model, folder, adapter_name=adapter.key)
            self._peft.eval()
        else:
            self._peft.load_adapter(folder, adapter_name=adapter.key)
        loaded[adapter.key] = adapter.digest
        logger.info("loaded LoRA adapter %s (%s) on %s", adapter.name, adapter.key, self.spec.name)
        while len(loaded) > MAX_ADAPTERS:
            oldest = next(iter(loaded))
            self._peft.set_adapter(adapter.key)  # the active adapter cannot be deleted
            self._peft.delete_adapter(oldest)
            loaded.pop(oldest)

    # ------------------------------------------------------------------------ batch (batch thread)

    def run_batch(self, payloads: Sequence[ChatRequest]) -> list[ChatResult]:
        keys = {request.adapter_key for request in payloads}
        if len(keys) > 1:  # the batcher groups by adapter; never run one batch with two
            raise BackendError(
                f"model {self.spec.name!r}: one batch with adapters {sorted(map(str, keys))}"
            )
        with self._adapter_scope(payloads[0].adapter):
            return self._run_batch(payloads)

    def _run_batch(self, payloads: Sequence[ChatRequest]) -> list[ChatResult]:
        clock = _StepClock()
        prompts = [self.prompt_text(request) for request in payloads]
        encoded = [self.tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
        input_ids, attention_mask = _left_pad(encoded, self.tokenizer.pad_token_id, self.device)
        limits = [new_tokens_for(request, self.spec) for request in payloads]
        stop = _PerRowStop(
            prompt_length=input_ids.shape[1],
            limits=limits,
            stops=[request.stop for request in payloads],
            eos_ids=self._eos_ids,
            tokenizer=self.tokenizer,
        )
        config = GenerationConfig(
            max_new_tokens=max(limits),
            do_sample=False,
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=sorted(self._eos_ids) or None,
            bos_token_id=getattr(self.model.generation_config, "bos_token_id", None),
        )
        criteria = StoppingCriteriaList([stop, clock])
        streamer = None
        if any(request.on_text is not None for request in payloads):
            # After ``stop`` in the list: it reads the verdicts ``stop`` has just given.
            streamer = _Streamer(
                payloads, prompts, stop, self.tokenizer, self._stream_resume_for(payloads)
            )
            criteria.append(streamer)
        try:
            with torch.inference_mode():
                sequences = self.model.generate(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    generation_config=config,
                    logits_processor=LogitsProcessorList(
                        [
                            _PerRowEosBan(payloads, limits, self._eos_ids, input_ids.shape[1]),
                            _PerRowSampler(payloads, self.device),
                        ]
                    ),
                    stopping_criteria=criteria,
                )
        except Exception as exc:
            if streamer is not None and is_out_of_memory(exc):
                self._keep_stream_progress(streamer)  # the batcher retries in halves
            raise
        generated = sequences[:, input_ids.shape[1] :].tolist()
        results = []
        for row, request in enumerate(payloads):
            count = stop.done_at[row] if stop.done_at[row] is not None else len(generated[row])
            ids = generated[row][:count]
            reasoning, answer, cut = _decode_answer(self.tokenizer, ids, request.stop)
            results.append(
                ChatResult(
                    text=answer,
                    reasoning=reasoning,
                    tokens_in=len(encoded[row]),
                    tokens_out=len(ids),
                    finish_reason="stop" if cut else (stop.reason[row] or "length"),
                    first_token_s=clock.at(1),
                    last_token_s=clock.at(max(1, len(ids))),
                )
            )
        if streamer is not None:
            streamer.flush([result.text for result in results])
        return results

    # ---------------------------------------------------------------- streaming across OOM retries

    def _stream_resume_for(self, payloads: Sequence[ChatRequest]) -> list[str | None]:
        """What each request already streamed in a batch that ran out of memory (which the batcher
        retries in halves with the same request objects): the retry resumes after it. None: the
        request's callback raised there, and is not called again."""
        progress = getattr(self, "_stream_progress", None)
        if not progress:
            return [""] * len(payloads)
        resume = []
        for request in payloads:
            ref, emitted = progress.pop(id(request), (None, ""))
            resume.append(emitted if ref is not None and ref() is request else "")
        return resume

    def _keep_stream_progress(self, streamer: _Streamer) -> None:
        progress = getattr(self, "_stream_progress", None)
        if progress is None:
            progress = self._stream_progress = {}
        for key in [key for key, (ref, _) in progress.items() if ref() is None]:
            del progress[key]
        for row in streamer.rows:
            if row.emitted or row.callback is None:
                emitted = None if row.callback is None else row.emitted
                progress[id(row.request)] = (weakref.ref(row.request), emitted)


def _eos_ids(model, tokenizer) -> set[int]:
    ids: set[int] = set()
    for value in (model.generation_config.eos_token_id, tokenizer.eos_token_id):
        if isinstance(value, int):
            ids.add(value)
        elif value:
            ids.update(value)
    return ids


def _left_pad(rows: list[list[int]], pad_id: int, device: str):
    """Left padding done by hand: the shared tokenizer's padding state is never touched."""
    width = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        if row:
            input_ids[i, width - len(row) :] = torch.tensor(row, dtype=torch.long)
            attention_mask[i, width - len(row) :] = 1
    return input_ids.to(device), attention_mask.to(device)


def _cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    positions = [text.find(s) for s in stops if s in text]
    if not positions:
        return text, False
    return text[: min(positions)], True


def _decode_answer(tokenizer, ids: list[int], stops: Sequence[str]) -> tuple[str | None, str, bool]:
    """``(reasoning, answer, cut)`` of a row's generated tokens: the final ``ChatResult`` text."""
    text, cut = _cut_at_stop(tokenizer.decode(ids, skip_special_tokens=True), stops)
    reasoning, answer = split_thinking(text)
    return reasoning, answer, cut


def _decodes_by_concatenation(tokenizer) -> bool:
    """Whether ``decode(a + b) == decode(a) + decode(b)`` whenever ``decode(a)`` ends on a whole
    character: true of a plain byte-level decoder (GPT-2, Llama 3, Qwen, SmolLM2, DeepSeek) that
    joins the tokens' bytes and decodes them as UTF-8, with no clean-up of spaces afterwards.
    Other tokenizers (SentencePiece's leading-space rule, WordPiece's clean-up) decode whole."""
    try:
        from tokenizers.decoders import ByteLevel

        decoder = tokenizer.backend_tokenizer.decoder
    except (AttributeError, ImportError):
        return False
    cleanup = getattr(tokenizer, "clean_up_tokenization_spaces", False)
    return isinstance(decoder, ByteLevel) and not cleanup


def _partial_tail(text: str, needles: Sequence[str]) -> int:
    """Length of the longest tail of ``text`` that is a proper beginning of one of ``needles``."""
    best = 0
    for needle in needles:
        for size in range(min(len(needle) - 1, len(text)), best, -1):
            if text.endswith(needle[:size]):
                best = size
                break
    return best


def _settled_answer(text: str, thinking_open: bool) -> str:
    """The part of the final answer that ``text`` (the raw text so far, stop strings already dealt
    with) settles: a prefix of ``split_thinking(text + whatever comes next)[1]``."""
    open_at = text.find(OPEN_TAG)
    close_at = text.find(CLOSE_TAG)
    if close_at != -1 and (open_at == -1 or open_at > close_at):
        return text[close_at + len(CLOSE_TAG) :].strip()
    if open_at == -1:
        if thinking_open:  # the prompt opened a think block: all of it may turn out reasoning
            return ""
        return text[: len(text) - _partial_tail(text, (OPEN_TAG, CLOSE_TAG))].strip()
    before, after = text[:open_at], text[open_at + len(OPEN_TAG) :]
    close_at = after.find(CLOSE_TAG)
    if close_at == -1:
        return before.strip()
    return (before + after[close_at + len(CLOSE_TAG) :]).strip()


class _StreamRow:
    __slots__ = (
        "index",
        "request",
        "callback",
        "stops",
        "thinking_open",
        "emitted",
        "live",
        "decoded",
        "decoded_text",
    )

    # ``live``: still streaming. It turns False when the row's answer is complete (its final text
    # sent) or when its callback raised (``callback`` is then None).

    def __init__(self, index: int, request: ChatRequest, prompt: str, emitted: str | None):
        self.index = index
        self.request = request
        self.callback = request.on_text if emitted is not None else None
        self.stops = request.stop
        self.thinking_open = prompt.rstrip().endswith(OPEN_TAG)
        self.emitted = emitted or ""  # the text sent so far (or by an earlier, failed attempt)
        self.live = self.callback is not None
        # Incremental decoding: the first ``decoded`` generated tokens decode to ``decoded_text``,
        # which ends on a whole character (so later tokens cannot change it).
        self.decoded = 0
        self.decoded_text = ""


class _Streamer(StoppingCriteria):
    """A stopping criterion that never stops a row: at every step it sends each streaming row's
    new settled answer text to the row's ``on_text``. Rows without a callback cost nothing."""

    def __init__(self, requests, prompts, stop: _PerRowStop, tokenizer, resume: list[str | None]):
        self.stop = stop
        self.tokenizer = tokenizer
        self.prompt_length = stop.prompt_length
        # decode() joins " ." into "." and the like after the fact: hold the last word back too.
        self.hold_last_word = bool(getattr(tokenizer, "clean_up_tokenization_spaces", False))
        self.incremental = _decodes_by_concatenation(tokenizer)
        self.rows = [
            _StreamRow(i, request, prompts[i], resume[i])
            for i, request in enumerate(requests)
            if request.on_text is not None
        ]

    def __call__(self, input_ids, scores, **kwargs):
        generated = input_ids.shape[1] - self.prompt_length
        for row in self.rows:
            if not row.live:
                continue
            done_at = self.stop.done_at[row.index]
            if done_at is not None:  # the row ended at this step: its final text is known
                start = self.prompt_length
                ids = input_ids[row.index, start : start + done_at].tolist()
                self._send_final(row, _decode_answer(self.tokenizer, ids, row.stops)[1])
                continue
            text = self._text(row, input_ids, generated).rstrip("\ufffd")
            cut, hit = _cut_at_stop(text, row.stops)
            if hit:  # a stop string the row's criterion has not caught yet: the answer ends here
                self._send_final(row, split_thinking(cut)[1])
                continue
            if row.stops:
                cut = cut[: len(cut) - _partial_tail(cut, row.stops)]
            if self.hold_last_word:
                cut = cut[: max((cut.rfind(c) for c in " \n\t"), default=-1) + 1]
            self._send_settled(row, _settled_answer(cut, row.thinking_open))
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    def _text(self, row: _StreamRow, input_ids, count: int) -> str:
        """The row's first ``count`` generated tokens decoded, as ``decode`` gives them whole."""
        start = self.prompt_length
        if not self.incremental:
            ids = input_ids[row.index, start : start + count].tolist()
            return self.tokenizer.decode(ids, skip_special_tokens=True)
        ids = input_ids[row.index, start + row.decoded : start + count].tolist()
        new = self.tokenizer.decode(ids, skip_special_tokens=True)
        if new.endswith("\ufffd"):  # a character still incomplete: decode it again next step
            return row.decoded_text + new
        row.decoded, row.decoded_text = count, row.decoded_text + new
        return row.decoded_text

    def flush(self, texts: Sequence[str]) -> None:
        """After ``generate``: send what remains of each streaming row's final text (normally
        nothing: a row's last piece goes out at the step it ends) and check the rest."""
        for row in self.rows:
            if row.callback is not None and row.emitted != texts[row.index]:
                self._send_final(row, texts[row.index])

    def _send_settled(self, row: _StreamRow, settled: str) -> None:
        if len(settled) > len(row.emitted) and settled.startswith(row.emitted):
            self._send(row, settled[len(row.emitted) :])

    def _send_final(self, row: _StreamRow, final: str) -> None:
        if not final.startswith(row.emitted):
            logger.warning(
                "the text streamed for batch row %d is not a prefix of its final text; "
                "nothing more is sent",
                row.index,
            )
        else:
            self._send_settled(row, final)
        row.live = False

    def _send(self, row: _StreamRow, delta: str) -> None:
        row.emitted += delta
        try:
            row.callback(delta)
        except Exception:
            logger.warning(
                "on_text callback of batch row %d raised; it is not called again",
                row.index,
                exc_info=True,
            )
            row.callback = None
            row.live = False


class _StepClock(StoppingCriteria):
    """Records when each decoding step ended (a criterion is called once per new token), for
    time to first token and inter-token latency; never stops anything."""

    def __init__(self):
        self.started = time.monotonic()
        self.steps: list[float] = []

    def __call__(self, input_ids, scores, **kwargs):
        self.steps.append(time.monotonic() - self.started)
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    def at(self, token: int) -> float | None:
        """Seconds from the batch's start to its ``token``-th new token (1-based)."""
        if not self.steps:
            return None
        return self.steps[min(token, len(self.steps)) - 1]


class _PerRowEosBan(LogitsProcessor):
    """Rows with ``ignore_eos`` may not end before their own max_new_tokens (other rows of the
    batch are untouched, unlike ``generate``'s batch-wide ``min_new_tokens``)."""

    def __init__(self, requests, limits, eos_ids, prompt_length):
        self.rows = [i for i, request in enumerate(requests) if request.ignore_eos]
        self.limits = limits
        self.eos = sorted(eos_ids)
        self.prompt_length = prompt_length

    def __call__(self, input_ids, scores):
        if self.rows and self.eos:
            generated = input_ids.shape[1] - self.prompt_length
            for row in self.rows:
                if generated < self.limits[row]:
                    scores[row, self.eos] = float("-inf")
        return scores


class _PerRowSampler(LogitsProcessor):
    """A logits processor: rows with temperature > 0 are sampled here (temperature, top-p, seed)
    and their scores replaced by a one-hot on the drawn token, which ``generate``'s argmax keeps."""

    def __init__(self, requests: Sequence[ChatRequest], device: str):
        self.rows = []
        for i, request in enumerate(requests):
            if request.temperature > 0:
                seed = (
                    request.seed
                    if request.seed is not None
                    else int.from_bytes(os.urandom(8), "big")
                )
                generator = torch.Generator(device=device).manual_seed(seed % (2**63))
                self.rows.append((i, float(request.temperature), float(request.top_p), generator))

    def __call__(self, input_ids, scores):
        for row, temperature, top_p, generator in self.rows:
            logits = scores[row].float() / temperature
            if top_p < 1.0:
                sorted_logits, order = torch.sort(logits, descending=True)
                probs = torch.softmax(sorted_logits, dim=-1)
                drop = probs.cumsum(dim=-1) - probs >= top_p  # the most likely token always stays
                logits[order[drop]] = float("-inf")
            token = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator)
            scores[row] = float("-inf")
            scores[row, token] = 0.0
        return scores


class _PerRowStop(StoppingCriteria):
    """A stopping criterion with one verdict per row; records when and why each row finished."""

    def __init__(self, prompt_length, limits, stops, eos_ids, tokenizer):
        self.prompt_length = prompt_length
        self.limits = limits
        self.stops = stops
        self.eos_ids = eos_ids
        self.tokenizer = tokenizer
        # Enough trailing tokens to hold the longest stop string (a token decodes to >= 1 char).
        self.tail = [max((len(s) for s in row), default=0) + 2 for row in stops]
        self.done_at: list[int | None] = [None] * len(limits)
        self.reason: list[str | None] = [None] * len(limits)

    def __call__(self, input_ids, scores, **kwargs):
        generated = input_ids.shape[1] - self.prompt_length
        last = input_ids[:, -1].tolist()
        for row in range(len(self.limits)):
            if self.done_at[row] is not None:
                continue
            if last[row] in self.eos_ids:
                self.done_at[row], self.reason[row] = generated, "stop"
            elif self.stops[row] and self._hit_stop(input_ids, row, generated):
                self.done_at[row], self.reason[row] = generated, "stop"
            elif generated >= self.limits[row]:
                self.done_at[row], self.reason[row] = generated, "length"
        done = [at is not None for at in self.done_at]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    def _hit_stop(self, input_ids, row, generated) -> bool:
        window = min(generated, self.tail[row])
        tail = self.tokenizer.decode(input_ids[row, -window:].tolist(), skip_special_tokens=True)
        return any(s in tail for s in self.stops[row])

"""Chat generation with transformers: one left-padded ``generate`` call per batch.

Requests in one batch keep their own parameters without splitting the batch:
- a per-row logits processor samples the rows that ask for sampling (their own temperature, top_p
  and seed) and leaves greedy rows (temperature 0) to ``generate``'s argmax;
- a per-row stopping criterion finishes each row at its own ``max_new_tokens``, at the end-of-turn
  token or at one of its stop strings; ``generate`` pads finished rows and ends when all are done.
"""

from __future__ import annotations

import copy
import os
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
from models_runtime.specs import ModelSpec
from models_runtime.thinking import split_thinking

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
        validate_chat_request(payload, self.spec)
        super().validate(payload)

    # ------------------------------------------------------------------------ batch (batch thread)

    def run_batch(self, payloads: Sequence[ChatRequest]) -> list[ChatResult]:
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
        with torch.inference_mode():
            sequences = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                generation_config=config,
                logits_processor=LogitsProcessorList([_PerRowSampler(payloads, self.device)]),
                stopping_criteria=StoppingCriteriaList([stop]),
            )
        generated = sequences[:, input_ids.shape[1] :].tolist()
        results = []
        for row, request in enumerate(payloads):
            count = stop.done_at[row] if stop.done_at[row] is not None else len(generated[row])
            ids = generated[row][:count]
            text = self.tokenizer.decode(ids, skip_special_tokens=True)
            text, cut = _cut_at_stop(text, request.stop)
            reasoning, answer = split_thinking(text)
            results.append(
                ChatResult(
                    text=answer,
                    reasoning=reasoning,
                    tokens_in=len(encoded[row]),
                    tokens_out=len(ids),
                    finish_reason="stop" if cut else (stop.reason[row] or "length"),
                )
            )
        return results


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

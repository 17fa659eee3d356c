"""Per-row controls for one left-padded ``generate`` call, so that requests in one batch keep
their own parameters without splitting the batch:
- ``PerRowSampler`` samples the rows that ask for sampling (their own temperature, top_p and
  seed) and leaves greedy rows (temperature 0) to ``generate``'s argmax;
- ``PerRowStop`` finishes each row at its own ``max_new_tokens``, at the end-of-turn token or at
  one of its stop strings (``generate`` pads finished rows and ends when all are done);
- ``PerRowEosBan`` keeps ``ignore_eos`` rows from ending before their own ``max_new_tokens``;
- ``StepClock`` records when each step ended; ``decode_answer`` gives a row's final text.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

import torch
from transformers import LogitsProcessor, StoppingCriteria

from models_runtime.backends.base import ChatRequest
from models_runtime.thinking import split_thinking


def cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    positions = [text.find(s) for s in stops if s in text]
    if not positions:
        return text, False
    return text[: min(positions)], True


def decode_answer(tokenizer, ids: list[int], stops: Sequence[str]) -> tuple[str | None, str, bool]:
    """``(reasoning, answer, cut)`` of a row's generated tokens: the final ``ChatResult`` text."""
    text, cut = cut_at_stop(tokenizer.decode(ids, skip_special_tokens=True), stops)
    reasoning, answer = split_thinking(text)
    return reasoning, answer, cut


class StepClock(StoppingCriteria):
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


class PerRowEosBan(LogitsProcessor):
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


class PerRowSampler(LogitsProcessor):
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


class PerRowStop(StoppingCriteria):
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

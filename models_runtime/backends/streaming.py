"""Streaming in the batch: a request with ``on_text`` gets its answer in pieces while ``generate``
runs (``Streamer``, a stopping criterion that never stops anything and looks only at
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

import logging
from collections.abc import Sequence

import torch
from transformers import StoppingCriteria

from models_runtime.backends.base import ChatRequest
from models_runtime.backends.per_row import PerRowStop, cut_at_stop, decode_answer
from models_runtime.thinking import CLOSE_TAG, OPEN_TAG, split_thinking

logger = logging.getLogger(__name__)


def decodes_by_concatenation(tokenizer) -> bool:
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


def partial_tail(text: str, needles: Sequence[str]) -> int:
    """Length of the longest tail of ``text`` that is a proper beginning of one of ``needles``."""
    best = 0
    for needle in needles:
        for size in range(min(len(needle) - 1, len(text)), best, -1):
            if text.endswith(needle[:size]):
                best = size
                break
    return best


def settled_answer(text: str, thinking_open: bool) -> str:
    """The part of the final answer that ``text`` (the raw text so far, stop strings already dealt
    with) settles: a prefix of ``split_thinking(text + whatever comes next)[1]``."""
    open_at = text.find(OPEN_TAG)
    close_at = text.find(CLOSE_TAG)
    if close_at != -1 and (open_at == -1 or open_at > close_at):
        return text[close_at + len(CLOSE_TAG) :].strip()
    if open_at == -1:
        if thinking_open:  # the prompt opened a think block: all of it may turn out reasoning
            return ""
        return text[: len(text) - partial_tail(text, (OPEN_TAG, CLOSE_TAG))].strip()
    before, after = text[:open_at], text[open_at + len(OPEN_TAG) :]
    close_at = after.find(CLOSE_TAG)
    if close_at == -1:
        return before.strip()
    return (before + after[close_at + len(CLOSE_TAG) :]).strip()


class StreamRow:
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


class Streamer(StoppingCriteria):
    """A stopping criterion that never stops a row: at every step it sends each streaming row's
    new settled answer text to the row's ``on_text``. Rows without a callback cost nothing."""

    def __init__(self, requests, prompts, stop: PerRowStop, tokenizer, resume: list[str | None]):
        self.stop = stop
        self.tokenizer = tokenizer
        self.prompt_length = stop.prompt_length
        # decode() joins " ." into "." and the like after the fact: hold the last word back too.
        self.hold_last_word = bool(getattr(tokenizer, "clean_up_tokenization_spaces", False))
        self.incremental = decodes_by_concatenation(tokenizer)
        self.rows = [
            StreamRow(i, request, prompts[i], resume[i])
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
                self._send_final(row, decode_answer(self.tokenizer, ids, row.stops)[1])
                continue
            text = self._text(row, input_ids, generated).rstrip("\ufffd")
            cut, hit = cut_at_stop(text, row.stops)
            if hit:  # a stop string the row's criterion has not caught yet: the answer ends here
                self._send_final(row, split_thinking(cut)[1])
                continue
            if row.stops:
                cut = cut[: len(cut) - partial_tail(cut, row.stops)]
            if self.hold_last_word:
                cut = cut[: max((cut.rfind(c) for c in " \n\t"), default=-1) + 1]
            self._send_settled(row, settled_answer(cut, row.thinking_open))
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    def _text(self, row: StreamRow, input_ids, count: int) -> str:
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

    def _send_settled(self, row: StreamRow, settled: str) -> None:
        if len(settled) > len(row.emitted) and settled.startswith(row.emitted):
            self._send(row, settled[len(row.emitted) :])

    def _send_final(self, row: StreamRow, final: str) -> None:
        if not final.startswith(row.emitted):
            logger.warning(
                "the text streamed for batch row %d is not a prefix of its final text; "
                "nothing more is sent",
                row.index,
            )
        else:
            self._send_settled(row, final)
        row.live = False

    def _send(self, row: StreamRow, delta: str) -> None:
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

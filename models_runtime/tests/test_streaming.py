"""Token streaming inside a dynamic batch (``ChatRequest.on_text``), with the real SmolLM2.

The model tests run greedy requests, so a request's text does not depend on whether it streams.
The scripted tests drive the streaming criterion step by step with SmolLM2's tokenizer over a
chosen text (think blocks, multi-byte characters, stop strings) exactly as ``generate`` would.
"""

from __future__ import annotations

import dataclasses
import logging
import threading

import pytest
import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from models_runtime.backends import ChatRequest, per_row, streaming
from models_runtime.backends import transformers_chat as tc
from models_runtime.thinking import split_thinking

WAIT = 300


class Recorder:
    """An ``on_text`` callback that keeps every delta (and optionally notes something per call)."""

    def __init__(self, note=None):
        self.deltas: list[str] = []
        self.notes: list = []
        self.note = note

    def __call__(self, delta: str) -> None:
        assert isinstance(delta, str)
        self.deltas.append(delta)
        if self.note is not None:
            self.notes.append(self.note())

    @property
    def text(self) -> str:
        return "".join(self.deltas)


def plain(request: ChatRequest) -> ChatRequest:
    return dataclasses.replace(request, on_text=None)


@pytest.fixture
def streamers(monkeypatch):
    """Every ``Streamer`` built while the test runs (with the rows it tracks)."""
    built = []

    class Spy(streaming.Streamer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(tc, "Streamer", Spy)
    return built


# ------------------------------------------------------------------------------ the real model


def test_streamed_deltas_make_up_the_final_text(chat_backend):
    recorder = Recorder()
    request = ChatRequest.from_prompt(
        "What is the capital of France?", max_new_tokens=16, on_text=recorder
    )
    (result,) = chat_backend.run_batch([request])
    assert "Paris" in result.text
    assert recorder.text == result.text
    assert len(recorder.deltas) > 1  # token by token, not in one piece at the end
    assert all(recorder.deltas)  # no empty deltas


def test_streaming_shares_a_batch_and_changes_no_result(chat_backend, streamers):
    recorder = Recorder()
    requests = [
        ChatRequest.from_prompt("Describe the sea in detail.", max_new_tokens=24),
        ChatRequest.from_prompt("What is the capital of France?", max_new_tokens=6),
        ChatRequest.from_prompt("Count from 1 to 10.", max_new_tokens=40, stop=(". 3",)),
    ]
    without = chat_backend.run_batch(requests)
    assert streamers == []  # no request streams: nothing is added to generate at all

    streaming = [dataclasses.replace(requests[0], on_text=recorder), *requests[1:]]
    with_stream = chat_backend.run_batch(streaming)

    assert with_stream == without  # same texts, token counts and finish reasons
    assert [r.finish_reason for r in with_stream] == ["length", "length", "stop"]
    assert with_stream[1].tokens_out == 6 and with_stream[2].tokens_out < 40
    assert recorder.text == with_stream[0].text  # nothing of rows 1 and 2 reached it
    assert len(recorder.deltas) > 1
    (streamer,) = streamers
    assert [row.index for row in streamer.rows] == [0]  # rows without a callback are not looked at


def test_a_stop_string_is_never_emitted(chat_backend):
    recorder = Recorder()
    request = ChatRequest.from_prompt(
        "Count from 1 to 10.", max_new_tokens=40, stop=(". 3",), on_text=recorder
    )
    (result,) = chat_backend.run_batch([request])
    assert result.finish_reason == "stop" and result.text.endswith("3")  # "…\n3" then ". 3"
    # "." and ". " were held back each time (they could begin ". 3") and sent once settled.
    assert recorder.text == result.text
    assert ". 3" not in recorder.text and not recorder.text.endswith(".")


def test_a_raising_callback_does_not_break_the_batch(chat_backend, caplog):
    calls = []

    def broken(delta):
        calls.append(delta)
        if len(calls) == 2:
            raise RuntimeError("subscriber went away")

    first, second = Recorder(), Recorder()
    requests = [
        ChatRequest.from_prompt("Describe the sea in detail.", max_new_tokens=20, on_text=broken),
        ChatRequest.from_prompt("What is the capital of France?", max_new_tokens=16, on_text=first),
        ChatRequest.from_prompt("Count from 1 to 10.", max_new_tokens=12, on_text=second),
    ]
    with caplog.at_level(logging.WARNING, logger=streaming.logger.name):
        results = chat_backend.run_batch(requests)

    assert results == chat_backend.run_batch([plain(r) for r in requests])
    assert len(calls) == 2  # not called again after it raised
    assert first.text == results[1].text and second.text == results[2].text
    assert len(first.deltas) > 1 and len(second.deltas) > 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("on_text" in r.getMessage() for r in warnings)


def test_deltas_arrive_while_generate_runs(chat_backend, monkeypatch):
    running = threading.Event()
    real_generate = chat_backend.model.generate

    def generate(*args, **kwargs):
        running.set()
        try:
            return real_generate(*args, **kwargs)
        finally:
            running.clear()

    monkeypatch.setattr(chat_backend.model, "generate", generate)
    recorder = Recorder(note=running.is_set)
    request = ChatRequest.from_prompt("Describe the sea in detail.", max_new_tokens=16)
    (result,) = chat_backend.run_batch([dataclasses.replace(request, on_text=recorder)])
    assert recorder.text == result.text and len(recorder.deltas) > 1
    assert all(recorder.notes)  # every delta, the last one too, came from inside generate
    assert not running.is_set()


def test_streaming_through_the_runtime(default_registry):
    from models_runtime.runtime import InferenceRuntime

    runtime = InferenceRuntime(default_registry)
    recorder = Recorder(note=lambda: threading.current_thread().name)
    try:
        outcome = runtime.chat(
            "chat", "What is 2+2?", max_new_tokens=16, on_text=recorder, timeout_s=WAIT
        )
    finally:
        for batcher in runtime._batchers.values():
            batcher.close()
    assert recorder.text == outcome.output.text != ""
    assert len(recorder.deltas) > 1
    assert set(recorder.notes) == {"batcher-chat"}  # called on the model's batch thread


def test_a_retry_after_out_of_memory_resumes_the_stream(chat_backend, monkeypatch):
    """The batcher retries a batch that ran out of memory in halves, with the same requests."""
    real_generate = chat_backend.model.generate
    attempts = []
    prompt_length = []

    class OutOfMemoryAtStep(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            if input_ids.shape[1] - prompt_length[0] >= 6:
                raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
            return torch.zeros(input_ids.shape[0], dtype=torch.bool)

    def generate(*args, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            prompt_length.append(kwargs["input_ids"].shape[1])
            kwargs["stopping_criteria"] = StoppingCriteriaList(
                [*kwargs["stopping_criteria"], OutOfMemoryAtStep()]
            )
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(chat_backend.model, "generate", generate)
    recorder = Recorder()
    request = ChatRequest.from_prompt(
        "Describe the sea in detail.", max_new_tokens=16, on_text=recorder
    )
    broken_calls = []

    def broken(delta):
        broken_calls.append(delta)
        raise RuntimeError("subscriber went away")

    other = ChatRequest.from_prompt("Count from 1 to 10.", max_new_tokens=8, on_text=broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        chat_backend.run_batch([request, other])
    sent_before = recorder.text
    assert sent_before  # the failed attempt had streamed some text
    assert len(broken_calls) == 1

    (result,) = chat_backend.run_batch([request])  # the batcher's first half
    assert result.text.startswith(sent_before)
    assert recorder.text == result.text  # resumed after what was sent: nothing twice
    (other_result,) = chat_backend.run_batch([other])  # and its second half
    assert other_result.text and len(broken_calls) == 1  # the failed callback stays off

    # A request that merely equals it is a different request: it streams from the start.
    again = Recorder()
    (repeat,) = chat_backend.run_batch([dataclasses.replace(request, on_text=again)])
    assert again.text == repeat.text == result.text


# ------------------------------------------------------------- scripted steps, SmolLM2 tokenizer


def stream_script(
    tokenizer, generated: str, *, stops=(), prompt="<|im_start|>assistant\n", steps=None
):
    """Feed ``generated``'s tokens one step at a time to the criteria, as ``generate`` does; return
    the recorder, the final answer text and the row's raw decodes at each step. ``steps`` ends
    the generation early, before the row's own criterion has ended it."""
    tokens = tokenizer(generated, add_special_tokens=False)["input_ids"]
    prompt_ids = [tokenizer.pad_token_id] * 3
    recorder = Recorder()
    request = ChatRequest.from_prompt("x", stop=tuple(stops), on_text=recorder)
    stop = per_row.PerRowStop(
        prompt_length=len(prompt_ids),
        limits=[len(tokens)],
        stops=[request.stop],
        eos_ids=set(),
        tokenizer=tokenizer,
    )
    streamer = streaming.Streamer([request], [prompt], stop, tokenizer, [""])
    decodes = []
    for count in range(1, (steps or len(tokens)) + 1):
        ids = torch.tensor([prompt_ids + tokens[:count]])
        stop(ids, None)
        streamer(ids, None)
        decodes.append(tokenizer.decode(tokens[:count], skip_special_tokens=True))
        if stop.done_at[0] is not None:
            break
    final = per_row.decode_answer(tokenizer, tokens[: stop.done_at[0] or count], request.stop)[1]
    streamer.flush([final])
    return recorder, final, decodes


def test_reasoning_is_not_streamed(chat_backend):
    text = "<think>Let me think 🤔 about it.</think>\n\nThe answer is 42 🎉."
    recorder, final, _ = stream_script(chat_backend.tokenizer, text)
    assert final == "The answer is 42 🎉."
    assert recorder.text == final and len(recorder.deltas) > 1
    assert "think" not in recorder.text and "🤔" not in recorder.text


def test_reasoning_opened_by_the_chat_template_is_not_streamed(chat_backend):
    prompt = "<|im_start|>assistant\n<think>\n"  # as DeepSeek-R1's template ends
    text = "I should add 2 and 2.</think>\nIt is 4, and I'm sure of it."
    recorder, final, _ = stream_script(chat_backend.tokenizer, text, prompt=prompt)
    assert final == "It is 4, and I'm sure of it."
    assert recorder.text == final and len(recorder.deltas) > 1


@pytest.mark.parametrize(
    ("prompt", "text", "final", "pieces"),
    [
        # The model never closed its think block: no answer, nothing sent.
        ("<|im_start|>assistant\n", "<think>still thinking when it ran out", "", 0),
        # The template opened one the model never closed: split_thinking makes it all answer,
        # known only at the end, so it comes in one piece.
        (
            "<|im_start|>assistant\n<think>\n",
            "Just an answer, no tags.",
            "Just an answer, no tags.",
            1,
        ),
    ],
)
def test_text_that_may_be_reasoning_waits_for_the_end(chat_backend, prompt, text, final, pieces):
    recorder, got, _ = stream_script(chat_backend.tokenizer, text, prompt=prompt)
    assert got == final == recorder.text
    assert len(recorder.deltas) == pieces


def test_answer_around_a_think_block(chat_backend):
    recorder, final, _ = stream_script(chat_backend.tokenizer, "Sure. <think>hmm</think> Yes, ok.")
    assert final == "Sure.  Yes, ok." == recorder.text
    assert recorder.deltas[0] == "Sure"  # sent before the think block began


def test_multibyte_characters_are_sent_whole(chat_backend):
    text = "Café ☕ and 日本語 with 🌊🙂 emoji."
    recorder, final, decodes = stream_script(chat_backend.tokenizer, text)
    assert any(d.endswith("\ufffd") for d in decodes)  # some steps did end inside a character
    assert recorder.text == final == text
    assert not any("\ufffd" in d for d in recorder.deltas)
    assert len(recorder.deltas) > 5


def test_a_tail_that_may_begin_a_stop_string_waits(chat_backend):
    text = "Tokens ST and STO are fine, STOP is not."
    recorder, final, _ = stream_script(chat_backend.tokenizer, text, stops=("STOP",))
    assert final == "Tokens ST and STO are fine," == recorder.text
    sent = ""
    for delta in recorder.deltas:
        sent += delta
        assert final.startswith(sent)  # never ahead of the final text, never into "STOP"


def test_what_was_held_back_is_sent_after_generate(chat_backend):
    # Tokens "Hello", " wor", " l", "d": generation ends (say, by another criterion) after two,
    # with " wor" held back as a possible beginning of the stop string.
    recorder, final, _ = stream_script(
        chat_backend.tokenizer, "Hello wor ld", stops=("world",), steps=2
    )
    assert final == "Hello wor"
    assert recorder.deltas == ["Hello", " wor"]  # the second one by flush, after the steps


def test_a_closing_tag_never_opened_is_a_known_limit(chat_backend, caplog):
    """Without ``<think>`` in the text or at the end of the prompt the text is streamed as answer;
    a later stray ``</think>`` makes split_thinking call it reasoning. That is logged."""
    with caplog.at_level(logging.WARNING, logger=streaming.logger.name):
        recorder, final, _ = stream_script(chat_backend.tokenizer, "Plain start</think>then more")
    assert final == "then more"
    assert recorder.text == "Plain start"  # sent before the tag appeared; nothing after it
    assert any("not a prefix" in r.getMessage() for r in caplog.records)


def test_incremental_decoding_matches_whole_decoding(chat_backend):
    """The byte-level shortcut: decoding only the new tokens gives what decoding all gives."""
    tokenizer = chat_backend.tokenizer
    assert streaming.decodes_by_concatenation(tokenizer)
    text = "Grüße 👋🏽 from 東京! <|im_end|> x\n\n\tspaces   and ✨ done"
    tokens = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.convert_tokens_to_ids("<|im_end|>") in tokens  # a special token is skipped
    request = ChatRequest.from_prompt("x", on_text=lambda d: None)
    stop = per_row.PerRowStop(0, [len(tokens)], [()], set(), tokenizer)
    streamer = streaming.Streamer([request], ["p"], stop, tokenizer, [""])
    (row,) = streamer.rows
    for count in range(1, len(tokens) + 1):
        ids = torch.tensor([tokens[:count]])
        assert streamer._text(row, ids, count) == tokenizer.decode(
            tokens[:count], skip_special_tokens=True
        )
    assert 0 < row.decoded <= len(tokens)


# ------------------------------------------------------------------------ the settling rules


@pytest.mark.parametrize(
    ("text", "thinking_open"),
    [
        ("<think>add 2 and 2</think>The answer is 4.", False),
        ("<think>\nstep one\n</think>\n\nDone", False),
        ("add 2 and 2</think>4", True),
        ("<think>still thinking when the tokens ran out", False),
        ("Plain answer, with  spaces and\n\nparagraphs.\n", False),
        ("Sure. <think>hmm</think> Yes.", False),
        ("Less than < and <thi and </thin are text.", False),
        ("  leading spaces", False),
    ],
)
def test_settled_text_only_grows_and_leads_to_the_final_answer(text, thinking_open):
    final = split_thinking(text)[1]
    previous = ""
    for end in range(len(text) + 1):
        settled = streaming.settled_answer(text[:end], thinking_open)
        assert final.startswith(settled), (text[:end], settled)
        assert settled.startswith(previous), (text[:end], settled)
        previous = settled

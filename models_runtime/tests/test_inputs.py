"""Requests refused before they reach a queue, with the real tokenizers counting tokens."""

import pytest

from models_runtime.backends import ChatRequest
from models_runtime.errors import InvalidInput, UnknownModel
from models_runtime.runtime import InferenceRuntime


@pytest.fixture(scope="module")
def runtime(default_registry):
    runtime = InferenceRuntime(default_registry)
    yield runtime
    for batcher in runtime._batchers.values():
        batcher.close()


def test_unknown_model(runtime):
    with pytest.raises(UnknownModel, match="unknown model 'nope'; known models: chat, embed"):
        runtime.embed("nope", ["text"])
    with pytest.raises(InvalidInput):  # the API can treat it as any other bad input
        runtime.chat("nope", "hi")


@pytest.mark.parametrize("text", ["", "   \n"])
def test_empty_text(runtime, text):
    with pytest.raises(InvalidInput, match="empty"):
        runtime.embed("embed", [text])


def test_too_many_tokens_counted_with_the_models_tokenizer(runtime, embed_backend):
    text = "tokenization " * 200  # 2 word pieces each: 400 tokens plus [CLS] and [SEP]
    assert embed_backend.count_tokens(text) == 402
    with pytest.raises(
        InvalidInput, match="input is 402 tokens; model 'embed' accepts at most 256"
    ):
        runtime.embed("embed", [text])
    assert runtime.batcher("embed").snapshot()["submitted"] == 0


def test_one_bad_text_withdraws_the_whole_list(runtime):
    before = runtime.batcher("embed").snapshot()["completed"]
    with pytest.raises(InvalidInput):
        runtime.embed("embed", ["fine", ""])
    runtime.embed("embed", ["next"])
    assert runtime.batcher("embed").snapshot()["completed"] == before + 1


def test_chat_input_checks(runtime):
    with pytest.raises(InvalidInput, match="messages is empty"):
        runtime.chat("chat", [])
    with pytest.raises(InvalidInput, match="messages hold no text"):
        runtime.chat("chat", " ")
    with pytest.raises(InvalidInput, match="cap of 512"):
        runtime.chat("chat", "hi", max_new_tokens=10_000)
    with pytest.raises(InvalidInput, match="temperature"):
        runtime.chat("chat", "hi", temperature=-1)
    with pytest.raises(InvalidInput, match="needs a role"):
        runtime.chat("chat", [{"role": "wizard", "content": "hi"}])
    with pytest.raises(InvalidInput, match="accepts at most 1536"):
        runtime.chat("chat", "word " * 2000)
    with pytest.raises(InvalidInput, match="bad chat parameters"):
        runtime.chat("chat", "hi", max_tokens=5)
    with pytest.raises(InvalidInput, match="takes a ChatRequest"):
        runtime.run("chat", "a bare string")
    assert ChatRequest.build("hi", stop="x").stop == ("x",)
    with pytest.raises(InvalidInput, match="stop must be"):
        runtime.run("chat", ChatRequest.from_prompt("hi", stop="x"))

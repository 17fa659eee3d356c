"""Chat and embeddings on an OpenAI-compatible server (vLLM, SGLang, `transformers serve`,
DeepSeek's API) through the official ``openai`` SDK.

- **Streaming**: a request with ``on_text`` (the platform's SSE, ``"stream": true``) is streamed
  from the server (``stream_options.include_usage``) and gets each piece of the answer as it
  arrives (time to first token is measured from the stream); other requests get one answer.
  The pieces put together equal the final ``ChatResult.text``: leading and trailing whitespace
  wait until text follows, and a ``<think>`` block in the content (models without a reasoning
  parser) is never sent.
- **Usage** is the server's (``usage``; the last chunk's when streaming), never an estimate.
- **Reasoning**: ``reasoning_content`` (DeepSeek's API, vLLM's reasoning parsers) or ``reasoning``
  deltas, else a ``<think>`` block at the start of the content (``split_thinking``).
- **Retries and time-outs**: the SDK retries 429, 5xx, time-outs and connection errors with
  exponential back-off (``http_max_retries``, honouring Retry-After); ``http_timeout_s`` bounds
  each attempt. Whatever still fails is a ``BackendError`` naming the server (with its HTTP
  status), and a stream that breaks off says after how many pieces.
- **LoRA adapters** are served by the server under model names (vLLM's ``--lora-modules
  name=path``); ``ModelSpec.lora_models`` maps each tenant's adapter names to them
  (``adapters.resolve`` returns a ``RemoteAdapter``); a request with one asks for that model name.

Chat requests of one batch go out concurrently (the server batches them itself); an embeddings
batch is one request.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import openai

from models_runtime.backends.base import (
    Backend,
    ChatRequest,
    ChatResult,
    EmbedResult,
    new_tokens_for,
    require_text,
    validate_chat_request,
)
from models_runtime.errors import BackendError, ModelLoadError
from models_runtime.specs import ModelSpec
from models_runtime.thinking import CLOSE_TAG, OPEN_TAG, split_thinking

CHARS_PER_TOKEN = 4  # no tokenizer for a remote model: a conservative estimate for the input limit


def _api_error(exc: Exception, url: str, timeout: float) -> BackendError:
    """The SDK's error after its retries, as the platform's ``BackendError``."""
    if isinstance(exc, openai.APITimeoutError):
        return BackendError(f"POST {url} timed out after {timeout:g}s")
    if isinstance(exc, openai.APIConnectionError):
        return BackendError(f"cannot reach {url}: {exc.__cause__ or exc}")
    if isinstance(exc, openai.APIStatusError):
        message = exc.message
        body = exc.body if isinstance(exc.body, dict) else {}
        detail = body.get("message") or (body.get("error") or {}).get("message")
        if detail:
            message = str(detail)
        return BackendError(
            f"POST {url} answered {exc.status_code}: {message}", status_code=exc.status_code
        )
    return BackendError(f"POST {url} failed: {type(exc).__name__}: {exc}")


def _extra(obj, *names: str):
    """A field the SDK's models do not declare (``reasoning_content``): kept in model_extra."""
    for name in names:
        value = getattr(obj, name, None)
        if value is None:
            value = (getattr(obj, "model_extra", None) or {}).get(name)
        if value:
            return value
    return None


class _AnswerStream:
    """Turns content deltas into settled answer pieces for ``on_text``: nothing inside a leading
    ``<think>`` block, no leading or trailing whitespace until text follows it."""

    def __init__(self, on_text):
        self.on_text, self.content, self.sent = on_text, "", ""

    def _answer_so_far(self) -> str:
        head = self.content.lstrip()
        if head.startswith(OPEN_TAG) or OPEN_TAG.startswith(head):
            close = self.content.find(CLOSE_TAG)
            return "" if close < 0 else self.content[close + len(CLOSE_TAG) :]
        return self.content

    def add(self, delta: str) -> None:
        self.content += delta
        if self.on_text is not None:
            self._send(self._answer_so_far().strip())

    def finish(self, final: str) -> None:
        if self.on_text is not None:
            self._send(final)

    def _send(self, settled: str) -> None:
        if len(settled) > len(self.sent) and settled.startswith(self.sent):
            piece, self.sent = settled[len(self.sent) :], settled
            self.on_text(piece)


@dataclass
class OpenAICompatibleBackend(Backend):
    @classmethod
    def load(cls, spec: ModelSpec) -> OpenAICompatibleBackend:
        api_key = None
        if spec.api_key_env:
            api_key = os.environ.get(spec.api_key_env)
            if not api_key:
                raise ModelLoadError(
                    f"model {spec.name!r}: api_key_env names {spec.api_key_env}, which is unset"
                )
        backend = cls(
            spec=spec,
            device="remote",
            dtype="remote",
            revision=f"{spec.api_model}@{spec.base_url}",
            details={"base_url": spec.base_url, "api_model": spec.api_model},
        )
        backend._client = openai.OpenAI(
            base_url=spec.base_url,
            api_key=api_key or "unused",
            timeout=spec.http_timeout_s,
            max_retries=spec.http_max_retries,
        )
        # A server without keys (a local vLLM) gets no Authorization header at all (the SDK
        # takes that only per request).
        backend._headers = {} if api_key else {"extra_headers": {"Authorization": openai.omit}}
        backend._pool = ThreadPoolExecutor(
            spec.max_batch_size, thread_name_prefix=f"openai-{spec.name}"
        )
        return backend

    def _url(self, path: str) -> str:
        return self.spec.base_url.rstrip("/") + path

    def count_tokens(self, payload) -> int:
        if isinstance(payload, ChatRequest):
            chars = sum(len(m["content"]) for m in payload.messages)
        else:
            chars = len(payload)
        return math.ceil(chars / CHARS_PER_TOKEN)

    def validate(self, payload) -> None:
        if self.spec.task == "chat":
            validate_chat_request(payload, self.spec, adapters=bool(self.spec.lora_models))
        else:
            require_text(payload)
        super().validate(payload)

    def group_key(self, payload: ChatRequest):
        return None  # the server mixes adapters in one batch itself (vLLM multi-LoRA)

    def run_batch(self, payloads: Sequence) -> list:
        if self.spec.task == "embed":
            return self._embed(payloads)
        futures = [self._pool.submit(self._chat, request) for request in payloads]
        results = []
        for future in futures:  # one failed request fails only its caller
            try:
                results.append(future.result())
            except BackendError as exc:
                results.append(exc)
        return results

    def _chat(self, request: ChatRequest) -> ChatResult:
        url = self._url("/chat/completions")
        served = getattr(request.adapter, "served_model", None) or self.spec.api_model
        kwargs = {
            "model": served,
            "messages": [dict(m) for m in request.messages],
            "max_tokens": new_tokens_for(request, self.spec),
            "temperature": request.temperature,
            "top_p": request.top_p,
        }
        if request.stop:
            kwargs["stop"] = list(request.stop)
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.on_text is None:
            return self._chat_whole(url, kwargs)
        kwargs.update(stream=True, stream_options={"include_usage": True})
        started = time.monotonic()
        try:
            stream = self._client.chat.completions.create(**kwargs, **self._headers)
        except openai.OpenAIError as exc:
            raise _api_error(exc, url, self.spec.http_timeout_s) from exc
        answer = _AnswerStream(request.on_text)
        reasoning_parts: list[str] = []
        usage = finish = first = last = None
        pieces = 0
        try:
            for chunk in stream:
                usage = chunk.usage or usage
                for choice in chunk.choices:
                    delta = choice.delta
                    thought = _extra(delta, "reasoning_content", "reasoning")
                    if thought:
                        reasoning_parts.append(thought)
                    if delta.content or thought:
                        pieces += 1
                        last = time.monotonic() - started
                        first = last if first is None else first
                    if delta.content:
                        answer.add(delta.content)
                    finish = choice.finish_reason or finish
        except Exception as exc:  # the server died or the connection broke mid-stream
            raise BackendError(
                f"the stream from {url} broke off after {pieces} piece(s): "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        finally:
            stream.close()
        if finish is None:
            raise BackendError(
                f"the stream from {url} broke off after {pieces} piece(s): it ended without "
                "a finish_reason"
            )
        reasoning = "".join(reasoning_parts) or None
        content = answer.content
        if reasoning is None:
            reasoning, content = split_thinking(content)
        text = content.strip()
        answer.finish(text)
        return ChatResult(
            text=text,
            reasoning=reasoning,
            tokens_in=int(getattr(usage, "prompt_tokens", 0) or 0),
            tokens_out=int(getattr(usage, "completion_tokens", 0) or 0),
            finish_reason="length" if finish == "length" else "stop",
            first_token_s=first,
            last_token_s=last,
        )

    def _chat_whole(self, url: str, kwargs: dict) -> ChatResult:
        """A request nobody streams: one answer (every OpenAI-compatible server has this form)."""
        try:
            answer = self._client.chat.completions.create(**kwargs, **self._headers)
            choice = answer.choices[0]
            message = choice.message
        except openai.OpenAIError as exc:
            raise _api_error(exc, url, self.spec.http_timeout_s) from exc
        except (IndexError, AttributeError, TypeError) as exc:
            raise BackendError(f"chat answer from {url} without choices[0].message") from exc
        content = message.content or ""
        reasoning = _extra(message, "reasoning_content", "reasoning")
        if reasoning is None:
            reasoning, content = split_thinking(content)
        return ChatResult(
            text=content.strip(),
            reasoning=reasoning,
            tokens_in=int(getattr(answer.usage, "prompt_tokens", 0) or 0),
            tokens_out=int(getattr(answer.usage, "completion_tokens", 0) or 0),
            finish_reason="length" if choice.finish_reason == "length" else "stop",
        )

    def _embed(self, texts: Sequence[str]) -> list[EmbedResult]:
        url = self._url("/embeddings")
        try:
            answer = self._client.embeddings.create(
                model=self.spec.api_model, input=list(texts), **self._headers
            )
        except openai.OpenAIError as exc:
            raise _api_error(exc, url, self.spec.http_timeout_s) from exc
        vectors = [item.embedding for item in sorted(answer.data, key=lambda item: item.index)]
        if len(vectors) != len(texts):
            raise BackendError(f"sent {len(texts)} texts, got {len(vectors)} embeddings back")
        tokens = int(getattr(answer.usage, "prompt_tokens", 0) or 0)
        share = tokens // len(texts) if texts else 0  # the API reports one total for the batch
        return [EmbedResult(vector=list(map(float, v)), tokens_in=share) for v in vectors]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()

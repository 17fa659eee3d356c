"""Chat and embeddings over HTTP to an OpenAI-compatible server (vLLM, SGLang, DeepSeek's API).

``POST {base_url}/chat/completions`` and ``POST {base_url}/embeddings``. Chat requests of one batch
go out concurrently (the server batches them itself); an embeddings batch is one request. Uses
``httpx`` when installed, else the standard library's urllib.
"""

from __future__ import annotations

import json
import math
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

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
from models_runtime.thinking import split_thinking

try:  # optional: a faster client with connection pooling
    import httpx
except ImportError:  # pragma: no cover - depends on the environment
    httpx = None

CHARS_PER_TOKEN = 4  # no tokenizer for a remote model: a conservative estimate for the input limit


def post_json(url: str, body: dict, headers: dict, timeout: float) -> dict:
    """POST JSON and return the decoded answer; every failure is a ``BackendError``."""
    headers = {"Content-Type": "application/json", "Accept": "application/json", **headers}
    data = json.dumps(body).encode()
    if httpx is not None:
        try:
            response = httpx.post(url, content=data, headers=headers, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise BackendError(f"POST {url} timed out after {timeout:g}s") from exc
        except httpx.HTTPError as exc:
            raise BackendError(f"cannot reach {url}: {exc}") from exc
        status, text = response.status_code, response.text
    else:
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, text = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode("utf-8", "replace")
        except TimeoutError as exc:
            raise BackendError(f"POST {url} timed out after {timeout:g}s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise BackendError(f"POST {url} timed out after {timeout:g}s") from exc
            raise BackendError(f"cannot reach {url}: {exc.reason}") from exc
    if status >= 400:
        raise BackendError(
            f"POST {url} answered {status}: {_error_message(text)}", status_code=status
        )
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BackendError(
            f"POST {url} answered {status} with invalid JSON: {text[:200]!r}"
        ) from exc


def _error_message(text: str) -> str:
    try:
        error = json.loads(text).get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if error:
            return str(error)
    except (ValueError, AttributeError):
        pass
    return text[:300] or "(empty body)"


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
        backend._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
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
            validate_chat_request(payload, self.spec)
        else:
            require_text(payload)
        super().validate(payload)

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
        body = {
            "model": self.spec.api_model,
            "messages": [dict(m) for m in request.messages],
            "max_tokens": new_tokens_for(request, self.spec),
            "temperature": request.temperature,
            "top_p": request.top_p,
        }
        if request.stop:
            body["stop"] = list(request.stop)
        if request.seed is not None:
            body["seed"] = request.seed
        answer = post_json(
            self._url("/chat/completions"), body, self._headers, self.spec.http_timeout_s
        )
        try:
            choice = answer["choices"][0]
            message = choice["message"]
            content = message.get("content") or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise BackendError(
                f"chat answer without choices[0].message: {str(answer)[:200]}"
            ) from exc
        # DeepSeek's API and vLLM's reasoning parsers return the reasoning separately.
        reasoning = message.get("reasoning_content") or message.get("reasoning")
        if reasoning is None:
            reasoning, content = split_thinking(content)
        usage = answer.get("usage") or {}
        return ChatResult(
            text=content.strip(),
            reasoning=reasoning,
            tokens_in=int(usage.get("prompt_tokens", 0)),
            tokens_out=int(usage.get("completion_tokens", 0)),
            finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
        )

    def _embed(self, texts: Sequence[str]) -> list[EmbedResult]:
        body = {"model": self.spec.api_model, "input": list(texts)}
        answer = post_json(self._url("/embeddings"), body, self._headers, self.spec.http_timeout_s)
        try:
            data = sorted(answer["data"], key=lambda item: item["index"])
            vectors = [item["embedding"] for item in data]
        except (KeyError, TypeError) as exc:
            raise BackendError(
                f"embeddings answer without data[].embedding: {str(answer)[:200]}"
            ) from exc
        if len(vectors) != len(texts):
            raise BackendError(f"sent {len(texts)} texts, got {len(vectors)} embeddings back")
        tokens = int((answer.get("usage") or {}).get("prompt_tokens", 0))
        share = tokens // len(texts) if texts else 0  # the API reports one total for the batch
        return [EmbedResult(vector=list(map(float, v)), tokens_in=share) for v in vectors]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

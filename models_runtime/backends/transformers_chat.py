"""Chat generation with transformers: one left-padded ``generate`` call per batch.

Requests in one batch keep their own parameters without splitting the batch (per_row.py: a
sampler, a stopping criterion and an end-of-turn ban, each with one verdict per row), and
streaming rides in the same batch (streaming.py: a stopping criterion that never stops anything
and sends each streaming row its settled answer text). LoRA adapters are loaded beside the one
base model and chosen per batch (the batcher groups requests by adapter).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import GenerationConfig, LogitsProcessorList, StoppingCriteriaList

from models_runtime.adapters import adapter_folder
from models_runtime.backends.base import (
    Backend,
    ChatRequest,
    ChatResult,
    new_tokens_for,
    validate_chat_request,
)
from models_runtime.backends.continuous import ContinuousEngine
from models_runtime.backends.loading import load_transformers
from models_runtime.backends.per_row import (
    PerRowEosBan,
    PerRowSampler,
    PerRowStop,
    StepClock,
    decode_answer,
)
from models_runtime.backends.streaming import Streamer
from models_runtime.batcher import is_out_of_memory
from models_runtime.errors import BackendError
from models_runtime.specs import ModelSpec

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

    @property
    def supports_continuous_batching(self) -> bool:
        """False for multi-head latent attention (DeepSeek V2/V3: ``kv_lora_rank``), whose keys
        and values differ in width; transformers' paged cache assumes one width and fails at
        the first step, so such a model keeps the static batcher."""
        return getattr(self.model.config, "kv_lora_rank", None) is None

    def continuous_engine(self, *, max_requests: int, kv_cache_tokens: int) -> ContinuousEngine:
        """Iteration-level scheduling on this model's weights (``scheduler.ChatScheduler``)."""
        return ContinuousEngine(self, max_requests=max_requests, kv_cache_tokens=kv_cache_tokens)

    # ------------------------------------------------------------ LoRA adapters (batch thread)

    def _adapter_scope(self, adapter):
        """Run a batch with ``adapter`` (an AdapterRef) active, or with none: the base model.

        The first adapter wraps the one base model with peft (LoRA layers injected in place);
        later ones are loaded beside it by name, at most ``MAX_ADAPTERS`` (the least recently
        used goes). Without an adapter, the layers are off."""
        if adapter is None:  # adapter layers are off between adapter batches (_with_adapter)
            return contextlib.nullcontext()
        self._load_adapter(adapter)
        return self._with_adapter(adapter.key)

    @contextlib.contextmanager
    def _with_adapter(self, key: str):
        """The LoRA layers are injected into the one base model in place, which continuous
        batching runs too: they are on only for the batch of their adapter, off otherwise."""
        self._peft.base_model.enable_adapter_layers()
        self._peft.set_adapter(key)
        try:
            yield
        finally:
            self._peft.base_model.disable_adapter_layers()

    def _load_adapter(self, adapter) -> None:
        from peft import PeftModel

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
        clock = StepClock()
        prompts = [self.prompt_text(request) for request in payloads]
        encoded = [self.tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
        input_ids, attention_mask = _left_pad(encoded, self.tokenizer.pad_token_id, self.device)
        limits = [new_tokens_for(request, self.spec) for request in payloads]
        stop = PerRowStop(
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
            streamer = Streamer(
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
                            PerRowEosBan(payloads, limits, self._eos_ids, input_ids.shape[1]),
                            PerRowSampler(payloads, self.device),
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
            reasoning, answer, cut = decode_answer(self.tokenizer, ids, request.stop)
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

    def _keep_stream_progress(self, streamer: Streamer) -> None:
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

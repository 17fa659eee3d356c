"""The raw measures: the platform's weights driven by transformers and torch directly.

Same weights, device, dtype and quantization as the platform's spec; one batch per round holding
every client's inputs of that round. Nothing of the runtime's serving path (batcher, backends,
tasks) is used, only its source resolution, to find the folder the worker loads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from models_runtime.backends.transformers_chat import FALLBACK_CHAT_TEMPLATE
from models_runtime.devices import apply_dynamic_int8, resolve_device, resolve_dtype
from models_runtime.gguf_cache import converted_copy
from models_runtime.sources import resolve_source
from models_runtime.specs import ModelSpec


@dataclass
class RawMeasure:
    """Seconds per batch and units done (tokens generated or texts embedded)."""

    batch_size: int
    batch_seconds: list[float]
    units: int

    @property
    def seconds(self) -> float:
        return sum(self.batch_seconds)


def weights_location(spec: ModelSpec) -> str:
    """The folder the inference worker loads for ``spec`` (a GGUF's converted copy)."""
    source = resolve_source(spec)
    if source.is_gguf:
        return str(converted_copy(source.path).path)
    if source.kind == "hub":
        return source.hub_id
    return str(source.path)


def _load(spec: ModelSpec, model_class):
    from transformers import AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()

    location = weights_location(spec)
    hub = {"revision": spec.revision} if spec.is_hub_source else {}
    device = resolve_device(spec)
    tokenizer = AutoTokenizer.from_pretrained(location, **hub)
    model = model_class.from_pretrained(location, dtype=resolve_dtype(spec, device), **hub)
    model = apply_dynamic_int8(spec, model.to(device).eval())
    return model, tokenizer, device


class RawChat:
    """One left-padded greedy ``generate`` of a round's prompts, exactly ``new_tokens`` each."""

    def __init__(self, spec: ModelSpec):
        from transformers import AutoModelForCausalLM

        self.model, self.tokenizer, self.device = _load(spec, AutoModelForCausalLM)
        if not getattr(self.tokenizer, "chat_template", None):
            self.tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.tokenizer.padding_side = "left"

    def run(self, prompts: Sequence[str], new_tokens: int) -> int:
        """Generate for ``prompts``; returns the number of tokens generated."""
        import torch
        from transformers import GenerationConfig

        texts = [
            self.tokenizer.apply_chat_template(
                [{"role": "user", "content": p}], add_generation_prompt=True, tokenize=False
            )
            for p in prompts
        ]
        encoded = self.tokenizer(
            texts, padding=True, add_special_tokens=False, return_tensors="pt"
        ).to(self.device)
        config = GenerationConfig(
            do_sample=False,
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=self.model.generation_config.eos_token_id,
        )
        with torch.inference_mode():
            out = self.model.generate(**encoded, generation_config=config)
        generated = out[:, encoded["input_ids"].shape[1] :].cpu()
        self.tokenizer.batch_decode(generated, skip_special_tokens=True)
        return generated.shape[0] * generated.shape[1]


class RawEmbed:
    """The encoder's forward pass and mean pooling over the attention mask (then L2 norm)."""

    def __init__(self, spec: ModelSpec):
        from transformers import AutoModel

        self.model, self.tokenizer, self.device = _load(spec, AutoModel)
        self.max_length = spec.max_input_tokens

    def run(self, texts: Sequence[str]) -> int:
        import torch
        import torch.nn.functional as F

        encoded = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        ).to(self.device)
        with torch.inference_mode():
            hidden = self.model(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            vectors = F.normalize(pooled.float(), p=2, dim=1).cpu()
        return vectors.shape[0]


def measure(batches: Sequence[Sequence[str]], run: Callable[[Sequence[str]], int]) -> RawMeasure:
    """Time ``run`` on each batch in turn (the caller warms up first)."""
    seconds, units = [], 0
    for batch in batches:
        started = time.perf_counter()
        units += run(batch)
        seconds.append(time.perf_counter() - started)
    return RawMeasure(batch_size=len(batches[0]), batch_seconds=seconds, units=units)

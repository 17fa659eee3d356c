"""LoRA training with peft on a causal chat model, and what the evaluation needs from it.

The loss counts only the answer's tokens (the prompt, rendered with the model's own chat
template exactly as the inference worker renders it, is masked), so validation loss measures
how well the model answers, not how well it repeats questions.
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields

from .pairs import Pair

# name: (default, minimum, maximum) for the numbers a request may override.
LIMITS: dict[str, tuple] = {
    "rank": (8, 1, 64),
    "alpha": (16, 1, 256),
    "dropout": (0.05, 0.0, 0.5),
    "learning_rate": (2e-3, 1e-6, 1e-2),
    "epochs": (2, 1, 20),
    "batch_size": (8, 1, 64),
    "max_length": (192, 32, 1024),
    "eval_every": (8, 1, 1000),
    "patience": (3, 1, 50),
    "max_steps": (0, 0, 100_000),
    "seed": (0, 0, 2**31 - 1),
    "validation_fraction": (0.15, 0.05, 0.5),
}
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj")


class ConfigError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters with sane defaults; ``from_dict`` checks a request's overrides against
    ``LIMITS``. ``max_steps`` 0 means the epochs decide."""

    rank: int = LIMITS["rank"][0]
    alpha: int = LIMITS["alpha"][0]
    dropout: float = LIMITS["dropout"][0]
    learning_rate: float = LIMITS["learning_rate"][0]
    epochs: int = LIMITS["epochs"][0]
    batch_size: int = LIMITS["batch_size"][0]
    max_length: int = LIMITS["max_length"][0]
    eval_every: int = LIMITS["eval_every"][0]
    patience: int = LIMITS["patience"][0]
    max_steps: int = LIMITS["max_steps"][0]
    seed: int = LIMITS["seed"][0]
    validation_fraction: float = LIMITS["validation_fraction"][0]
    target_modules: tuple[str, ...] = TARGET_MODULES

    @classmethod
    def from_dict(cls, data: dict | None) -> TrainConfig:
        data = dict(data or {})
        errors: dict[str, list[str]] = {}
        known = {f.name for f in fields(cls)}
        for name in sorted(set(data) - known):
            errors[name] = [f"Unknown setting; expected one of {', '.join(sorted(known))}."]
        values = {}
        for name, (default, low, high) in LIMITS.items():
            if name not in data:
                continue
            value = data[name]
            wanted = int if isinstance(default, int) else float
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                errors[name] = ["Must be a number."]
            elif wanted is int and value != int(value):
                errors[name] = ["Must be a whole number."]
            elif not low <= value <= high:
                errors[name] = [f"Must be between {low} and {high}."]
            else:
                values[name] = wanted(value)
        if "target_modules" in data:
            modules = data["target_modules"]
            if (
                not isinstance(modules, list)
                or not modules
                or any(
                    m not in TARGET_MODULES + ("gate_proj", "up_proj", "down_proj") for m in modules
                )
            ):
                errors["target_modules"] = [
                    "Must be a non-empty list of q_proj, k_proj, v_proj, o_proj, gate_proj, "
                    "up_proj, down_proj."
                ]
            else:
                values["target_modules"] = tuple(dict.fromkeys(modules))
        if errors:
            raise ConfigError(errors)
        return cls(**values)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["target_modules"] = list(self.target_modules)
        return data


def device_and_dtype() -> tuple[str, object]:
    """CUDA with bf16 when present (where supported), else CPU with float32."""
    import torch

    if torch.cuda.is_available():
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
        return "cuda", dtype
    return "cpu", torch.float32


def load_base(folder: str, device: str | None = None, dtype=None):
    """The base model (eval mode, on its device) and its tokenizer from a saved folder."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if device is None:
        device, dtype = device_and_dtype()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).to(device)
    model.eval()
    return model, tokenizer


def prompt_text(tokenizer, pair: Pair) -> str:
    return tokenizer.apply_chat_template(pair.chat(), add_generation_prompt=True, tokenize=False)


def end_of_turn(tokenizer) -> str:
    """What ends an answer in this chat template (ChatML's ``<|im_end|>``, else EOS)."""
    vocab = tokenizer.get_vocab()
    return "<|im_end|>" if "<|im_end|>" in vocab else tokenizer.eos_token


def encode(tokenizer, pair: Pair, max_length: int) -> tuple[list[int], list[int]]:
    """Input ids and labels, with -100 over the prompt; long prompts lose their beginning."""
    prompt = tokenizer(prompt_text(tokenizer, pair), add_special_tokens=False)["input_ids"]
    answer = tokenizer(pair.response + end_of_turn(tokenizer), add_special_tokens=False)[
        "input_ids"
    ]
    answer = answer[: max_length // 2] if len(answer) > max_length // 2 else answer
    prompt = prompt[-(max_length - len(answer)) :]
    return prompt + answer, [-100] * len(prompt) + answer


def _batches(encoded, batch_size: int, pad_id: int, device: str):
    import torch

    for start in range(0, len(encoded), batch_size):
        chunk = encoded[start : start + batch_size]
        width = max(len(ids) for ids, _ in chunk)
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        labels = torch.full((len(chunk), width), -100, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, (tokens, targets) in enumerate(chunk):
            ids[row, : len(tokens)] = torch.tensor(tokens)
            labels[row, : len(targets)] = torch.tensor(targets)
            mask[row, : len(tokens)] = 1
        yield ids.to(device), labels.to(device), mask.to(device)


def mean_loss(model, tokenizer, pairs: list[Pair], *, max_length: int = 192, batch_size: int = 8):
    """The mean answer-token cross-entropy over ``pairs`` (each token counts once)."""
    import torch

    device = next(model.parameters()).device.type
    encoded = [encode(tokenizer, pair, max_length) for pair in pairs]
    total, tokens = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for ids, labels, mask in _batches(encoded, batch_size, tokenizer.pad_token_id, device):
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
            targets = labels[:, 1:]
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]),
                targets.reshape(-1),
                ignore_index=-100,
                reduction="sum",
            )
            total += float(loss)
            tokens += int((targets != -100).sum())
    if was_training:
        model.train()
    return total / max(tokens, 1)


def trainable_parameters(model) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, sum(p.numel() for p in model.parameters())


def attach_lora(model, config: TrainConfig):
    """The model wrapped by peft with a fresh LoRA adapter; only its matrices are trainable."""
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=list(config.target_modules),
        task_type="CAUSAL_LM",
        bias="none",
    )
    return get_peft_model(model, lora)


@dataclass
class TrainResult:
    model: object  # the PeftModel holding the best adapter
    steps: int
    best_step: int
    history: list[dict] = field(default_factory=list)
    stopped_early: bool = False
    seconds: float = 0.0
    trainable: int = 0
    total: int = 0


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def train(
    base_model,
    tokenizer,
    train_pairs: list[Pair],
    validation_pairs: list[Pair],
    config: TrainConfig,
    progress: Callable[[dict], None] | None = None,
) -> TrainResult:
    """Train a LoRA adapter with AdamW and a linear schedule; validation loss every
    ``eval_every`` steps; stop after ``patience`` evaluations without improvement and keep the
    adapter weights of the best one. ``progress`` gets ``{"step", "total", "loss", "val_loss"}``.
    """
    import torch

    started = time.monotonic()
    seed_everything(config.seed)
    model = attach_lora(base_model, config)
    trainable, total = trainable_parameters(model)
    device = next(model.parameters()).device.type
    encoded = [encode(tokenizer, pair, config.max_length) for pair in train_pairs]
    steps_per_epoch = math.ceil(len(encoded) / config.batch_size)
    planned = steps_per_epoch * config.epochs
    if config.max_steps:
        planned = min(planned, config.max_steps)
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=config.learning_rate
    )
    warmup = max(1, planned // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min(
            (step + 1) / warmup, max(0.0, (planned - step) / max(1, planned - warmup))
        ),
    )
    order = random.Random(config.seed)
    best_loss, best_step, best_state, bad_evals = math.inf, 0, None, 0
    history: list[dict] = []
    step, stopped_early, recent = 0, False, []

    def evaluate(at: int) -> bool:
        """Record the validation loss; True when training should stop."""
        nonlocal best_loss, best_step, best_state, bad_evals
        val_loss = mean_loss(model, tokenizer, validation_pairs, max_length=config.max_length)
        loss = sum(recent) / len(recent) if recent else None
        recent.clear()
        entry = {"step": at, "total": planned, "loss": loss, "val_loss": round(val_loss, 4)}
        if loss is not None:
            entry["loss"] = round(loss, 4)
        history.append(entry)
        if progress:
            progress(entry)
        if val_loss < best_loss - 1e-4:
            best_loss, best_step, bad_evals = val_loss, at, 0
            best_state = {
                name: value.detach().clone()
                for name, value in model.state_dict().items()
                if "lora_" in name
            }
            return False
        bad_evals += 1
        return bad_evals >= config.patience

    model.train()
    while step < planned and not stopped_early:
        indices = list(range(len(encoded)))
        order.shuffle(indices)
        shuffled = [encoded[i] for i in indices]
        for ids, labels, mask in _batches(
            shuffled, config.batch_size, tokenizer.pad_token_id, device
        ):
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            recent.append(float(loss.detach()))
            if step % config.eval_every == 0 or step == planned:
                if evaluate(step):
                    stopped_early = step < planned
                    break
            if step >= planned:
                break
    if not history or history[-1]["step"] != step:
        evaluate(step)
    if best_state is not None:
        model.load_state_dict(best_state, strict=False)
    model.eval()
    return TrainResult(
        model=model,
        steps=step,
        best_step=best_step,
        history=history,
        stopped_early=stopped_early,
        seconds=time.monotonic() - started,
        trainable=trainable,
        total=total,
    )


def generate(model, tokenizer, pairs: list[Pair], *, max_new_tokens: int = 64, batch_size=16):
    """Greedy answers, left-padded batches, cut at the end of the turn."""
    import torch

    device = next(model.parameters()).device.type
    stop_ids = {tokenizer.convert_tokens_to_ids(end_of_turn(tokenizer)), tokenizer.eos_token_id}
    answers = []
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start : start + batch_size]
        prompts = [
            tokenizer(prompt_text(tokenizer, p), add_special_tokens=False)["input_ids"]
            for p in chunk
        ]
        width = max(len(p) for p in prompts)
        ids = torch.full((len(chunk), width), tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, tokens in enumerate(prompts):
            ids[row, width - len(tokens) :] = torch.tensor(tokens)
            mask[row, width - len(tokens) :] = 1
        with torch.inference_mode():
            out = model.generate(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=sorted(i for i in stop_ids if i is not None),
            )
        for row in out[:, width:].tolist():
            cut = next((i for i, t in enumerate(row) if t in stop_ids), len(row))
            answers.append(tokenizer.decode(row[:cut], skip_special_tokens=True).strip())
    return answers


def adapter_state(model) -> dict:
    """A deep copy of the adapter weights (for tests comparing round trips)."""
    return copy.deepcopy({k: v for k, v in model.state_dict().items() if "lora_" in k})

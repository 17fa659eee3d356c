"""The fine-tuning evaluation of ``evaluate_finetune``: train a LoRA adapter with the default
settings on the demo pairs (or a file), evaluate base and adapted model on the validation split,
say the figures and examples, and return the report (the command's last line).

``smoke`` (CI) runs the same path in seconds: a tiny randomly initialised Llama, 40 pairs and a
few steps; its figures say nothing about quality.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from apps.adaptation.engine import lora
from apps.adaptation.engine.pairs import PairsError, deduplicate, parse_jsonl, split
from apps.adaptation.engine.pipeline import finetune, model_card
from apps.adaptation.services.data import DEMO_PAIRS, mask_pairs
from models_runtime.adapters import base_model_folder
from models_runtime.testing import build_tiny_llama


class FinetuneEvaluationError(ValueError):
    """The pairs cannot be read or parsed."""


def finetune_evaluation(
    *, file: str | None, model: str, smoke: bool, say: Callable[[str], object]
) -> dict:
    """Train, evaluate and report (see the module docstring); ``say`` gets each printed line."""
    started = time.monotonic()
    path = Path(file) if file else DEMO_PAIRS
    try:
        pairs = parse_jsonl(path.read_text(encoding="utf-8"), source=path.stem)
    except OSError as exc:
        raise FinetuneEvaluationError(f"cannot read {path}: {exc}") from exc
    except PairsError as exc:
        raise FinetuneEvaluationError("\n".join(exc.errors["file"])) from exc
    pairs, dropped = deduplicate(pairs)
    pairs, masked = mask_pairs(pairs)
    overrides, max_new_tokens = {}, 64
    with tempfile.TemporaryDirectory() as tmp:
        if smoke:
            folder = str(build_tiny_llama(Path(tmp) / "tiny-llama"))
            pairs = pairs[:40]
            overrides = {"max_steps": 6, "eval_every": 3, "learning_rate": 5e-3}
            max_new_tokens = 8
        else:
            folder = str(base_model_folder(model))
        config = lora.TrainConfig.from_dict(overrides)
        train_pairs, validation_pairs = split(
            pairs, validation_fraction=config.validation_fraction, seed=config.seed
        )
        say(
            f"{len(pairs)} pairs from {path.name} ({dropped} duplicates dropped, personal "
            f"data masked in {masked} texts): {len(train_pairs)} train, "
            f"{len(validation_pairs)} validation; base {folder}"
        )

        def progress(entry):
            say(
                f"  step {entry['step']}/{entry['total']}  loss {entry['loss']}  "
                f"val_loss {entry['val_loss']}"
            )

        outcome = finetune(
            folder,
            train_pairs,
            validation_pairs,
            config,
            progress=progress,
            max_new_tokens=max_new_tokens,
        )
        card = model_card(
            outcome,
            base_model="tiny-llama" if smoke else model,
            base_folder=folder,
            config=config,
            train_pairs=train_pairs,
            validation_pairs=validation_pairs,
            sources={path.stem: len(pairs)},
            started=started,
        )
    figures = outcome.evaluation
    say("")
    say(f"{'':18}{'base':>10}{'adapted':>10}")
    for name in ("val_loss", "perplexity", "rougeL", "key_fact_share"):
        say(f"{name:18}{figures[f'{name}_base']:>10}{figures[f'{name}_adapted']:>10}")
    say(
        f"trainable parameters {outcome.trainable_parameters} of "
        f"{outcome.total_parameters} ({outcome.trainable_fraction:.4%}); "
        f"{outcome.training['steps']} steps (best {outcome.training['best_step']}, stopped "
        f"early: {outcome.training['stopped_early']}) in {outcome.training['train_seconds']} s "
        f"on {outcome.device} ({outcome.dtype})"
    )
    for example in figures["examples"]:
        say("")
        say(f"Q: {example['prompt']}")
        say(f"  reference: {example['reference']}")
        say(f"  base:      {example['base']}")
        say(f"  adapted:   {example['adapted']}")
    report = {
        "trainable_fraction": round(outcome.trainable_fraction, 6),
        "val_loss_base": figures["val_loss_base"],
        "val_loss_adapted": figures["val_loss_adapted"],
        "val_loss_ratio": round(figures["val_loss_adapted"] / figures["val_loss_base"], 4),
        "perplexity_base": figures["perplexity_base"],
        "perplexity_adapted": figures["perplexity_adapted"],
        "rougeL_base": figures["rougeL_base"],
        "rougeL_adapted": figures["rougeL_adapted"],
        "key_fact_share_base": figures["key_fact_share_base"],
        "key_fact_share_adapted": figures["key_fact_share_adapted"],
        "train_seconds": outcome.training["train_seconds"],
        "steps": outcome.training["steps"],
        "train_pairs": len(train_pairs),
        "validation_pairs": len(validation_pairs),
        "data_digest": card["data"]["digest"],
        "adapter_digest": outcome.digest,
        "seed": config.seed,
        "device": outcome.device,
        "total_seconds": round(time.monotonic() - started, 2),
        "smoke": bool(smoke),
    }
    return report

"""LoRA on the tiny Llama: only adapter parameters train; save, load and merge round trips
give the same outputs; a few steps lower the validation loss; configuration limits."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import torch

from apps.adaptation.engine import lora
from apps.adaptation.engine.pairs import parse_jsonl
from apps.adaptation.engine.pipeline import adapter_files, files_digest

from .factories import adapter_files_for

PAIRS = parse_jsonl(
    "\n".join(
        json.dumps({"prompt": f"What is the code for item {i}?", "response": f"The code is {i}."})
        for i in range(12)
    )
)


def _logits(model, tokenizer, text="user: hello there\nassistant:"):
    ids = tokenizer(text, return_tensors="pt")
    with torch.inference_mode():
        return model(**ids).logits


def test_only_adapter_parameters_are_trainable(tiny_llama):
    model, _ = lora.load_base(str(tiny_llama), "cpu", torch.float32)
    peft_model = lora.attach_lora(model, lora.TrainConfig(rank=2, alpha=4))
    trainable = [n for n, p in peft_model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_A" in n or "lora_B" in n for n in trainable)
    assert {n.split(".lora_")[0].rsplit(".", 1)[-1] for n in trainable} == set(lora.TARGET_MODULES)
    count, total = lora.trainable_parameters(peft_model)
    assert count / total < 0.01


def test_training_changes_only_the_adapter_and_lowers_validation_loss(tiny_llama):
    model, tokenizer = lora.load_base(str(tiny_llama), "cpu", torch.float32)
    frozen = {n: p.detach().clone() for n, p in model.named_parameters()}
    before = lora.mean_loss(model, tokenizer, PAIRS[:4])
    config = lora.TrainConfig(
        rank=4, alpha=8, learning_rate=1e-2, epochs=4, max_steps=8, eval_every=4, batch_size=4
    )
    seen = []
    result = lora.train(model, tokenizer, PAIRS[4:], PAIRS[:4], config, progress=seen.append)
    assert [entry["step"] for entry in seen] == [4, 8]
    assert all(entry["val_loss"] is not None and entry["total"] == 8 for entry in seen)
    assert result.history[-1]["val_loss"] < before
    for name, param in result.model.named_parameters():
        if "lora_" not in name:
            original = name.replace("base_model.model.", "").replace(".base_layer", "")
            assert torch.equal(param, frozen[original]), name


def test_early_stopping_keeps_the_best_adapter(tiny_llama, monkeypatch):
    model, tokenizer = lora.load_base(str(tiny_llama), "cpu", torch.float32)
    # Validation losses as scripted: best at the second evaluation, then two worse ones.
    scripted = iter([3.0, 2.0, 2.5, 2.6, 1.0, 1.0])
    monkeypatch.setattr(lora, "mean_loss", lambda *args, **kwargs: next(scripted))
    attached, snapshots = [], {}
    real_attach = lora.attach_lora

    def attach(*args, **kwargs):
        attached.append(real_attach(*args, **kwargs))
        return attached[0]

    monkeypatch.setattr(lora, "attach_lora", attach)
    config = lora.TrainConfig(
        rank=4, alpha=8, learning_rate=1e-2, epochs=20, eval_every=1, patience=2, batch_size=8
    )
    result = lora.train(
        model,
        tokenizer,
        PAIRS[4:],
        PAIRS[:4],
        config,
        progress=lambda entry: snapshots.update({entry["step"]: lora.adapter_state(attached[0])}),
    )
    assert result.stopped_early and result.steps == 4
    assert [entry["val_loss"] for entry in result.history] == [3.0, 2.0, 2.5, 2.6]
    assert result.best_step == 2
    final = lora.adapter_state(result.model)
    assert all(torch.equal(final[name], snapshots[2][name]) for name in final)
    assert not all(torch.equal(final[name], snapshots[4][name]) for name in final)


def test_save_load_and_merge_round_trips_give_the_same_outputs(tiny_llama):
    from peft import PeftModel

    files = adapter_files_for(tiny_llama, seed=3)
    base, tokenizer = lora.load_base(str(tiny_llama), "cpu", torch.float32)
    base_logits = _logits(base, tokenizer)
    with tempfile.TemporaryDirectory() as tmp:
        for name, content in files.items():
            (Path(tmp) / name).write_bytes(content)
        adapted = PeftModel.from_pretrained(base, tmp).eval()
        adapted_logits = _logits(adapted, tokenizer)
        assert not torch.allclose(adapted_logits, base_logits, atol=1e-4)
        # saved again: the same files, the same digest
        assert files_digest(adapter_files(adapted)) == files_digest(files)
        merged = adapted.merge_and_unload()
        torch.testing.assert_close(_logits(merged, tokenizer), adapted_logits, atol=1e-4, rtol=1e-4)
        merged.save_pretrained(Path(tmp) / "merged")
        tokenizer.save_pretrained(Path(tmp) / "merged")
        reloaded, _ = lora.load_base(str(Path(tmp) / "merged"), "cpu", torch.float32)
        torch.testing.assert_close(
            _logits(reloaded, tokenizer), adapted_logits, atol=1e-4, rtol=1e-4
        )


def test_configuration_overrides_are_checked_against_limits():
    assert lora.TrainConfig.from_dict({"rank": 16}).rank == 16
    with pytest.raises(lora.ConfigError) as caught:
        lora.TrainConfig.from_dict(
            {"rank": 1000, "epochs": 1.5, "dropout": "high", "colour": 1, "target_modules": ["x"]}
        )
    errors = caught.value.errors
    assert set(errors) == {"rank", "epochs", "dropout", "colour", "target_modules"}
    assert "between 1 and 64" in errors["rank"][0]

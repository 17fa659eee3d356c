"""``evaluate_finetune --smoke`` end to end in a subprocess (CI), as the benchmarks run."""

from __future__ import annotations

import pytest

from benchmarks.harness.smoke import run_smoke


@pytest.mark.postgres
@pytest.mark.redis
def test_evaluate_finetune_smoke_prints_the_figures():
    lines, report = run_smoke(
        "evaluate_finetune", database="bench_lora_smoke", redis_db="10", timeout=300
    )
    assert report["smoke"] is True
    for key in (
        "trainable_fraction",
        "val_loss_base",
        "val_loss_adapted",
        "rougeL_base",
        "rougeL_adapted",
        "train_seconds",
    ):
        assert isinstance(report[key], (int, float)), key
    assert 0 < report["trainable_fraction"] < 0.01
    assert report["val_loss_adapted"] < report["val_loss_base"]
    assert any(line.startswith("val_loss") for line in lines)
    assert any(line.startswith("Q: ") for line in lines)

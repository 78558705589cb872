import json
import logging

import pytest

from tests.conftest import TINY, compose_train
from tests.integration.conftest import tiny_cli_overrides


def test_float16_on_cpu_trains_in_bf16(tmp_path, reviews_csv, caplog):
    from transferlab.runs.training import run_training

    data = [o for o in tiny_cli_overrides(reviews_csv, tmp_path / "out") if o.startswith("data")]
    cfg = compose_train([*TINY, *data, "export=false", "trainer.precision=16-mixed"], tmp_path / "run")
    with caplog.at_level(logging.INFO):
        objective = run_training(cfg)

    assert "trainer.precision=16-mixed needs a CUDA GPU; training on the CPU with bf16-mixed instead" in caplog.text
    assert "precision bf16-mixed" in caplog.text
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert objective == metrics["val/acc"]
    assert 0.0 <= objective <= 1.0


@pytest.mark.parametrize("precision", ["bf16-mixed", "bf16"])
def test_bf16_keeps_the_fused_optimizer_with_clipping(tmp_path, reviews_csv, caplog, precision):
    import torch

    from transferlab.runs.training import run_training

    data = [o for o in tiny_cli_overrides(reviews_csv, tmp_path / "out") if o.startswith("data")]
    overrides = [*TINY, *data, "export=false", f"trainer.precision={precision}", "optimizer.fused=true", "trainer.gradient_clip_val=1.0"]
    cfg = compose_train(overrides, tmp_path / "run")
    with caplog.at_level(logging.INFO):
        run_training(cfg)

    assert "using the unfused optimizer" not in caplog.text
    checkpoint = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint["optimizer_states"][0]["param_groups"][0]["fused"] is True
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["val/acc"] >= 0.0

import logging

import pytest

from tests.conftest import TINY, compose_train
from transferlab.errors import ConfigError
from transferlab.runs.accelerators import resolve_accelerator, visible_gpus

no_gpu = pytest.mark.skipif(visible_gpus() > 0, reason="needs a machine without a CUDA GPU")


@pytest.mark.parametrize("precision", ["16-mixed", "16"])
def test_float16_on_cpu_falls_back_to_bf16(precision, caplog):
    cfg = compose_train(["trainer=cpu", f"trainer.precision={precision}"])
    with caplog.at_level(logging.WARNING):
        assert resolve_accelerator(cfg) == ("cpu", "bf16-mixed")
    assert f"trainer.precision={precision} needs a CUDA GPU" in caplog.text


@pytest.mark.parametrize("precision", ["bf16-mixed", "32-true"])
def test_cpu_precision_kept(precision, caplog):
    cfg = compose_train(["trainer=cpu", f"trainer.precision={precision}"])
    with caplog.at_level(logging.WARNING):
        assert resolve_accelerator(cfg) == ("cpu", precision)
    assert "needs a CUDA GPU" not in caplog.text


def test_unknown_accelerator_rejected():
    cfg = compose_train(["trainer.accelerator=tpu"])
    with pytest.raises(ConfigError, match="trainer.accelerator must be cpu, gpu or auto"):
        resolve_accelerator(cfg)


@no_gpu
def test_auto_without_gpu_uses_cpu_precision():
    cfg = compose_train(["trainer=auto", "trainer.precision=16-mixed"])
    assert resolve_accelerator(cfg) == ("auto", "bf16-mixed")


@no_gpu
def test_gpu_request_fails_before_model_load(tmp_path):
    from transferlab.runs.training import run_training

    cfg = compose_train([*TINY, "trainer=gpu"], tmp_path / "run")
    with pytest.raises(ConfigError, match="no CUDA device.*trainer=cpu"):
        run_training(cfg)
    assert not (tmp_path / "run" / "config_resolved.yaml").exists()
    assert (tmp_path / "run" / "status.json").exists()

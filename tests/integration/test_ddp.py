"""DDP on two CPU processes (gloo) through the command line: one run directory, metrics equal to one process."""

import json

import pytest
import yaml

from tests.conftest import compose_train
from tests.integration.conftest import run_cli, tiny_cli_overrides, wandb_runs


def _evaluate_in_one_process(overrides: list[str], checkpoint, tmp_path) -> dict[str, float]:
    """Validate `checkpoint` with a one-process trainer on the same data, as a reference."""
    import pytorch_lightning as pl

    from transferlab.data.datamodule import TextDataModule
    from transferlab.models.backbone import load_tokenizer
    from transferlab.runs.training import build_model, prepare_data
    from transferlab.tasks import build_task

    cfg = compose_train(overrides, tmp_path / "reference")
    prepared = prepare_data(cfg)
    task = build_task(cfg.data.task)
    tokenizer = load_tokenizer(cfg.model.tokenizer)
    datamodule = TextDataModule(
        prepared, task, tokenizer, batch_size=cfg.data.batch_size, eval_batch_size=cfg.data.eval_batch_size,
        max_length=cfg.data.max_length, seed=cfg.seed,
    )
    _, module = build_model(cfg, task, prepared, tokenizer)
    trainer = pl.Trainer(accelerator="cpu", devices=1, logger=False, enable_progress_bar=False, enable_checkpointing=False)
    results = trainer.validate(module, datamodule=datamodule, ckpt_path=str(checkpoint), verbose=False)
    return {key: float(value) for key, value in results[0].items()}


def test_ddp_two_cpu_processes(tmp_path, reviews_csv):
    output_root = tmp_path / "out"
    overrides = tiny_cli_overrides(reviews_csv, output_root, logger="default")
    # fp32, so that the reference below can match to 1e-6: under bf16 the ranks' batches pad to other
    # lengths than one process's batches, which moves the rounding.
    ddp = ["trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2", "trainer.precision=32-true"]
    result = run_cli([*overrides, *ddp, "logger.wandb.mode=offline"], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Starting with 2 processes" in result.stdout + result.stderr

    run_dirs = list((output_root / "train" / "runs").iterdir())
    assert len(run_dirs) == 1
    run_dir = run_dirs[0]
    assert [path.name for path in output_root.rglob("config_resolved.yaml")] == ["config_resolved.yaml"]
    assert len(list(output_root.rglob(".hydra"))) == 1
    assert len(wandb_runs(run_dir)) == 1
    assert (run_dir / "ddp_rank1.log").is_file()  # rank 1 ran in this directory and logged nothing else

    config = yaml.safe_load((run_dir / "config_resolved.yaml").read_text())
    assert config["trainer"]["devices"] == 2
    metrics = json.loads((run_dir / "metrics.json").read_text())
    # The test report covers the whole test split, gathered from both ranks.
    report = (run_dir / "test_report.txt").read_text()
    test_size = int(report.split("accuracy")[1].split()[1])
    assert test_size == 18

    checkpoint = next((run_dir / "checkpoints").glob("best-*.ckpt"))
    reference = _evaluate_in_one_process(tiny_cli_overrides(reviews_csv, output_root), checkpoint, tmp_path)
    for name in ("val/acc", "val/f1_macro", "val/loss"):
        assert metrics[name] == pytest.approx(reference[name], abs=1e-6), name

"""W&B failures fall back to offline or to no W&B with one warning, and never stop training."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from tests.conftest import TINY
from transferlab.runs import wandb_setup


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unreachable_wandb(monkeypatch):
    monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setenv("WANDB_MODE", "online")


def test_closed_port_is_unreachable(unreachable_wandb):
    assert wandb_setup._host_reachable() is False


def test_unwritable_dir_disables_wandb_with_one_warning(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    with caplog.at_level(logging.WARNING, logger="transferlab.runs.wandb_setup"):
        logger = wandb_setup.wandb_logger(str(blocker / "wandb"), project="p", mode="offline")

    assert logger is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "training continues without W&B" in warnings[0].getMessage()


def test_run_id_is_stored_and_reused(tmp_path):
    first = wandb_setup._run_id(tmp_path)
    second = wandb_setup._run_id(tmp_path)

    assert first == second
    assert (tmp_path / wandb_setup.RUN_ID_FILE).read_text().strip() == first


def test_training_survives_unwritable_wandb_dir(train_tiny, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    overrides = ["logger=default", "logger.wandb.mode=offline", f"logger.wandb.save_dir={blocker}/wandb",
                 "data.max_train_samples=64", "data.max_eval_samples=32", "data.max_test_samples=32", "export=false"]

    with caplog.at_level(logging.WARNING, logger="transferlab.runs.wandb_setup"):
        objective, run_dir = train_tiny(overrides)

    assert objective is not None
    assert json.loads((run_dir / "run.json").read_text())["status"] == "completed"
    assert sum("without W&B" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.slow
def test_online_without_network_falls_back_to_offline(unreachable_wandb, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="transferlab.runs.wandb_setup"):
        logger = wandb_setup.wandb_logger(str(tmp_path), project="p", mode="online")
    try:
        assert logger is not None
        assert logger.experiment.settings.mode in ("offline", "dryrun")  # wandb 0.31 reports offline as dryrun
        assert logger.experiment.id == (tmp_path / wandb_setup.RUN_ID_FILE).read_text().strip()
        assert sum(r.levelno == logging.WARNING for r in caplog.records) == 1
    finally:
        wandb_setup.finish_wandb(failed=False)

    resumed = wandb_setup.wandb_logger(str(tmp_path), project="p", mode="offline")
    try:
        assert resumed.experiment.id == logger.experiment.id
    finally:
        wandb_setup.finish_wandb(failed=False)

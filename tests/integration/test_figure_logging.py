"""Report figures reach W&B as images (an offline run, so nothing leaves the machine)."""

from pathlib import Path

import numpy as np
import pytest

from transferlab.reporting.plots import log_figures, plot_confusion_matrix


@pytest.mark.slow
def test_figures_logged_to_wandb_offline(tmp_path, monkeypatch):
    from transferlab.runs.wandb_setup import finish_wandb, wandb_logger

    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    figure = plot_confusion_matrix(np.array([[2, 1], [0, 3]]), ["neg", "pos"], tmp_path / "confusion_matrix.png")
    logger = wandb_logger(str(tmp_path), "transferlab-tests", mode="offline")
    try:
        log_figures([logger], [figure], "test")
    finally:
        finish_wandb(failed=False)

    images = list(Path(tmp_path).glob("wandb/offline-run-*/files/media/images/test/figures_*.png"))
    assert len(images) == 1

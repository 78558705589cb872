"""Shared fixtures: compose configs the way the entry point does, and run tiny training jobs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from hydra import compose, initialize_config_dir  # noqa: E402
from omegaconf import DictConfig, open_dict  # noqa: E402

from transferlab.config import CONFIG_DIR  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]

# Overrides that make a run take seconds: random 2-layer encoder, CSV logging only, small splits.
TINY = [
    "model=tiny_random",
    "logger=csv",
    "trainer.max_epochs=1",
    "trainer.enable_progress_bar=false",
    "data.batch_size=16",
    "data.max_length=64",
]


def compose_train(overrides: list[str], run_dir: Path | None = None, config_name: str = "train") -> DictConfig:
    """Compose `conf/<config_name>.yaml` with overrides, with paths.run_dir set (no Hydra runtime here)."""
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name=config_name, overrides=list(overrides))
    if run_dir is not None:
        with open_dict(cfg):
            cfg.paths.run_dir = str(run_dir)
    return cfg


@pytest.fixture(scope="session", autouse=True)
def tokenization_cache_dir(tmp_path_factory) -> Path:
    """Point the default tokenization cache at a temporary folder, for in-process runs and subprocesses."""
    folder = tmp_path_factory.mktemp("tokenization-cache")
    previous = os.environ.get("TRANSFERLAB_CACHE_DIR")
    os.environ["TRANSFERLAB_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("TRANSFERLAB_CACHE_DIR", None)
    else:
        os.environ["TRANSFERLAB_CACHE_DIR"] = previous


@pytest.fixture
def tiny_overrides() -> list[str]:
    return list(TINY)


@pytest.fixture
def train_tiny(tmp_path):
    """Run a tiny training job in-process and return (objective, run_dir)."""
    from transferlab.runs.training import run_training

    def run(overrides: list[str], name: str = "run"):
        run_dir = tmp_path / name
        cfg = compose_train(TINY + list(overrides), run_dir)
        return run_training(cfg), run_dir

    return run


def write_csv(path: Path, rows: list[tuple[str, str]], header: tuple[str, str] = ("text", "label")) -> Path:
    """Write a small CSV file with a header for tests."""
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path

"""Helpers for end-to-end tests that start `python -m transferlab.train` as a subprocess."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, write_csv

POSITIVE = ["a wonderful film", "great acting and a clever story", "I loved every minute", "funny and warm",
            "a moving, beautiful picture", "smart writing, superb cast"]
NEGATIVE = ["a dull mess", "boring and far too long", "I hated the ending", "flat jokes and weak acting",
            "a tedious, empty film", "clumsy writing, wasted cast"]


@pytest.fixture
def reviews_csv(tmp_path) -> Path:
    """72 labelled snippets, half positive, with some length variety."""
    rows = []
    for i in range(36):
        rows.append((f"{POSITIVE[i % 6]} {'really ' * (i % 5)}", "pos"))
        rows.append((f"{NEGATIVE[i % 6]} {'truly ' * (i % 4)}", "neg"))
    return write_csv(tmp_path / "reviews.csv", rows)


def tiny_cli_overrides(csv_path: Path, output_root: Path, logger: str = "csv") -> list[str]:
    """Overrides for a run of seconds: random 2-layer encoder, 36/18/18 examples, no export."""
    return [
        "model=tiny_random",
        f"logger={logger}",
        "trainer.enable_progress_bar=false",
        "data=csv",
        f"data.source.train_file={csv_path}",
        "data.split.train=0.5",
        "data.split.validation=0.25",
        "data.split.test=0.25",
        "data.batch_size=8",
        "data.eval_batch_size=4",
        "data.max_length=32",
        "export=false",
        f"paths.output_root={output_root}",
    ]


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "src"), env.get("PYTHONPATH", "")])
    env["WANDB_MODE"] = "disabled"
    return env


def cli_command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "transferlab.train", *args]


def run_cli(args: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run the training command with `args` in `cwd` and capture its output."""
    return subprocess.run(cli_command(args), cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=timeout)


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def wandb_runs(job_dir: Path) -> list[Path]:
    return sorted(job_dir.glob("wandb/offline-run-*/run-*.wandb"))

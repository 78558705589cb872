"""Config commands and checks must not import torch, transformers or Lightning (each costs seconds)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, write_csv

HEAVY = ("torch", "transformers", "pytorch_lightning", "lightning", "torchmetrics", "tokenizers")

# Prints the heavy modules loaded once the snippet has run, as a JSON list on the last line.
REPORT_HEAVY = textwrap.dedent(
    f"""
    import json, sys
    heavy = sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r}))
    print(json.dumps(heavy))
    """
)


def _heavy_modules_after(snippet: str, tmp_path: Path) -> list[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "src"), str(REPO_ROOT), env.get("PYTHONPATH", "")])
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(snippet) + REPORT_HEAVY],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("flags", [["--help"], ["--cfg", "job"], ["--info"]])
def test_entry_point_flags_skip_heavy_imports(flags, tmp_path):
    snippet = f"""
    import sys
    sys.argv = ["transferlab-train", *{flags!r}]
    from transferlab.train import main
    try:
        main()
    except SystemExit as exit:
        assert not exit.code, exit.code
    """
    assert _heavy_modules_after(snippet, tmp_path) == []


def test_config_and_data_checks_skip_heavy_imports(tmp_path):
    data = write_csv(tmp_path / "reviews.csv", [(f"text {i}", "pos" if i % 2 else "neg") for i in range(20)])
    snippet = f"""
    from hydra import compose, initialize_config_dir
    from omegaconf import open_dict
    from transferlab.config import CONFIG_DIR
    from transferlab.config.checks import check_config
    from transferlab.runs.training import prepare_data

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="train", overrides=["data=csv", "data.source.train_file={data}"])
    with open_dict(cfg):
        cfg.paths.run_dir = "{tmp_path / 'run'}"
    check_config(cfg)
    prepared = prepare_data(cfg)
    assert len(prepared.splits["train"]) == 16
    """
    assert _heavy_modules_after(snippet, tmp_path) == []

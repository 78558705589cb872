"""Crash and resume: a training process killed mid-epoch continues to the same result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from tests.conftest import TINY, compose_train, write_csv

STEPS_PER_EPOCH = 16  # 256 training rows in batches of 16


def _rows(count: int) -> list[tuple[str, str]]:
    """Texts whose label follows from their words, so the tiny model has something to learn."""
    positive = ["good", "great", "fine", "bright", "lovely", "好"]
    negative = ["bad", "awful", "poor", "dull", "grim", "差"]
    rows = []
    for i in range(count):
        words = positive if i % 2 else negative
        text = " ".join(words[(i * 7 + k) % len(words)] for k in range(3 + i % 11))
        rows.append((text, "pos" if i % 2 else "neg"))
    return rows


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> Path:
    return write_csv(tmp_path_factory.mktemp("data") / "reviews.csv", _rows(320))


def _overrides(data_file: Path) -> list[str]:
    return TINY + [
        "data=csv",
        f"data.source.train_file={data_file}",
        "trainer.max_epochs=2",
        "callbacks.step_checkpoint.every_n_train_steps=3",  # no multiple of 3 below 48 ends an epoch of 16 steps
        "test=false",
        "export=false",
    ]


@pytest.fixture(scope="module")
def reference_run(data_file, tmp_path_factory) -> Path:
    """An uninterrupted run that the resumed one must match."""
    from transferlab.runs.training import run_training

    run_dir = tmp_path_factory.mktemp("reference") / "run"
    run_training(compose_train(_overrides(data_file) + ["trainer.deterministic=true"], run_dir))
    return run_dir


def _metrics(run_dir: Path) -> dict[str, float]:
    return json.loads((run_dir / "metrics.json").read_text())


def _kill_at_first_step_checkpoint(overrides: list[str], run_dir: Path) -> None:
    command = [sys.executable, "-m", "transferlab.train", *overrides, f"paths.run_dir={run_dir}", f"hydra.run.dir={run_dir}"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    try:
        while not list((run_dir / "checkpoints").glob("step*.ckpt")):
            if process.poll() is not None:
                pytest.fail(f"training exited with {process.returncode} before a step checkpoint: {process.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("no step checkpoint within 300 s")
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
        process.stderr.close()


def test_killed_run_resumes_to_same_metrics(data_file, reference_run, tmp_path):
    from transferlab.runs.checkpointing import latest_checkpoint
    from transferlab.runs.training import run_training

    run_dir = tmp_path / "run"
    overrides = _overrides(data_file) + ["trainer.deterministic=true"]
    _kill_at_first_step_checkpoint(overrides, run_dir)

    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "running"  # SIGKILL leaves no chance to record anything
    checkpoint = torch.load(latest_checkpoint(run_dir), weights_only=True)
    assert checkpoint["global_step"] % STEPS_PER_EPOCH != 0, "the kill must land in the middle of an epoch"

    # A resume whose config does not fit the checkpoint fails, and leaves the run's record as it was.
    command = [sys.executable, "-m", "transferlab.train", "resume=true", f"hydra.run.dir={run_dir}"]
    wrong = subprocess.run([*command, "++model.config_overrides.intermediate_size=48"], capture_output=True, text=True, timeout=300)
    assert wrong.returncode != 0
    assert "size mismatch" in wrong.stderr, wrong.stderr[-3000:]
    assert "intermediate_size" not in " ".join(json.loads((run_dir / "run.json").read_text())["overrides"])
    assert "intermediate_size" not in (run_dir / ".hydra" / "overrides.yaml").read_text()

    # Only resume=true and the directory: the run's other overrides come from its run.json.
    resumed_process = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed_process.returncode == 0, resumed_process.stderr[-3000:]

    resumed, reference = _metrics(run_dir), _metrics(reference_run)
    assert resumed.keys() == reference.keys()
    for key in reference:
        assert resumed[key] == pytest.approx(reference[key], abs=1e-6), key
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "completed"
    assert len(manifest["resumes"]) == 2
    assert manifest["resumes"][1]["checkpoint"].endswith(".ckpt")
    assert manifest["resumes"][1]["config_changes"] == []
    assert manifest["config"]["trainer"]["max_epochs"] == 2
    # Hydra's record of the job names the run's overrides again, not only the resuming command's.
    hydra_overrides = yaml.safe_load((run_dir / ".hydra" / "overrides.yaml").read_text())
    assert "trainer.max_epochs=2" in hydra_overrides
    assert "resume=true" not in hydra_overrides


def test_same_seed_gives_identical_metrics_file(data_file, reference_run, tmp_path):
    from transferlab.runs.training import run_training

    run_dir = tmp_path / "again"
    run_training(compose_train(_overrides(data_file) + ["trainer.deterministic=true"], run_dir))

    assert (run_dir / "metrics.json").read_bytes() == (reference_run / "metrics.json").read_bytes()
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["accelerator"]["deterministic"] is True


def test_manifest_records_run(data_file, reference_run):
    from transferlab.runs.manifest import sha256_file

    manifest = json.loads((reference_run / "run.json").read_text())

    assert manifest["status"] == "completed"
    assert manifest["ended"] >= manifest["started"]
    assert manifest["config"]["data"]["source"]["train_file"] == str(data_file)
    assert manifest["data_files"] == {str(data_file.resolve()): sha256_file(data_file)}
    assert manifest["packages"]["torch"] == torch.__version__
    assert manifest["python"] == ".".join(map(str, sys.version_info[:3]))
    assert set(manifest["git"]) == {"commit", "dirty"}
    assert manifest["accelerator"]["type"] == "CPUAccelerator"
    assert manifest["command"]
    assert "duration_s" not in _metrics(reference_run)


def test_run_dir_with_run_is_not_reused(data_file, reference_run):
    from transferlab.errors import ConfigError
    from transferlab.runs.training import run_training

    before = (reference_run / "run.json").read_bytes()
    with pytest.raises(ConfigError, match="already contains a run.*resume=true"):
        run_training(compose_train(_overrides(data_file), reference_run))
    assert (reference_run / "run.json").read_bytes() == before


def test_completed_run_is_not_resumed(data_file, reference_run):
    from transferlab.errors import ConfigError
    from transferlab.runs.training import run_training

    with pytest.raises(ConfigError, match="already completed"):
        run_training(compose_train(_overrides(data_file) + ["resume=true"], reference_run))


def test_resume_rejects_changed_data(data_file, tmp_path):
    from transferlab.errors import DataError
    from transferlab.runs.lifecycle import start_run

    copy = write_csv(tmp_path / "data.csv", _rows(40))
    cfg = compose_train(_overrides(copy), tmp_path / "run")
    start_run(cfg, tmp_path / "run", [copy])
    write_csv(copy, _rows(41))

    cfg.resume = True
    with pytest.raises(DataError, match="changed since it started.*data.csv"):
        start_run(cfg, tmp_path / "run", [copy])


def test_resume_without_checkpoint_says_what_to_do(data_file, tmp_path):
    from transferlab.errors import ConfigError
    from transferlab.runs.training import run_training

    with pytest.raises(ConfigError, match="contains no run"):
        run_training(compose_train(_overrides(data_file) + ["resume=true"], tmp_path / "empty"))


def test_failed_run_records_error(tmp_path):
    from transferlab.errors import DataError
    from transferlab.runs.training import run_training

    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nfine,pos\n\"unclosed,neg\n", encoding="utf-8")
    run_dir = tmp_path / "run"
    with pytest.raises(DataError):
        run_training(compose_train(TINY + ["data=csv", f"data.source.train_file={bad}"], run_dir))

    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["error"]["type"] == "DataError"
    assert str(bad) in manifest["error"]["message"]


def test_sigterm_records_interrupted(tmp_path):
    from transferlab.errors import RunInterrupted
    from transferlab.runs.lifecycle import recorded_status
    from transferlab.runs.manifest import RunManifest, read_manifest

    manifest = RunManifest.claim(tmp_path, {"status": "running"})
    with pytest.raises(RunInterrupted):
        with recorded_status(manifest):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)

    assert read_manifest(tmp_path)["status"] == "interrupted"
    assert "SIGTERM" in read_manifest(tmp_path)["error"]["message"]


def test_nan_loss_stops_with_step_and_keeps_checkpoint(data_file, tmp_path):
    from transferlab.errors import NumericalError
    from transferlab.runs.training import run_training

    run_dir = tmp_path / "run"
    overrides = _overrides(data_file) + [
        "optimizer.lr=1e30", "scheduler=constant", "trainer.gradient_clip_val=null",
        "callbacks.step_checkpoint.every_n_train_steps=1", "trainer.max_epochs=1",
    ]
    with pytest.raises(NumericalError, match=r"training loss is (nan|inf|-inf) at global step (\d+)") as caught:
        run_training(compose_train(overrides, run_dir))

    step = int(caught.value.args[0].split("global step ")[1].split()[0])
    kept = sorted(path.name for path in (run_dir / "checkpoints").glob("step*.ckpt"))
    assert kept == [f"step{step}.ckpt"]
    assert str(run_dir / "checkpoints" / f"step{step}.ckpt") in str(caught.value)
    weights = torch.load(run_dir / "checkpoints" / kept[0], weights_only=True)["state_dict"]
    assert all(torch.isfinite(tensor).all() for tensor in weights.values())
    assert json.loads((run_dir / "run.json").read_text())["status"] == "failed"

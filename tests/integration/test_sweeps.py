"""End-to-end sweeps through the `transferlab.train` command line, on a tiny model and a few dozen examples.

Each test starts the command as a subprocess, because multiruns, DDP children and submitit workers
are separate processes in real use too.
"""

import json
import signal
import subprocess
import time
from pathlib import Path

import yaml

from tests.integration.conftest import cli_command, cli_env, read_csv, run_cli, tiny_cli_overrides, wandb_runs

def test_grid_sweep_two_by_two(tmp_path, reviews_csv):
    sweep_dir = tmp_path / "grid"
    args = ["-m", *tiny_cli_overrides(reviews_csv, tmp_path / "out", logger="default")] + [
        "logger.wandb.mode=offline",
        "test=false",
        "optimizer.betas=[0.9,0.99],[0.8,0.9]",
        "seed=1,2",
        f"hydra.sweep.dir={sweep_dir}",
    ]
    result = run_cli(args, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]

    job_dirs = sorted(path for path in sweep_dir.iterdir() if path.is_dir())
    names = {path.name.split("_", 1)[1] for path in job_dirs}
    assert names == {
        f"optimizer.betas={betas},seed={seed}" for betas in ("[0.9,0.99]", "[0.8,0.9]") for seed in (1, 2)
    }
    run_ids = set()
    for job_dir in job_dirs:
        config = yaml.safe_load((job_dir / "config_resolved.yaml").read_text(encoding="utf-8"))
        assert f"optimizer.betas={config['optimizer']['betas']}".replace(" ", "") in job_dir.name
        assert f"seed={config['seed']}" in job_dir.name
        assert json.loads((job_dir / "status.json").read_text())["status"] == "completed"
        runs = wandb_runs(job_dir)
        assert len(runs) == 1
        run_ids.add(runs[0].name)
        # Offline runs keep their records in the .wandb file: the group and the run name are stored there.
        record = runs[0].read_bytes()
        assert sweep_dir.name.encode() in record
        assert job_dir.name.encode() in record
    assert len(run_ids) == 4

    rows = read_csv(sweep_dir / "summary.csv")
    assert len(rows) == 4
    assert {row["status"] for row in rows} == {"completed"}
    objectives = [float(row["val/acc"]) for row in rows]
    assert objectives == sorted(objectives, reverse=True)
    assert {row["optimizer.betas"] for row in rows} == {"[0.9,0.99]", "[0.8,0.9]"}
    assert (sweep_dir / "summary.md").is_file()
    assert (sweep_dir / "summary.png").is_file()


def test_submitit_local_failure_stays_local(tmp_path, reviews_csv):
    sweep_dir = tmp_path / "local"
    args = ["-m", *tiny_cli_overrides(reviews_csv, tmp_path / "out", logger="default")] + [
        "hydra/launcher=submitit_local",
        "test=false",
        "logger.wandb.mode=offline",
        "optimizer.lr=1e-3,-1",
        f"hydra.sweep.dir={sweep_dir}",
    ]
    result = run_cli(args, tmp_path)
    assert result.returncode == 1
    assert "1 of 2 jobs failed" in result.stderr
    assert "1_optimizer.lr=-1: failed: ConfigError: optimizer.lr must be a number > 0.0, got -1" in result.stderr

    good, bad = sweep_dir / "0_optimizer.lr=0.001", sweep_dir / "1_optimizer.lr=-1"
    assert json.loads((good / "status.json").read_text())["status"] == "completed"
    assert (good / "metrics.json").is_file()
    status = json.loads((bad / "status.json").read_text())
    assert status["status"] == "failed"
    assert status["error"].startswith("ConfigError: optimizer.lr must be a number > 0.0")
    assert "Traceback" in (bad / "error.txt").read_text()
    assert not (bad / "metrics.json").exists()
    # The failed job still has a W&B run, which carries the error.
    failed_runs = wandb_runs(bad)
    assert len(failed_runs) == 1
    assert b"optimizer.lr must be a number" in failed_runs[0].read_bytes()

    # Each job ran in its own submitit process.
    job_folders = [path for path in (sweep_dir / ".submitit").iterdir() if path.name.isdigit()]
    assert len(job_folders) == 2
    rows = read_csv(sweep_dir / "summary.csv")
    assert [row["status"] for row in rows] == ["completed", "failed"]


def _wait_for(pattern: str, directory: Path, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not list(directory.glob(pattern)):
        if process.poll() is not None:
            raise AssertionError(f"the sweep exited with code {process.returncode} before {pattern} appeared")
        if time.monotonic() > deadline:
            raise AssertionError(f"{pattern} did not appear in {directory} within {timeout} s")
        time.sleep(0.05)


def test_optuna_search_resumes_after_kill(tmp_path, reviews_csv):
    import optuna
    from optuna.trial import TrialState

    sweep_dir = tmp_path / "optuna"
    args = tiny_cli_overrides(reviews_csv, tmp_path / "out") + [
        "hparams_search=optuna_lr",
        "hydra.sweeper.n_trials=3",
        "test=false",
        f"hydra.sweep.dir={sweep_dir}",
    ]
    process = subprocess.Popen(cli_command(args), cwd=tmp_path, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for("1_*", sweep_dir, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()

    storage = f"sqlite:///{sweep_dir / 'optuna.db'}"
    states = [trial.state for trial in optuna.load_study(study_name="optuna_lr", storage=storage).trials]
    assert states == [TrialState.COMPLETE, TrialState.RUNNING]
    first_job = next(sweep_dir.glob("0_*"))
    first_status = (first_job / "status.json").read_text()

    result = run_cli(args, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]

    trials = optuna.load_study(study_name="optuna_lr", storage=storage).trials
    assert [trial.state for trial in trials] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE, TrialState.COMPLETE]
    assert trials[1].user_attrs["interrupted"] is True
    assert trials[2].params == trials[1].params
    assert trials[2].user_attrs["rerun_of"] == 1
    assert trials[3].params != trials[0].params
    assert (first_job / "status.json").read_text() == first_status

    interrupted_job = next(sweep_dir.glob("1_*"))
    assert json.loads((interrupted_job / "status.json").read_text())["status"] == "interrupted"
    rows = read_csv(sweep_dir / "summary.csv")
    assert [row["status"] for row in rows] == ["completed", "completed", "completed", "interrupted"]
    best = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    assert best["best_value"] == max(trial.value for trial in trials if trial.state == TrialState.COMPLETE)
    # data.batch_size is fixed on the command line, which takes it out of the search space.
    assert set(best["best_params"]) == {"optimizer.lr", "scheduler.warmup_ratio", "optimizer.weight_decay"}

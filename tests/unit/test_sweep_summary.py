import csv
import json

import yaml

from transferlab.sweeps.status import COMPLETED, FAILED, read_status, write_status
from transferlab.sweeps.summary import main, summarize


def _job(sweep_dir, name, overrides, status, objective=None, metrics=None, error=None):
    job_dir = sweep_dir / name
    (job_dir / ".hydra").mkdir(parents=True)
    (job_dir / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides), encoding="utf-8")
    if metrics is not None:
        (job_dir / "metrics.json").write_text(json.dumps({**metrics, "duration_s": 3.0}), encoding="utf-8")
    if status is not None:
        write_status(job_dir, status, "val/acc", objective, 12.34, error)
    return job_dir


def _sweep(tmp_path, mode="max"):
    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir()
    (sweep_dir / "multirun.yaml").write_text(yaml.safe_dump({"objective": "val/acc", "objective_mode": mode}))
    shared = ["model=tiny_random"]
    _job(sweep_dir, "0_optimizer.lr=1e-05,seed=1", [*shared, "optimizer.lr=1e-05", "seed=1"], COMPLETED, 0.6,
         {"val/acc": 0.6, "val/loss": 0.7})
    _job(sweep_dir, "1_optimizer.lr=1e-05,seed=2", [*shared, "optimizer.lr=1e-05", "seed=2"], COMPLETED, 0.8,
         {"val/acc": 0.8, "val/loss": 0.5})
    _job(sweep_dir, "2_optimizer.lr=-1,seed=1", [*shared, "optimizer.lr=-1", "seed=1"], FAILED,
         error=ValueError("optimizer.lr must be > 0"))
    _job(sweep_dir, "3_optimizer.lr=0.001,seed=2", [*shared, "optimizer.lr=0.001", "seed=2"], COMPLETED, 0.7,
         {"val/acc": 0.7, "val/loss": 0.6})
    _job(sweep_dir, "4_optimizer.lr=0.001,seed=1", [*shared, "optimizer.lr=0.001", "seed=1"], None)
    return sweep_dir


def _read_csv(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_summary_sorted_by_objective(tmp_path):
    sweep_dir = _sweep(tmp_path)
    summarize(sweep_dir)
    rows = _read_csv(sweep_dir / "summary.csv")
    assert [row["job"].split("_")[0] for row in rows] == ["1", "3", "0", "2", "4"]
    assert [row["status"] for row in rows] == ["completed", "completed", "completed", "failed", "unfinished"]
    assert rows[0]["val/acc"] == "0.8"
    assert rows[0]["val/loss"] == "0.5"
    assert rows[0]["duration_s"] == "12.3"


def test_summary_min_mode_reverses_order(tmp_path):
    sweep_dir = _sweep(tmp_path, mode="min")
    summarize(sweep_dir)
    rows = _read_csv(sweep_dir / "summary.csv")
    assert [row["job"].split("_")[0] for row in rows[:3]] == ["0", "3", "1"]


def test_summary_columns_and_errors(tmp_path):
    sweep_dir = _sweep(tmp_path)
    summarize(sweep_dir)
    rows = _read_csv(sweep_dir / "summary.csv")
    header = list(rows[0])
    assert header[:6] == ["rank", "job", "status", "val/acc", "optimizer.lr", "seed"]
    assert "model" not in header
    failed = rows[3]
    assert failed["optimizer.lr"] == "-1"
    assert failed["error"] == "ValueError: optimizer.lr must be > 0"
    assert failed["overrides"] == "optimizer.lr=-1 seed=1"


def test_summary_markdown_and_plot(tmp_path):
    sweep_dir = _sweep(tmp_path)
    summarize(sweep_dir)
    markdown = (sweep_dir / "summary.md").read_text(encoding="utf-8")
    assert "sorted by val/acc (max)" in markdown
    assert "Shared by every job: `model=tiny_random`" in markdown
    assert markdown.count("\n| ") == 6  # header and five jobs
    plot = sweep_dir / "summary.png"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plot.stat().st_size > 10_000


def test_summary_command_on_existing_sweep(tmp_path, capsys):
    sweep_dir = _sweep(tmp_path)
    assert main([str(sweep_dir)]) == 0
    assert "| 1 | 1_optimizer.lr=1e-05,seed=2 | completed |" in capsys.readouterr().out
    assert main([str(tmp_path / "missing")]) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([str(empty)]) == 1


def test_status_record_round_trip(tmp_path):
    try:
        raise RuntimeError("loss is nan\nat step 3")
    except RuntimeError as error:
        write_status(tmp_path, FAILED, "val/acc", None, 1.0, error)
    status = read_status(tmp_path)
    assert status["status"] == "failed"
    assert status["error"] == "RuntimeError: loss is nan at step 3"
    assert "Traceback" in (tmp_path / "error.txt").read_text(encoding="utf-8")
    assert read_status(tmp_path / "nothing") is None

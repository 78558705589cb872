"""Sweep summary: one row per job with its overrides, status, final metrics and duration.

Writes `summary.csv`, `summary.md` and `summary.png` (the objective against each swept value) into
the sweep directory. Runs automatically at the end of a multirun, and on demand:

    transferlab-sweep-summary outputs/train/multiruns/2026-01-01_12-00-00
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from transferlab.log import get_logger
from transferlab.sweeps.status import COMPLETED, STATUS_FILE, read_status

log = get_logger(__name__)

CSV_FILE = "summary.csv"
MARKDOWN_FILE = "summary.md"
PLOT_FILE = "summary.png"
# Status of a job directory without status.json: the process was killed or is still running.
UNFINISHED = "unfinished"


@dataclass
class JobRow:
    """One job of a sweep as read from its directory."""

    job: str
    overrides: dict[str, str]
    status: str
    objective: float | None
    metrics: dict[str, float] = field(default_factory=dict)
    duration_s: float | None = None
    error: str = ""


def _read_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None


def _parse_overrides(items: list[str]) -> dict[str, str]:
    overrides = {}
    for item in items:
        key, _, value = item.partition("=")
        key = key.lstrip("+~")
        if not key.startswith("hydra."):
            overrides[key] = value
    return overrides


def _job_sort_key(directory: Path) -> tuple[int, str]:
    number = directory.name.split("_", 1)[0]
    return (int(number) if number.isdigit() else sys.maxsize, directory.name)


def read_jobs(sweep_dir: Path) -> list[JobRow]:
    """Read every job directory of a sweep: those with `.hydra/overrides.yaml` or a status record."""
    rows = []
    directories = {path.parent.parent for path in Path(sweep_dir).glob("*/.hydra/overrides.yaml")}
    directories |= {path.parent for path in Path(sweep_dir).glob(f"*/{STATUS_FILE}")}
    for directory in sorted(directories, key=_job_sort_key):
        status = read_status(directory) or {}
        metrics_path = directory / "metrics.json"
        metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else {}
        metrics.pop("duration_s", None)
        rows.append(
            JobRow(
                job=directory.name,
                overrides=_parse_overrides(_read_yaml(directory / ".hydra" / "overrides.yaml") or []),
                status=status.get("status", UNFINISHED),
                objective=status.get("objective"),
                metrics={key: value for key, value in metrics.items() if isinstance(value, (int, float))},
                duration_s=status.get("duration_s"),
                error=status.get("error", ""),
            )
        )
    return rows


def objective_settings(sweep_dir: Path) -> tuple[str, str]:
    """Return (objective, objective_mode) from the sweep's `multirun.yaml`, or the first job's config."""
    candidates = [Path(sweep_dir) / "multirun.yaml", *sorted(Path(sweep_dir).glob("*/.hydra/config.yaml"))]
    for path in candidates:
        config = _read_yaml(path)
        if isinstance(config, dict) and "objective" in config:
            return str(config["objective"]), str(config.get("objective_mode", "max"))
    return "objective", "max"


def swept_keys(rows: list[JobRow]) -> list[str]:
    """Return the override keys that take more than one value across the jobs, in first-seen order."""
    keys: dict[str, set[str]] = {}
    for row in rows:
        for key, value in row.overrides.items():
            keys.setdefault(key, set()).add(value)
    missing_somewhere = {key for key in keys if any(key not in row.overrides for row in rows)}
    return [key for key, values in keys.items() if len(values) > 1 or key in missing_somewhere]


def sort_rows(rows: list[JobRow], mode: str) -> list[JobRow]:
    """Order completed jobs best objective first; jobs without an objective follow in job order."""
    def key(row: JobRow):
        value = row.objective
        if row.status != COMPLETED or value is None or (isinstance(value, float) and math.isnan(value)):
            return (1, 0.0)
        return (0, -value if mode == "max" else value)

    return sorted(rows, key=key)


def shared_overrides(rows: list[JobRow]) -> dict[str, str]:
    """Return the overrides every job has with the same value."""
    keys = set(swept_keys(rows))
    return {key: value for key, value in (rows[0].overrides.items() if rows else []) if key not in keys}


def _table(rows: list[JobRow], objective: str) -> tuple[list[str], list[list]]:
    keys = swept_keys(rows)
    metric_names = sorted({name for row in rows for name in row.metrics})
    header = ["rank", "job", "status", objective, *keys, *[m for m in metric_names if m != objective],
              "duration_s", "overrides", "error"]
    body = []
    for rank, row in enumerate(rows, start=1):
        overrides = " ".join(f"{k}={row.overrides[k]}" for k in keys if k in row.overrides)
        body.append([
            rank, row.job, row.status, row.objective,
            *[row.overrides.get(k, "") for k in keys],
            *[row.metrics.get(m) for m in metric_names if m != objective],
            None if row.duration_s is None else f"{row.duration_s:.1f}", overrides, row.error,
        ])
    return header, body


def _format(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e-3 and value != 0 else f"{value:.4f}"
    return str(value)


def write_csv(path: Path, header: list[str], body: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([["" if cell is None else cell for cell in line] for line in body])


def write_markdown(path: Path, header: list[str], body: list[list], title: str, shared: dict[str, str]) -> None:
    def cell(value) -> str:
        return _format(value).replace("|", "\\|").replace("\n", " ")

    lines = [f"# {title}", ""]
    if shared:
        lines += ["Shared by every job: `" + " ".join(f"{k}={v}" for k, v in shared.items()) + "`", ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in line) + " |" for line in body]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _as_number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _plot_numeric(axis, numbers: list[float], scores: list[float]) -> None:
    """Scatter one point per job; where a value has several jobs (seeds), join the per-value means."""
    axis.scatter(numbers, scores, color="tab:blue", zorder=3, label="job")
    by_value: dict[float, list[float]] = {}
    for number, score in zip(numbers, scores):
        by_value.setdefault(number, []).append(score)
    if any(len(group) > 1 for group in by_value.values()):
        xs = sorted(by_value)
        axis.plot(xs, [sum(by_value[x]) / len(by_value[x]) for x in xs], color="tab:orange", label="mean")
        axis.legend(fontsize="small")
    if all(n > 0 for n in numbers) and max(numbers) / min(numbers) >= 10:
        axis.set_xscale("log")
    else:
        axis.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))


def write_plot(path: Path, rows: list[JobRow], keys: list[str], objective: str) -> bool:
    """Plot the objective against each swept value, one panel per key; return False when nothing to plot."""
    done = [row for row in rows if row.status == COMPLETED and row.objective is not None]
    if not done or not keys:
        return False

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = min(3, len(keys))
    rows_count = math.ceil(len(keys) / columns)
    figure, axes = plt.subplots(rows_count, columns, figsize=(4.6 * columns, 3.8 * rows_count), squeeze=False)
    for axis in axes.flat[len(keys):]:
        axis.set_visible(False)
    for axis, key in zip(axes.flat, keys):
        values = [row.overrides.get(key, "(default)") for row in done]
        scores = [row.objective for row in done]
        numbers = [_as_number(value) for value in values]
        if all(number is not None for number in numbers):
            _plot_numeric(axis, numbers, scores)
        else:
            categories = sorted(set(values))
            positions = [categories.index(value) for value in values]
            axis.scatter(positions, scores, color="tab:blue", zorder=3)
            axis.set_xticks(range(len(categories)), categories, rotation=20, ha="right")
            axis.set_xlim(-0.5, len(categories) - 0.5)
        axis.set_xlabel(key)
        axis.set_ylabel(objective)
        axis.grid(True, alpha=0.3)
    figure.suptitle(f"{objective} of {len(done)} completed jobs against each swept value")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True


def summarize(sweep_dir: Path) -> list[JobRow]:
    """Write summary.csv, summary.md and (when a job completed) summary.png; return the sorted rows."""
    sweep_dir = Path(sweep_dir)
    objective, mode = objective_settings(sweep_dir)
    rows = sort_rows(read_jobs(sweep_dir), mode)
    header, body = _table(rows, objective)
    write_csv(sweep_dir / CSV_FILE, header, body)
    title = f"Sweep {sweep_dir.name}: sorted by {objective} ({mode})"
    write_markdown(sweep_dir / MARKDOWN_FILE, header, body, title, shared_overrides(rows))
    plotted = write_plot(sweep_dir / PLOT_FILE, rows, swept_keys(rows), objective)
    log.info(
        "Wrote the sweep summary of %d jobs to %s%s", len(rows), sweep_dir / CSV_FILE,
        f" and {PLOT_FILE}" if plotted else "",
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write summary.csv, summary.md and summary.png for a sweep directory.")
    parser.add_argument("sweep_dir", type=Path, help="directory of a multirun, with one subdirectory per job")
    args = parser.parse_args(argv)
    if not args.sweep_dir.is_dir():
        print(f"error: sweep directory not found: {args.sweep_dir}", file=sys.stderr)
        return 1
    rows = summarize(args.sweep_dir)
    if not rows:
        print(f"error: no job directories (with .hydra/overrides.yaml) in {args.sweep_dir}", file=sys.stderr)
        return 1
    print((args.sweep_dir / MARKDOWN_FILE).read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make bench`: compare transferlab's training path with the loops users would otherwise write.

Every loop trains one epoch on the same Rotten Tomatoes snippets with the same model, batch size,
maximum length and thread count, each in a child process of its own. The loops run in rotated
order for `--repeats` rounds, and the table shows the median of each figure. This process imports
no torch, so the fast config commands are timed from a clean start too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.settings import Workload
from transferlab.runs.precision import cpu_bf16_flags

REPO_ROOT = Path(__file__).resolve().parents[1]

# Loop name -> (module, options). The first four are the comparison of the targets; the others
# measure variants. `transferlab` runs the default config, whose `trainer.precision=auto` picks
# bf16 autocast on CPUs with native bfloat16 and fp32 elsewhere.
LOOPS = {
    "transferlab": ("benchmarks.loops.transferlab_path", {}),
    "minimal": ("benchmarks.loops.minimal", {}),
    "tutorial": ("benchmarks.loops.tutorial", {}),
    "hf_trainer": ("benchmarks.loops.hf_trainer", {}),
    "transferlab_fp32": ("benchmarks.loops.transferlab_path", {"overrides": ["trainer.precision=32-true"]}),
    "transferlab_bf16": ("benchmarks.loops.transferlab_path", {"overrides": ["trainer.precision=bf16-mixed"]}),
    "transferlab_csv_logger": ("benchmarks.loops.transferlab_path", {"overrides": ["logger=csv"]}),
    "minimal_fused": ("benchmarks.loops.minimal", {"fused": True}),
    "minimal_bf16": ("benchmarks.loops.minimal", {"bf16": True}),
    "minimal_bf16_fused": ("benchmarks.loops.minimal", {"bf16": True, "fused": True}),
    "minimal_compile": ("benchmarks.loops.minimal", {"compile": True}),
}
DEFAULT_LOOPS = ("transferlab", "minimal", "tutorial", "hf_trainer", "transferlab_fp32", "minimal_fused")
FIGURES = (
    "train_samples_per_s", "eval_samples_per_s", "train_samples_per_cpu_s", "eval_samples_per_cpu_s",
    "first_step_s", "peak_rss_mib", "eval_accuracy",
)

# (description, figure, loop, reference loop, minimum ratio of loop to reference)
TARGETS = (
    ("train throughput >= 0.97x minimal loop", "train_samples_per_s", "transferlab", "minimal", 0.97),
    ("train throughput >= 3x tutorial loop", "train_samples_per_s", "transferlab", "tutorial", 3.0),
    ("train throughput >= 1x HF Trainer", "train_samples_per_s", "transferlab", "hf_trainer", 1.0),
    ("eval throughput >= 1x minimal loop", "eval_samples_per_s", "transferlab", "minimal", 1.0),
)
# The framework's own cost, with the same precision and optimizer kernel on both sides: shown as
# ratios, not targets. (description, figure, loop, reference loop)
LIKE_FOR_LIKE = (
    ("train, fp32 + fused AdamW: transferlab_fp32 / minimal_fused", "train_samples_per_s", "transferlab_fp32", "minimal_fused"),
    ("eval, fp32: transferlab_fp32 / minimal_fused", "eval_samples_per_s", "transferlab_fp32", "minimal_fused"),
    ("train, bf16 + fused AdamW: transferlab_bf16 / minimal_bf16_fused", "train_samples_per_s", "transferlab_bf16", "minimal_bf16_fused"),
    ("eval, bf16: transferlab_bf16 / minimal_bf16_fused", "eval_samples_per_s", "transferlab_bf16", "minimal_bf16_fused"),
)

# Fast config commands: none of them may import torch, transformers or Lightning.
COMMANDS = {
    "--help": [sys.executable, "-m", "transferlab.train", "--help"],
    "--cfg job": [sys.executable, "-m", "transferlab.train", "--cfg", "job"],
    "--info": [sys.executable, "-m", "transferlab.train", "--info"],
    "config validation": [sys.executable, "-m", "benchmarks.validate_config"],
}
COMMAND_TARGET_S = 1.0


def child_environment(workload: Workload) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "src"), str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(
        OMP_NUM_THREADS=str(workload.threads),
        MKL_NUM_THREADS=str(workload.threads),
        TOKENIZERS_PARALLELISM="false",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        WANDB_SILENT="true",
    )
    return env


def run_loop(name: str, workload: Workload, log_dir: Path) -> dict:
    """Run one loop in a child process and return its result; the child's output goes to a log file."""
    module, options = LOOPS[name]
    result_path = log_dir / f"{name}-{time.monotonic_ns()}.json"
    log_path = result_path.with_suffix(".log")
    command = [sys.executable, "-m", "benchmarks.child", module, workload.to_json(), json.dumps(options), str(result_path)]
    with log_path.open("w", encoding="utf-8") as log:
        completed = subprocess.run(command, cwd=REPO_ROOT, env=child_environment(workload), stdout=log, stderr=subprocess.STDOUT)
    if completed.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"loop {name} failed with exit code {completed.returncode}; log {log_path}:\n{tail}")
    return json.loads(result_path.read_text(encoding="utf-8"))


def time_commands(workload: Workload, repeats: int) -> dict[str, float]:
    """Return the median wall time in seconds of each fast config command."""
    timings = {}
    for name, command in COMMANDS.items():
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run(command, cwd=REPO_ROOT, env=child_environment(workload), check=True, capture_output=True)
            samples.append(time.perf_counter() - started)
        timings[name] = statistics.median(samples)
    return timings


def median_results(runs: dict[str, list[dict]]) -> dict[str, dict]:
    medians = {}
    for name, results in runs.items():
        medians[name] = {figure: statistics.median(r[figure] for r in results) for figure in FIGURES}
        medians[name]["runs"] = len(results)
    return medians


def _ratios(medians: dict[str, dict], figure: str, loop: str, reference: str) -> tuple[float, float] | None:
    """Return (wall-clock ratio, CPU-time ratio) of a figure between two loops, or None if one did not run."""
    if loop not in medians or reference not in medians:
        return None
    cpu_figure = figure.replace("_per_s", "_per_cpu_s")
    return medians[loop][figure] / medians[reference][figure], medians[loop][cpu_figure] / medians[reference][cpu_figure]


def check_targets(medians: dict[str, dict]) -> list[dict]:
    checks = []
    for description, figure, loop, reference, minimum in TARGETS:
        if (ratios := _ratios(medians, figure, loop, reference)) is not None:
            ratio, cpu_ratio = ratios
            checks.append({"target": description, "ratio": ratio, "cpu_ratio": cpu_ratio, "minimum": minimum, "passed": ratio >= minimum})
    return checks


def like_for_like(medians: dict[str, dict], runs: dict[str, list[dict]]) -> list[dict]:
    """Return the `LIKE_FOR_LIKE` ratios of the loops that ran.

    The default `transferlab` loop replaces `transferlab_fp32` or `transferlab_bf16` when that
    variant did not run and `trainer.precision=auto` resolved to its precision in every round.
    """
    precisions = {result.get("extra", {}).get("precision") for result in runs.get("transferlab", [])}
    stand_ins = {"transferlab_fp32": "32-true", "transferlab_bf16": "bf16-mixed"}
    rows = []
    for description, figure, loop, reference in LIKE_FOR_LIKE:
        if loop not in medians and precisions == {stand_ins.get(loop)}:
            description = f"{description} (the default transferlab loop, which ran in {stand_ins[loop]})"
            loop = "transferlab"
        if (ratios := _ratios(medians, figure, loop, reference)) is not None:
            rows.append({"comparison": description, "ratio": ratios[0], "cpu_ratio": ratios[1]})
    return rows


def print_report(medians: dict[str, dict], runs: dict[str, list[dict]], checks: list[dict], commands: dict[str, float]) -> None:
    header = (
        f"{'loop':<18}{'train samples/s':>17}{'eval samples/s':>16}{'train /CPU-s':>14}{'eval /CPU-s':>13}"
        f"{'first step s':>14}{'peak RSS MiB':>14}{'eval acc':>10}{'runs':>6}"
    )
    print("\n" + header)
    print("-" * len(header))
    for name, m in medians.items():
        print(
            f"{name:<18}{m['train_samples_per_s']:>17.1f}{m['eval_samples_per_s']:>16.1f}"
            f"{m['train_samples_per_cpu_s']:>14.1f}{m['eval_samples_per_cpu_s']:>13.1f}{m['first_step_s']:>14.1f}"
            f"{m['peak_rss_mib']:>14.0f}{m['eval_accuracy']:>10.3f}{m['runs']:>6}"
        )
    if checks:
        precisions = sorted({r.get("extra", {}).get("precision", "?") for r in runs.get("transferlab", [])})
        print(f"\nTargets (ratios of medians; transferlab ran in {', '.join(precisions)}, the reference loops in fp32):")
        for check in checks:
            status = "PASS" if check["passed"] else "FAIL"
            print(f"  {status}  {check['target']}: {check['ratio']:.2f}x (per CPU-second: {check['cpu_ratio']:.2f}x)")
    if rows := like_for_like(medians, runs):
        print("\nFramework cost, same precision and optimizer kernel on both sides (ratios of medians):")
        for row in rows:
            print(f"  {row['comparison']}: {row['ratio']:.2f}x (per CPU-second: {row['cpu_ratio']:.2f}x)")
    if commands:
        print(f"\nFast config commands (median wall time, target < {COMMAND_TARGET_S:.1f} s):")
        for name, seconds in commands.items():
            status = "PASS" if seconds < COMMAND_TARGET_S else "FAIL"
            print(f"  {status}  transferlab-train {name}: {seconds:.2f} s" if name.startswith("--") else f"  {status}  {name}: {seconds:.2f} s")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = Workload()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loops", nargs="+", choices=sorted(LOOPS), default=list(DEFAULT_LOOPS), help="loops to run")
    parser.add_argument("--repeats", type=int, default=3, help="rounds over all loops; figures are medians (default 3)")
    parser.add_argument("--train-samples", type=int, default=defaults.train_samples, help="training snippets (default %(default)s)")
    parser.add_argument("--eval-samples", type=int, default=defaults.eval_samples, help="validation snippets (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="examples per batch (default %(default)s)")
    parser.add_argument("--max-length", type=int, default=defaults.max_length, help="maximum tokens per example (default %(default)s)")
    parser.add_argument("--threads", type=int, default=defaults.threads, help="torch threads per loop (default %(default)s)")
    parser.add_argument("--output-dir", default=defaults.output_dir, help="folder for run directories and logs (default %(default)s)")
    parser.add_argument("--json", type=Path, default=None, help="results file (default <output-dir>/results.json)")
    parser.add_argument("--skip-commands", action="store_true", help="do not time the fast config commands")
    parser.add_argument("--skip-cache", action="store_true", help="do not time the tokenization cache")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workload = Workload(
        train_samples=args.train_samples, eval_samples=args.eval_samples, batch_size=args.batch_size,
        max_length=args.max_length, threads=args.threads, output_dir=args.output_dir,
    )
    Path(workload.output_dir).mkdir(parents=True, exist_ok=True)
    log_dir = Path(tempfile.mkdtemp(dir=workload.output_dir, prefix="logs-"))
    print(f"Workload: {workload.to_json()}\nChild logs: {log_dir}", flush=True)

    commands = {} if args.skip_commands else time_commands(workload, repeats=3)

    json_path = args.json or Path(workload.output_dir) / "results.json"
    runs: dict[str, list[dict]] = {name: [] for name in args.loops}
    for round_index in range(args.repeats):
        shift = round_index % len(args.loops)
        for name in args.loops[shift:] + args.loops[:shift]:
            result = run_loop(name, workload, log_dir)
            runs[name].append(result)
            print(
                f"round {round_index + 1}/{args.repeats} {name}: train {result['train_samples_per_s']:.1f}/s, "
                f"eval {result['eval_samples_per_s']:.1f}/s, first step {result['first_step_s']:.1f} s, "
                f"peak RSS {result['peak_rss_mib']:.0f} MiB, accuracy {result['eval_accuracy']:.3f}",
                flush=True,
            )
            # Written after every loop, so an interrupted run keeps what it measured.
            write_report(json_path, workload, {n: r for n, r in runs.items() if r}, commands, None)

    cache = None
    if not args.skip_cache:
        cache = run_helper([sys.executable, "-m", "benchmarks.cache_timing", workload.to_json()], workload)

    medians = median_results(runs)
    checks = check_targets(medians)
    print_report(medians, runs, checks, commands)
    if cache:
        print(
            f"\nTokenization cache, full Rotten Tomatoes ({cache['examples']} snippets): data setup "
            f"{cache['cold_s']:.2f} s on the first run, {cache['warm_s']:.2f} s on the second "
            f"({cache['cold_s'] - cache['warm_s']:.2f} s saved)"
        )

    write_report(json_path, workload, runs, commands, cache)
    print(f"\nWrote {json_path}")
    return 0


def write_report(path: Path, workload: Workload, runs: dict[str, list[dict]], commands: dict, cache: dict | None) -> None:
    """Write the workload, machine, medians, target checks and every round's figures as JSON."""
    medians = median_results(runs)
    report = {
        "workload": json.loads(workload.to_json()),
        "machine": {
            "cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "cpu_bf16_flags": cpu_bf16_flags(),
        },
        "medians": medians,
        "targets": check_targets(medians),
        "like_for_like": like_for_like(medians, runs),
        "commands_s": commands,
        "tokenization_cache": cache,
        "runs": runs,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def run_helper(command: list[str], workload: Workload) -> dict:
    """Run a helper module that prints one JSON object as its last output line, and return it."""
    completed = subprocess.run(command, cwd=REPO_ROOT, env=child_environment(workload), capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed:\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main())

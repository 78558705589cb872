"""Clocks, peak memory and the shared data and model setup of the benchmarked loops."""

from __future__ import annotations

import math
import resource
import time
from dataclasses import dataclass, field

from benchmarks.settings import Workload


@dataclass
class LoopResult:
    """Figures of one loop, measured in its own process; times in seconds, memory in MiB."""

    train_samples_per_s: float
    eval_samples_per_s: float
    # Samples per second of this process's CPU time (all its threads): less sensitive than wall time
    # to other jobs on a shared machine, but blind to work done in other processes.
    train_samples_per_cpu_s: float
    eval_samples_per_cpu_s: float
    first_step_s: float  # from the child process's first statement to the end of the first optimizer step
    peak_rss_mib: float
    eval_accuracy: float
    extra: dict = field(default_factory=dict)


def peak_rss_mib() -> float:
    """Return this process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Stopwatch:
    """Wall and process CPU seconds since a start time; `lap` stores named wall readings."""

    def __init__(self, started: float | None = None) -> None:
        self.started = time.perf_counter() if started is None else started
        self.cpu_started = time.process_time()
        self.laps: dict[str, float] = {}

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def cpu_elapsed(self) -> float:
        return time.process_time() - self.cpu_started

    def lap(self, name: str) -> float:
        self.laps[name] = self.elapsed()
        return self.laps[name]


def load_split_texts(workload: Workload) -> tuple[dict[str, list[tuple[str, int]]], list[str]]:
    """Return (text, label id) pairs of the train and validation splits and the label names.

    The examples are the ones transferlab's own path trains on: the seeded stratified split of the
    default data config, capped like `data.max_train_samples` and `data.max_eval_samples`.
    """
    from transferlab.data.packaged import RottenTomatoes
    from transferlab.data.preparation import prepare

    caps = {"train": workload.train_samples, "validation": workload.eval_samples, "test": workload.eval_samples}
    prepared = prepare(RottenTomatoes().load(), {"train": 0.8, "validation": 0.1, "test": 0.1}, workload.seed, caps)
    label2id = prepared.label2id
    splits = {
        split: [(example.text, label2id[example.label]) for example in prepared.splits[split]]
        for split in ("train", "validation")
    }
    return splits, prepared.label_names


def load_model_and_tokenizer(workload: Workload, num_labels: int):
    """Load MiniLM-L6 with a seeded fresh classification head, in train mode, and its fast tokenizer."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from transferlab.resources import packaged_path

    directory = packaged_path("minilm-l6")
    torch.manual_seed(workload.seed)
    model = AutoModelForSequenceClassification.from_pretrained(directory, num_labels=num_labels, local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    return model.train(), tokenizer


def build_optimizer(model, workload: Workload, steps: int, fused: bool = False):
    """Build AdamW with weight decay 0.01 and a linear schedule with 10% warm-up, as a hand-written loop does.

    Without `fused`, torch 2.13 runs AdamW on CPU one parameter tensor at a time.
    """
    import torch
    from transformers import get_linear_schedule_with_warmup

    optimizer = torch.optim.AdamW(model.parameters(), lr=workload.learning_rate, weight_decay=0.01, fused=fused or None)
    scheduler = get_linear_schedule_with_warmup(optimizer, math.ceil(0.1 * steps), steps)
    return optimizer, scheduler


def evaluate(model, batches) -> tuple[float, float, float, int]:
    """Return (wall seconds, CPU seconds, accuracy, examples) of one pass of `model` over batches."""
    import torch

    model.eval()
    correct = total = 0
    clock = Stopwatch()
    with torch.inference_mode():
        for batch in batches:
            labels = batch.pop("labels")
            logits = model(**batch).logits
            correct += int((logits.argmax(dim=-1) == labels).sum())
            total += len(labels)
    seconds, cpu_seconds = clock.elapsed(), clock.cpu_elapsed()
    model.train()
    return seconds, cpu_seconds, correct / total, total

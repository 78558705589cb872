"""The common tutorial loop: tokenize in `__getitem__` and pad every example to `max_length`."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset

from benchmarks.measure import (
    LoopResult, Stopwatch, build_optimizer, evaluate, load_model_and_tokenizer, load_split_texts, peak_rss_mib,
)
from benchmarks.settings import Workload


class ReviewDataset(Dataset):
    def __init__(self, pairs: list[tuple[str, int]], tokenizer, max_length: int) -> None:
        self.pairs = pairs
        self.tokenizer = tokenizer
        self.max_length = max_length

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        text, label = self.pairs[index]
        encoding = self.tokenizer(
            text, padding="max_length", truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        item = {key: value.squeeze(0) for key, value in encoding.items()}
        item["labels"] = torch.tensor(label)
        return item


def run(workload: Workload, started: float) -> LoopResult:
    process_clock = Stopwatch(started)
    splits, label_names = load_split_texts(workload)
    model, tokenizer = load_model_and_tokenizer(workload, len(label_names))

    generator = torch.Generator().manual_seed(workload.seed)
    train_loader = DataLoader(
        ReviewDataset(splits["train"], tokenizer, workload.max_length),
        batch_size=workload.batch_size, shuffle=True, generator=generator,
    )
    optimizer, scheduler = build_optimizer(model, workload, len(train_loader))

    clock = Stopwatch()
    for step, batch in enumerate(train_loader):
        loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        if step == 0:
            process_clock.lap("first_step")
    train_seconds, train_cpu_seconds = clock.elapsed(), clock.cpu_elapsed()

    eval_loader = DataLoader(ReviewDataset(splits["validation"], tokenizer, workload.max_length), batch_size=workload.batch_size)
    eval_seconds, eval_cpu_seconds, accuracy, evaluated = evaluate(model, eval_loader)

    return LoopResult(
        train_samples_per_s=len(splits["train"]) / train_seconds,
        eval_samples_per_s=evaluated / eval_seconds,
        train_samples_per_cpu_s=len(splits["train"]) / train_cpu_seconds,
        eval_samples_per_cpu_s=evaluated / eval_cpu_seconds,
        first_step_s=process_clock.laps["first_step"],
        peak_rss_mib=peak_rss_mib(),
        eval_accuracy=accuracy,
    )

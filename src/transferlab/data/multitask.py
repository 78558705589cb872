"""Multi-task data: per-task encoding and evaluation, and training batches that mix tasks by share.

Every training batch comes from a single task, so each batch goes through one head. Each task's
share of training examples comes from `task_sampling.task_shares`.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterator, Mapping, Sequence

import pytorch_lightning as pl
from torch.utils.data import DataLoader, Sampler

from transferlab.data.batching import LengthGroupedBatchSampler
from transferlab.data.datamodule import TextDataModule
from transferlab.data.task_sampling import task_shares
from transferlab.log import get_logger

log = get_logger(__name__)


def _largest_remainder(weights: Sequence[float], total: int, minimum: int) -> list[int]:
    """Split `total` into integer counts proportional to `weights`, each at least `minimum`."""
    scaled = [total * w / sum(weights) for w in weights]
    counts = [max(minimum, math.floor(x)) for x in scaled]
    order = sorted(range(len(weights)), key=lambda i: scaled[i] - math.floor(scaled[i]), reverse=True)
    for i in order[: max(0, total - sum(counts))]:
        counts[i] += 1
    return counts


def _derived_seed(*parts: object) -> int:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


class MultiTaskBatchSampler(Sampler[list[int]]):
    """Batches of one task each, in a shuffled order that gives every task its share of examples.

    Indices address the tasks' training features laid end to end, in the order of `lengths`. An
    epoch has as many batches as one pass over every task would have. Each task gets a fixed number
    of them, proportional to its share over its mean batch size (largest remainder rounding, at
    least one batch per task), so example shares match `shares` up to rounding in every epoch.
    When a task needs more batches than one pass has, it continues with a new shuffled pass. A task
    that needs fewer starts a fresh pass next epoch. The order depends only on (seed, epoch). With
    `num_replicas` > 1, rank r takes every num_replicas-th batch of the same global order.
    """

    def __init__(
        self,
        lengths: Mapping[str, Sequence[int]],
        batch_sizes: Mapping[str, int],
        shares: Mapping[str, float],
        seed: int,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        self.names = list(lengths)
        self.lengths = {name: list(lengths[name]) for name in self.names}
        self.batch_sizes = {name: batch_sizes[name] for name in self.names}
        self.shares = {name: shares[name] for name in self.names}
        self.seed = seed
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0

        self.offsets: dict[str, int] = {}
        offset = 0
        for name in self.names:
            self.offsets[name] = offset
            offset += len(self.lengths[name])

        # A pass over task i has m_i batches of n_i / m_i examples on average (the last one may be
        # short), so task i needs batches in proportion to share_i * m_i / n_i. Under sampling by
        # size this gives every task exactly m_i batches, one pass.
        passes = {n: math.ceil(len(self.lengths[n]) / self.batch_sizes[n]) for n in self.names}
        weights = [self.shares[n] * passes[n] / len(self.lengths[n]) for n in self.names]
        self.batches_per_task = dict(zip(self.names, _largest_remainder(weights, sum(passes.values()), minimum=1)))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _task_batches(self, name: str, count: int) -> list[list[int]]:
        sampler = LengthGroupedBatchSampler(
            self.lengths[name], self.batch_sizes[name], _derived_seed(self.seed, name, self.epoch)
        )
        batches: list[list[int]] = []
        pass_index = 0
        while len(batches) < count:
            sampler.set_epoch(pass_index)
            batches.extend(sampler)
            pass_index += 1
        offset = self.offsets[name]
        return [[offset + i for i in batch] for batch in batches[:count]]

    def _global_batches(self) -> list[list[int]]:
        streams = {name: iter(self._task_batches(name, count)) for name, count in self.batches_per_task.items()}
        order = [name for name, count in self.batches_per_task.items() for _ in range(count)]
        random.Random(_derived_seed(self.seed, "order", self.epoch)).shuffle(order)
        batches = [next(streams[name]) for name in order]
        if self.num_replicas > 1:
            batches = batches[: len(batches) - len(batches) % self.num_replicas]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        yield from self._global_batches()[self.rank :: self.num_replicas]

    def __len__(self) -> int:
        return sum(self.batches_per_task.values()) // self.num_replicas


class _TaskFeatures:
    """The tasks' training features laid end to end; an item is (task name, feature)."""

    def __init__(self, features: Mapping[str, list]) -> None:
        self.items = [(name, feature) for name, task_features in features.items() for feature in task_features]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int):
        return self.items[index]


class _TaskCollator:
    """Pad a batch of (task name, feature) items with that task's collate; returns (task name, batch)."""

    def __init__(self, tasks: Mapping[str, tuple]) -> None:
        self.tasks = dict(tasks)

    def __call__(self, items: list) -> tuple[str, dict]:
        name = items[0][0]
        task, pad_token_id = self.tasks[name]
        return name, task.collate([feature for _, feature in items], pad_token_id=pad_token_id)


class MultiTaskDataModule(pl.LightningDataModule):
    """Serves training batches mixed across tasks and one validation/test loader per task.

    Each task keeps its own `TextDataModule` (its own encoding, batch sizes and max_length). A
    training batch is `(task name, batch)`; evaluation loaders come in the order of `datamodules`,
    so the Lightning `dataloader_idx` is the task's position.
    """

    def __init__(
        self,
        datamodules: Mapping[str, TextDataModule],
        seed: int,
        sampling: str = "size",
        temperature: float = 1.0,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.datamodules = dict(datamodules)
        self.seed = seed
        self.sampling = sampling
        self.temperature = temperature
        self.num_workers = num_workers
        self.shares: dict[str, float] = {}

    @property
    def task_names(self) -> list[str]:
        return list(self.datamodules)

    def setup(self, stage: str | None = None) -> None:
        if self.shares:
            return
        for datamodule in self.datamodules.values():
            datamodule.trainer = self.trainer
            datamodule.setup(stage)
        sizes = {name: len(dm.features["train"]) for name, dm in self.datamodules.items()}
        self.shares = task_shares(sizes, self.sampling, self.temperature)
        log.info(
            "Multi-task sampling by %s: %s",
            self.sampling if self.sampling == "size" else f"temperature {self.temperature}",
            ", ".join(f"{name} {sizes[name]} examples -> {self.shares[name]:.1%}" for name in sizes),
        )

    def train_dataloader(self) -> DataLoader:
        replicas, rank = (self.trainer.world_size, self.trainer.global_rank) if self.trainer is not None else (1, 0)
        sampler = MultiTaskBatchSampler(
            {name: dm.lengths("train") for name, dm in self.datamodules.items()},
            {name: dm.batch_size for name, dm in self.datamodules.items()},
            self.shares,
            self.seed,
            num_replicas=replicas,
            rank=rank,
        )
        if self.trainer is not None:
            sampler.set_epoch(self.trainer.current_epoch)
        features = {name: dm.features["train"] for name, dm in self.datamodules.items()}
        collate = _TaskCollator({name: (dm.task, dm.tokenizer.pad_token_id) for name, dm in self.datamodules.items()})
        return DataLoader(_TaskFeatures(features), batch_sampler=sampler, collate_fn=collate, num_workers=self.num_workers)

    def val_dataloader(self) -> list[DataLoader]:
        return [dm.val_dataloader() for dm in self.datamodules.values()]

    def test_dataloader(self) -> list[DataLoader]:
        return [dm.test_dataloader() for dm in self.datamodules.values()]

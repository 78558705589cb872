"""The LightningDataModule: prepared examples -> token ids once per split -> padded batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

import pytorch_lightning as pl
from torch.utils.data import DataLoader

from transferlab.data.batching import LengthGroupedBatchSampler, SortedBatchSampler
from transferlab.data.examples import SPLITS
from transferlab.data.preparation import PreparedData
from transferlab.log import get_logger
from transferlab.tasks.base import Feature, Task

log = get_logger(__name__)


class _FeatureDataset:
    def __init__(self, features: list[Feature]) -> None:
        self.features = features

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, index: int) -> Feature:
        return self.features[index]


class TextDataModule(pl.LightningDataModule):
    """Serves train/validation/test batches of one task from already prepared examples."""

    def __init__(
        self,
        prepared: PreparedData,
        task: Task,
        tokenizer,
        batch_size: int,
        eval_batch_size: int,
        max_length: int,
        seed: int,
        num_workers: int = 0,
        augmenter=None,
    ) -> None:
        super().__init__()
        self.prepared = prepared
        self.task = task
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.max_length = max_length
        self.seed = seed
        self.num_workers = num_workers
        self.augmenter = augmenter
        self.features: dict[str, list[Feature]] = {}

    def setup(self, stage: str | None = None) -> None:
        if self.features:
            return
        for split in SPLITS:
            self.features[split] = self.task.encode(
                self.prepared.splits[split], self.tokenizer, self.prepared.label2id, self.max_length
            )
        sizes = ", ".join(f"{split} {len(self.features[split])}" for split in SPLITS)
        log.info("Encoded %s examples (max_length %d)", sizes, self.max_length)

    def _replicas(self) -> tuple[int, int]:
        trainer = self.trainer
        if trainer is None:
            return 1, 0
        return trainer.world_size, trainer.global_rank

    def _loader(self, split: str, batch_sampler) -> DataLoader:
        return DataLoader(
            _FeatureDataset(self.features[split]),
            batch_sampler=batch_sampler,
            collate_fn=partial(self.task.collate, pad_token_id=self.tokenizer.pad_token_id),
            num_workers=self.num_workers,
        )

    def lengths(self, split: str) -> list[int]:
        return [len(f["input_ids"]) for f in self.features[split]]

    def train_dataloader(self) -> DataLoader:
        replicas, rank = self._replicas()
        sampler = LengthGroupedBatchSampler(
            self.lengths("train"), self.batch_size, self.seed, num_replicas=replicas, rank=rank
        )
        if self.trainer is not None:
            sampler.set_epoch(self.trainer.current_epoch)
        if self.augmenter is None:
            return self._loader("train", sampler)
        return self._augmented_loader(sampler)

    def _augmented_loader(self, sampler: LengthGroupedBatchSampler) -> DataLoader:
        from transferlab.data.augmented import AugmentedDataset, EpochKeyedBatchSampler

        encode = partial(self.task.encode, tokenizer=self.tokenizer, label2id=self.prepared.label2id, max_length=self.max_length)
        dataset = AugmentedDataset(self.prepared.splits["train"], self.augmenter, encode, self.seed)
        trainer = self.trainer
        current_epoch = (lambda: trainer.current_epoch) if trainer is not None else None
        return DataLoader(
            dataset,
            batch_sampler=EpochKeyedBatchSampler(sampler, current_epoch),
            collate_fn=partial(self.task.collate, pad_token_id=self.tokenizer.pad_token_id),
            num_workers=self.num_workers,
        )

    def _eval_loader(self, split: str) -> DataLoader:
        replicas, rank = self._replicas()
        return self._loader(split, SortedBatchSampler(self.lengths(split), self.eval_batch_size, replicas, rank))

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader("validation")

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader("test")

"""The LightningDataModule: prepared examples -> token ids once per split -> padded batches."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from transferlab.data.batching import LengthGroupedBatchSampler, SortedBatchSampler
from transferlab.data.cache import EncodingCache, entry_key, task_fingerprint, tokenizer_fingerprint
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
        cache_dir: str | Path | None = None,
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
        self.cache = EncodingCache(cache_dir) if cache_dir else None
        self.augmenter = augmenter
        self.features: dict[str, list[Feature]] = {}
        self._resume_at: tuple[int, int] | None = None  # (epoch, batches trained) of a restored checkpoint
        self.cached_splits: list[str] = []  # splits that setup() read from the cache instead of encoding

    def setup(self, stage: str | None = None) -> None:
        if self.features:
            return
        settings = self._encoding_settings() if self.cache else None
        for split in SPLITS:
            self.features[split] = self._encode_split(split, settings)

        sizes = ", ".join(f"{split} {len(self.features[split])}" for split in SPLITS)
        if self.cached_splits:
            log.info(
                "Encoded %s examples (max_length %d); %s read from the tokenization cache in %s",
                sizes, self.max_length, ", ".join(self.cached_splits), self.cache.root,
            )
        else:
            log.info("Encoded %s examples (max_length %d)", sizes, self.max_length)

    def _encode_split(self, split: str, settings: dict | None) -> list[Feature]:
        examples = self.prepared.splits[split]
        if self.cache is None:
            return self.task.encode(examples, self.tokenizer, self.prepared.label2id, self.max_length)

        key = entry_key(examples, settings)
        features = self.cache.load(key)
        # NOTE: warnings that task.encode logs (e.g. sentences split into windows) are not repeated
        # when the split is read from the cache.
        if features is not None:
            self.cached_splits.append(split)
            return features
        features = self.task.encode(examples, self.tokenizer, self.prepared.label2id, self.max_length)
        self._store(key, features)
        return features

    def _encoding_settings(self) -> dict:
        return {
            "task": task_fingerprint(self.task),
            "tokenizer": tokenizer_fingerprint(self.tokenizer),
            "label2id": self.prepared.label2id,
            "max_length": self.max_length,
        }

    def _store(self, key: str, features: list[Feature]) -> None:
        try:
            self.cache.store(key, features)
        except (OSError, TypeError, ValueError) as error:
            log.warning("Could not write the tokenization cache in %s (%s); continuing without it", self.cache.root, error)

    def _replicas(self) -> tuple[int, int]:
        trainer = self.trainer
        if trainer is None:
            return 1, 0
        return trainer.world_size, trainer.global_rank

    def _loader(self, split: str, batch_sampler) -> DataLoader:
        # A private generator keeps `iter()` from drawing on the global torch RNG, so a resumed run
        # and an uninterrupted one make the same dropout draws.
        return DataLoader(
            _FeatureDataset(self.features[split]),
            batch_sampler=batch_sampler,
            collate_fn=partial(self.task.collate, pad_token_id=self.tokenizer.pad_token_id),
            num_workers=self.num_workers,
            generator=torch.Generator().manual_seed(self.seed),
        )

    def lengths(self, split: str) -> list[int]:
        return [len(f["input_ids"]) for f in self.features[split]]

    def train_dataloader(self) -> DataLoader:
        replicas, rank = self._replicas()
        sampler = LengthGroupedBatchSampler(
            self.lengths("train"), self.batch_size, self.seed, num_replicas=replicas, rank=rank,
            before_pass=self._start_train_pass,
        )
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
            generator=torch.Generator().manual_seed(self.seed),
        )

    def _start_train_pass(self, sampler: LengthGroupedBatchSampler) -> None:
        # Lightning's `set_epoch` reaches only a DataLoader's `sampler`, never its batch sampler.
        epoch = self.trainer.current_epoch if self.trainer is not None else 0
        sampler.set_epoch(epoch)
        if self._resume_at is not None and self._resume_at[0] == epoch:
            sampler.skip_batches(self._resume_at[1])
            log.info("Resuming epoch %d after its first %d training batches", epoch, self._resume_at[1])
        self._resume_at = None

    def state_dict(self) -> dict[str, int]:
        """Return the training position (epoch, batches of it already trained) that checkpoints store."""
        trainer = self.trainer
        if trainer is None:
            return {}
        # `processed` counts batches whose training step finished; checkpoints are saved after it.
        return {"epoch": trainer.current_epoch, "batches_trained": trainer.fit_loop.epoch_loop.batch_progress.current.processed}

    def load_state_dict(self, state_dict: dict[str, int]) -> None:
        if state_dict:
            self._resume_at = (int(state_dict["epoch"]), int(state_dict["batches_trained"]))

    def _eval_loader(self, split: str) -> DataLoader:
        replicas, rank = self._replicas()
        return self._loader(split, SortedBatchSampler(self.lengths(split), self.eval_batch_size, replicas, rank))

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader("validation")

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader("test")

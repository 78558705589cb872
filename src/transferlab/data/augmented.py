"""The augmented training set: each (epoch, index) is augmented afresh and encoded on its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler

from transferlab.data.augmentation import TokenAugmenter
from transferlab.data.examples import Example
from transferlab.tasks.base import Feature


class AugmentedDataset:
    """Training examples augmented with a generator seeded by (seed, epoch, index), then encoded.

    Items are fetched by `(epoch, index)` keys, which `EpochKeyedBatchSampler` yields, so the
    augmentation is the same whether batches are built in the main process or in workers, and after
    a resume.
    """

    def __init__(
        self,
        examples: Sequence[Example],
        augmenter: TokenAugmenter,
        encode: Callable[[list[Example]], list[Feature]],
        seed: int,
    ) -> None:
        self.examples = list(examples)
        self.augmenter = augmenter
        self.encode = encode
        self.seed = seed
        plain = [i for i, example in enumerate(self.examples) if isinstance(example.text, str)]
        split = augmenter.split_words([self.examples[i].text for i in plain])
        self.words: list[list[str] | None] = [None] * len(self.examples)
        for i, words in zip(plain, split):
            self.words[i] = words

    def __len__(self) -> int:
        return len(self.examples)

    def augmented_example(self, epoch: int, index: int) -> Example:
        rng = np.random.default_rng([self.seed, epoch, index])
        return self.augmenter.augment_example(self.examples[index], self.words[index], rng, epoch)

    def __getitem__(self, key: tuple[int, int]) -> Feature:
        epoch, index = key
        return self.encode([self.augmented_example(epoch, index)])[0]


class EpochKeyedBatchSampler(Sampler[list[tuple[int, int]]]):
    """Wraps a batch sampler so that each index comes with the epoch, as an (epoch, index) key.

    With `current_epoch` (the trainer's epoch) the epoch is read when a pass yields its first batch,
    because Lightning calls `set_epoch` on a DataLoader's sampler only, never on its batch sampler.
    Without it, the epoch is the last one given to `set_epoch`.
    """

    def __init__(self, batch_sampler, current_epoch: Callable[[], int] | None = None) -> None:
        self.batch_sampler = batch_sampler
        self.current_epoch = current_epoch
        self.epoch = batch_sampler.epoch

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.batch_sampler.set_epoch(epoch)

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        if self.current_epoch is not None:
            self.epoch = self.current_epoch()
        for batch in self.batch_sampler:
            yield [(self.epoch, index) for index in batch]

    def __len__(self) -> int:
        return len(self.batch_sampler)

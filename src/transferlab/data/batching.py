"""Batch samplers that keep padding low: length-grouped for training, length-sorted for evaluation."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence

from torch.utils.data import Sampler

MEGABATCH_FACTOR = 50  # a training batch is drawn from a pool of this many batches of similar length


class LengthGroupedBatchSampler(Sampler[list[int]]):
    """Shuffle, sort pools of `MEGABATCH_FACTOR` batches by length, cut them into batches, shuffle the batches.

    The order depends only on (seed, epoch), so a run is reproducible. With `num_replicas` > 1 each
    rank takes every num_replicas-th batch of the same global order; the batch count is rounded down
    to a multiple of num_replicas so that all ranks step together. `skip_batches` makes the next
    pass start after the batches that a resumed run has already trained on.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        seed: int,
        drop_last: bool = False,
        num_replicas: int = 1,
        rank: int = 0,
        before_pass: Callable[[LengthGroupedBatchSampler], None] | None = None,
    ) -> None:
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.drop_last = drop_last
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self._skip = 0
        # Called when a pass really starts (at the first batch, not at `iter()`), so that its owner
        # can set the epoch and the skip from a trainer whose state may be restored in between.
        self.before_pass = before_pass

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def skip_batches(self, count: int) -> None:
        """Leave out the first `count` batches of the next pass only."""
        self._skip = count

    def _global_batches(self) -> list[list[int]]:
        rng = random.Random(self.seed * 100_003 + self.epoch)
        indices = list(range(len(self.lengths)))
        rng.shuffle(indices)

        pool_size = self.batch_size * MEGABATCH_FACTOR
        batches: list[list[int]] = []
        for start in range(0, len(indices), pool_size):
            pool = sorted(indices[start : start + pool_size], key=lambda i: self.lengths[i], reverse=True)
            batches.extend(pool[i : i + self.batch_size] for i in range(0, len(pool), self.batch_size))

        if self.drop_last:
            batches = [b for b in batches if len(b) == self.batch_size]
        rng.shuffle(batches)
        if self.num_replicas > 1:
            batches = batches[: len(batches) - len(batches) % self.num_replicas]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        if self.before_pass is not None:
            self.before_pass(self)
        skip, self._skip = self._skip, 0
        yield from self._global_batches()[self.rank :: self.num_replicas][skip:]

    def __len__(self) -> int:
        return len(self._global_batches()) // self.num_replicas


class SortedBatchSampler(Sampler[list[int]]):
    """Evaluation batches of examples sorted by length, longest first, in a fixed order.

    With `num_replicas` > 1 each rank takes every num_replicas-th batch; no example is repeated, so
    metrics synchronised across ranks equal a one-process evaluation.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, num_replicas: int = 1, rank: int = 0) -> None:
        order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        self.batches = batches[rank::num_replicas]

    def __iter__(self) -> Iterator[list[int]]:
        yield from self.batches

    def __len__(self) -> int:
        return len(self.batches)

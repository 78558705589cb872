import random

from transferlab.data.batching import LengthGroupedBatchSampler, SortedBatchSampler


def _lengths(n=1000, seed=0):
    rng = random.Random(seed)
    return [rng.randint(3, 128) for _ in range(n)]


def test_grouped_sampler_yields_every_index_once():
    sampler = LengthGroupedBatchSampler(_lengths(), batch_size=16, seed=1)
    indices = [i for batch in sampler for i in batch]
    assert sorted(indices) == list(range(1000))
    assert len(list(sampler)) == len(sampler) == 63


def test_grouped_batches_have_similar_lengths():
    lengths = _lengths()
    batches = list(LengthGroupedBatchSampler(lengths, batch_size=16, seed=1))
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    random_batches = [list(range(i, min(i + 16, 1000))) for i in range(0, 1000, 16)]
    padded_random = sum(len(b) * max(lengths[i] for i in b) for b in random_batches)
    assert padded < 0.7 * padded_random


def test_grouped_order_depends_on_seed_and_epoch_only():
    lengths = _lengths()
    first = LengthGroupedBatchSampler(lengths, 16, seed=3)
    second = LengthGroupedBatchSampler(lengths, 16, seed=3)
    assert list(first) == list(second)
    second.set_epoch(1)
    assert list(first) != list(second)


def test_grouped_sampler_shards_across_replicas():
    lengths = _lengths(n=1003)
    shards = [list(LengthGroupedBatchSampler(lengths, 16, seed=0, num_replicas=2, rank=r)) for r in (0, 1)]
    assert len(shards[0]) == len(shards[1])
    seen = [i for shard in shards for batch in shard for i in batch]
    assert len(seen) == len(set(seen))


def test_sorted_sampler_orders_longest_first():
    lengths = [5, 50, 20, 7, 50, 1]
    batches = list(SortedBatchSampler(lengths, batch_size=2))
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(lengths, reverse=True)
    assert sorted(i for b in batches for i in b) == list(range(6))


def test_sorted_sampler_replicas_cover_all_once():
    lengths = _lengths(n=101)
    shards = [list(SortedBatchSampler(lengths, 8, num_replicas=2, rank=r)) for r in (0, 1)]
    seen = sorted(i for shard in shards for batch in shard for i in batch)
    assert seen == list(range(101))

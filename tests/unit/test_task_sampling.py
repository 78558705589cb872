"""Multi-task batching: task shares, single-task batches, and measured proportions over many batches."""

from collections import Counter

import pytest

from transferlab.data.multitask import MultiTaskBatchSampler
from transferlab.data.task_sampling import task_shares
from transferlab.errors import ConfigError

SIZES = {"large": 1200, "medium": 300, "small": 60}


def _lengths(sizes: dict[str, int]) -> dict[str, list[int]]:
    return {name: [5 + (i * 7) % 40 for i in range(size)] for name, size in sizes.items()}


def _task_ranges(sizes: dict[str, int]) -> dict[str, range]:
    ranges, start = {}, 0
    for name, size in sizes.items():
        ranges[name] = range(start, start + size)
        start += size
    return ranges


def _task_of(index: int, ranges: dict[str, range]) -> str:
    return next(name for name, indices in ranges.items() if index in indices)


def _measured_example_shares(sampler: MultiTaskBatchSampler, ranges: dict[str, range], epochs: int) -> dict[str, float]:
    examples = Counter()
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for batch in sampler:
            examples[_task_of(batch[0], ranges)] += len(batch)
    total = sum(examples.values())
    return {name: examples[name] / total for name in ranges}


def test_shares_by_size_are_proportional():
    shares = task_shares(SIZES, "size")
    assert shares["large"] == pytest.approx(1200 / 1560)
    assert shares["medium"] == pytest.approx(300 / 1560)
    assert shares["small"] == pytest.approx(60 / 1560)


def test_shares_by_temperature_follow_root():
    shares = task_shares(SIZES, "temperature", temperature=2.0)
    roots = {name: size**0.5 for name, size in SIZES.items()}
    for name in SIZES:
        assert shares[name] == pytest.approx(roots[name] / sum(roots.values()))
    assert task_shares(SIZES, "temperature", temperature=1.0) == pytest.approx(task_shares(SIZES, "size"))


def test_high_temperature_approaches_equal_shares():
    shares = task_shares(SIZES, "temperature", temperature=1000.0)
    for share in shares.values():
        assert share == pytest.approx(1 / 3, abs=0.01)


@pytest.mark.parametrize(
    ("sampling", "temperature", "key"),
    [("round_robin", 1.0, "data.sampling"), ("temperature", 0.0, "data.temperature"), ("temperature", "hot", "data.temperature")],
)
def test_shares_reject_bad_settings(sampling, temperature, key):
    with pytest.raises(ConfigError, match=key):
        task_shares(SIZES, sampling, temperature)


@pytest.mark.parametrize(("sampling", "temperature"), [("size", 1.0), ("temperature", 2.0), ("temperature", 5.0)])
def test_sampler_example_shares_match_expected(sampling, temperature):
    shares = task_shares(SIZES, sampling, temperature)
    sampler = MultiTaskBatchSampler(_lengths(SIZES), {name: 16 for name in SIZES}, shares, seed=3)

    measured = _measured_example_shares(sampler, _task_ranges(SIZES), epochs=20)

    for name in SIZES:
        assert measured[name] == pytest.approx(shares[name], abs=0.01), name


def test_sampler_shares_hold_with_different_batch_sizes():
    shares = task_shares(SIZES, "temperature", temperature=2.0)
    batch_sizes = {"large": 32, "medium": 8, "small": 4}
    sampler = MultiTaskBatchSampler(_lengths(SIZES), batch_sizes, shares, seed=5)
    ranges = _task_ranges(SIZES)

    measured = _measured_example_shares(sampler, ranges, epochs=20)

    for name in SIZES:
        assert measured[name] == pytest.approx(shares[name], abs=0.01), name
    for batch in sampler:
        assert len(batch) <= batch_sizes[_task_of(batch[0], ranges)]


def test_sampler_batches_hold_one_task():
    sampler = MultiTaskBatchSampler(_lengths(SIZES), {name: 16 for name in SIZES}, task_shares(SIZES), seed=1)
    ranges = _task_ranges(SIZES)
    tasks_seen = set()
    for batch in sampler:
        tasks = {_task_of(index, ranges) for index in batch}
        assert len(tasks) == 1, batch
        tasks_seen |= tasks
    assert tasks_seen == set(SIZES)


def test_sampler_interleaves_tasks():
    sampler = MultiTaskBatchSampler(_lengths(SIZES), {name: 16 for name in SIZES}, task_shares(SIZES), seed=1)
    ranges = _task_ranges(SIZES)
    order = [_task_of(batch[0], ranges) for batch in sampler]
    first_large_run = next(i for i, name in enumerate(order) if name != "large")
    assert first_large_run < len(order) // 2
    assert order.count("small") == 4


def test_size_sampling_covers_each_example_once():
    sizes = {"a": 160, "b": 48}
    sampler = MultiTaskBatchSampler(_lengths(sizes), {"a": 16, "b": 16}, task_shares(sizes), seed=2)
    indices = [index for batch in sampler for index in batch]
    assert sorted(indices) == list(range(208))


def test_sampler_gives_small_task_at_least_one_batch():
    sizes = {"huge": 10_000, "tiny": 3}
    sampler = MultiTaskBatchSampler(_lengths(sizes), {"huge": 16, "tiny": 16}, task_shares(sizes), seed=2)
    assert sampler.batches_per_task["tiny"] == 1


def test_sampler_order_depends_on_seed_and_epoch():
    def order(seed: int, epoch: int) -> list[list[int]]:
        sampler = MultiTaskBatchSampler(_lengths(SIZES), {name: 16 for name in SIZES}, task_shares(SIZES), seed=seed)
        sampler.set_epoch(epoch)
        return list(sampler)

    assert order(4, 0) == order(4, 0)
    assert order(4, 0) != order(4, 1)
    assert order(4, 0) != order(5, 0)


def test_sampler_ranks_split_batches():
    lengths = _lengths(SIZES)
    shares = task_shares(SIZES, "temperature", temperature=2.0)
    batch_sizes = {name: 16 for name in SIZES}
    single = list(MultiTaskBatchSampler(lengths, batch_sizes, shares, seed=9))
    ranks = [list(MultiTaskBatchSampler(lengths, batch_sizes, shares, seed=9, num_replicas=2, rank=r)) for r in (0, 1)]

    assert len(ranks[0]) == len(ranks[1]) == len(single) // 2
    assert ranks[0] + ranks[1] != []
    assert [batch for pair in zip(*ranks) for batch in pair] == single[: 2 * len(ranks[0])]

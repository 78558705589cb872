import numpy as np
import pytest

from transferlab.data.augmentation import (
    TokenAugmenter,
    mask_replacement,
    random_deletion,
    random_insertion,
    random_swap,
    strength_at,
)
from transferlab.data.examples import Example
from transferlab.errors import ConfigError

WORDS = ["the", "film", "is", "a", "quiet", "and", "moving", "portrait", "of", "grief"]
VOCABULARY = ["alpha", "beta", "gamma"]


@pytest.fixture(scope="module")
def tokenizer():
    from transferlab.models.backbone import load_tokenizer

    return load_tokenizer("minilm-l6")


def test_deletion_removes_words_drawn_below_probability():
    draws = np.random.default_rng(3).random(len(WORDS))
    expected = [w for w, d in zip(WORDS, draws) if d >= 0.4]
    words, tags = random_deletion(WORDS, None, 0.4, np.random.default_rng(3))
    assert words == expected
    assert tags is None
    assert 0 < len(words) < len(WORDS)


def test_deletion_keeps_one_word_at_probability_one():
    rng = np.random.default_rng(5)
    rng.random(len(WORDS))
    survivor = WORDS[int(rng.integers(len(WORDS)))]
    words, _ = random_deletion(WORDS, None, 1.0, np.random.default_rng(5))
    assert words == [survivor]


def test_swap_exchanges_drawn_words_with_drawn_partners():
    rng = np.random.default_rng(11)
    draws = rng.random(len(WORDS))
    expected = list(WORDS)
    for i in range(len(WORDS)):
        if draws[i] < 0.3:
            others = [p for p in range(len(WORDS)) if p != i]
            j = others[int(rng.integers(len(others)))]
            expected[i], expected[j] = expected[j], expected[i]
    words, _ = random_swap(WORDS, None, 0.3, np.random.default_rng(11))
    assert words == expected
    assert words != WORDS
    assert sorted(words) == sorted(WORDS)


def test_insertion_adds_vocabulary_words_at_drawn_gaps():
    rng = np.random.default_rng(2)
    draws = rng.random(len(WORDS))
    expected = list(WORDS)
    for _ in range(int((draws < 0.3).sum())):
        gap = int(rng.integers(len(expected) + 1))
        expected.insert(gap, VOCABULARY[int(rng.integers(len(VOCABULARY)))])
    words, _ = random_insertion(WORDS, None, 0.3, np.random.default_rng(2), VOCABULARY)
    assert words == expected
    assert len(words) > len(WORDS)
    assert [w for w in words if w not in VOCABULARY] == WORDS


def test_mask_replaces_words_drawn_below_probability():
    draws = np.random.default_rng(7).random(len(WORDS))
    expected = ["[MASK]" if d < 0.5 else w for w, d in zip(WORDS, draws)]
    words, _ = mask_replacement(WORDS, None, 0.5, np.random.default_rng(7), "[MASK]")
    assert words == expected
    assert "[MASK]" in words


@pytest.mark.parametrize("operation", ["delete", "swap", "insert", "mask"])
def test_zero_probability_leaves_words_unchanged(operation):
    functions = {
        "delete": lambda rng: random_deletion(WORDS, None, 0.0, rng),
        "swap": lambda rng: random_swap(WORDS, None, 0.0, rng),
        "insert": lambda rng: random_insertion(WORDS, None, 0.0, rng, VOCABULARY),
        "mask": lambda rng: mask_replacement(WORDS, None, 0.0, rng, "[MASK]"),
    }
    words, _ = functions[operation](np.random.default_rng(0))
    assert words == WORDS


def test_strength_schedules():
    assert strength_at(5, "constant", 0.7, 0.0, 3) == 0.7
    assert strength_at(0, "linear", 1.0, 0.0, 4) == 1.0
    assert strength_at(1, "linear", 1.0, 0.0, 4) == pytest.approx(0.75)
    assert strength_at(9, "linear", 1.0, 0.0, 4) == 0.0
    assert strength_at(2, "cosine", 0.0, 1.0, 4) == pytest.approx(0.5)
    assert strength_at(1, "cosine", 0.0, 1.0, 4) < 0.25


def test_schedule_scales_probabilities(tokenizer):
    augmenter = TokenAugmenter(tokenizer, delete=0.4, schedule="linear", strength_start=1.0, strength_end=0.0, schedule_epochs=2)
    assert augmenter.probability("delete", 0) == pytest.approx(0.4)
    assert augmenter.probability("delete", 1) == pytest.approx(0.2)
    words, _ = augmenter.augment(WORDS, None, np.random.default_rng(0), epoch=2)
    assert words == WORDS


def test_augmenter_same_key_same_output(tokenizer):
    augmenter = TokenAugmenter(tokenizer, delete=0.2, swap=0.2, insert=0.2, mask=0.2)
    first = augmenter.augment(WORDS, None, np.random.default_rng([42, 1, 7]), epoch=1)
    again = augmenter.augment(WORDS, None, np.random.default_rng([42, 1, 7]), epoch=1)
    next_epoch = augmenter.augment(WORDS, None, np.random.default_rng([42, 2, 7]), epoch=2)
    assert first == again
    assert first != next_epoch


def test_insertion_vocabulary_has_whole_words_only(tokenizer):
    augmenter = TokenAugmenter(tokenizer, insert=0.1)
    vocabulary = set(augmenter.vocabulary)
    assert "movie" in vocabulary
    assert not any(word.startswith("##") for word in vocabulary)
    assert "[MASK]" not in vocabulary
    assert "[CLS]" not in vocabulary
    sample = sorted(vocabulary)[:200]
    encoded = tokenizer(sample, add_special_tokens=False)["input_ids"]
    assert all(len(ids) == 1 for ids in encoded)


def test_split_words_follows_tokenizer_words(tokenizer):
    augmenter = TokenAugmenter(tokenizer)
    english, chinese = augmenter.split_words(["It's great, Mr. Smith!", "这部电影很好看"])
    assert english == ["It", "'", "s", "great", ",", "Mr", ".", "Smith", "!"]
    assert chinese == ["这", "部", "电", "影", "很", "好", "看"]


def test_augmented_text_keeps_tokenization_of_untouched_words(tokenizer):
    augmenter = TokenAugmenter(tokenizer)
    text = "It's great, Mr. Smith! 这部电影很好看"
    words = augmenter.split_words([text])[0]
    rebuilt = augmenter.augment_example(Example(text, "fresh", "t:1"), words, np.random.default_rng(0), 0)
    assert tokenizer(rebuilt.text)["input_ids"] == tokenizer(text)["input_ids"]


@pytest.mark.parametrize(
    ("key", "value"),
    [("delete", 1.5), ("swap", -0.1), ("mask", "high"), ("schedule", "step"), ("schedule_epochs", 0), ("strength_end", -1.0)],
)
def test_invalid_settings_raise_config_error(tokenizer, key, value):
    with pytest.raises(ConfigError, match=f"augment.{key}"):
        TokenAugmenter(tokenizer, **{key: value})

import numpy as np
import pytest

from transferlab.data.augmentation import TokenAugmenter, random_insertion, random_swap
from transferlab.data.examples import Example

TYPES = ("PER", "LOC", "ORG")
FILLER = ["yesterday", "in", "the", "city", "said", "that", "a", "new", "deal", "was", "made"]


def entities(words, tags):
    """Return (type, words) of every IOB2 entity, in order."""
    spans, current = [], None
    for word, tag in zip(words, tags):
        if tag.startswith("B-") or (tag.startswith("I-") and (current is None or current[0] != tag[2:])):
            current = (tag[2:], [word])
            spans.append(current)
        elif tag.startswith("I-"):
            current[1].append(word)
        else:
            current = None
    return [(kind, tuple(span)) for kind, span in spans]


def random_tweet(rng: np.random.Generator) -> Example:
    words, tags = [], []
    for _ in range(int(rng.integers(1, 8))):
        if rng.random() < 0.4:
            kind = TYPES[int(rng.integers(len(TYPES)))]
            length = int(rng.integers(1, 4))
            words += [f"{kind.lower()}{len(words) + k}" for k in range(length)]
            tags += [f"B-{kind}"] + [f"I-{kind}"] * (length - 1)
        else:
            words.append(FILLER[int(rng.integers(len(FILLER)))])
            tags.append("O")
    return Example(tuple(words), tuple(tags), "tweets.txt:1")


@pytest.fixture(scope="module")
def augmenter():
    from transferlab.models.backbone import load_tokenizer

    return TokenAugmenter(load_tokenizer("minilm-l6"), delete=0.5, swap=0.5, insert=0.5, mask=0.5)


def test_ner_augmentation_never_changes_an_entity(augmenter):
    changed = 0
    for seed in range(300):
        example = random_tweet(np.random.default_rng([9, seed]))
        augmented = augmenter.augment_example(example, None, np.random.default_rng([1, 0, seed]), epoch=0)
        assert len(augmented.text) == len(augmented.label)
        assert entities(augmented.text, augmented.label) == entities(example.text, example.label)
        changed += augmented != example
    assert changed > 250


def test_ner_augmentation_keeps_valid_iob2(augmenter):
    for seed in range(300):
        example = random_tweet(np.random.default_rng([4, seed]))
        augmented = augmenter.augment_example(example, None, np.random.default_rng([2, 0, seed]), epoch=0)
        for previous, tag in zip(("O",) + augmented.label, augmented.label):
            if tag.startswith("I-"):
                assert previous[2:] == tag[2:], (example, augmented)


def test_ner_insertion_never_splits_an_entity():
    words = ["New", "York", "City", "is", "big"]
    tags = ["B-LOC", "I-LOC", "I-LOC", "O", "O"]
    for seed in range(50):
        new_words, new_tags = random_insertion(words, tags, 1.0, np.random.default_rng(seed), ["alpha"])
        start = new_words.index("New")
        assert new_words[start : start + 3] == ["New", "York", "City"]
        assert new_tags[start : start + 3] == tags[:3]
        assert all(tag == "O" for word, tag in zip(new_words, new_tags) if word == "alpha")


def test_ner_swap_moves_outside_words_only():
    words = ["Ann", "met", "Bob", "in", "Paris", "today"]
    tags = ["B-PER", "O", "B-PER", "O", "B-LOC", "O"]
    for seed in range(50):
        new_words, new_tags = random_swap(words, tags, 1.0, np.random.default_rng(seed))
        assert new_tags == tags
        assert [w for w, t in zip(new_words, tags) if t != "O"] == ["Ann", "Bob", "Paris"]
        assert sorted(new_words) == sorted(words)

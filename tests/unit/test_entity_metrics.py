import pytest
import torch
from torchmetrics.utilities import dim_zero_cat

from transferlab.tasks.entity_metrics import EntityScore
from transferlab.tasks.token import TokenClassification

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
ID2LABEL = dict(enumerate(TAGS))
LABEL2ID = {tag: i for i, tag in ID2LABEL.items()}

# Gold entities: PER(0-1) and LOC(3) in the first sentence, ORG(0) in the second.
GOLD = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
# The first sentence's PER starts with I-PER, which only default mode reads as an entity start.
# The second sentence adds a false ORG(1).
PREDICTED = [["I-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "B-ORG"]]

# Hand-counted scores.
# default: predicted PER, LOC, ORG, ORG; 3 correct of 4 predicted and of 3 gold.
#   micro P = 3/4, R = 3/3, F1 = 2 * 0.75 / 1.75 = 6/7
#   per type F1: PER 1, LOC 1, ORG (P 1/2, R 1) 2/3; macro = (1 + 1 + 2/3) / 3 = 8/9
# strict IOB2: the I-PER I-PER chunk is no entity; predicted LOC, ORG, ORG; 2 correct.
#   micro P = 2/3, R = 2/3, F1 = 2/3
#   per type F1: PER 0, LOC 1, ORG 2/3; macro = (0 + 1 + 2/3) / 3 = 5/9
EXPECTED = {
    "default": {("precision", "micro"): 3 / 4, ("recall", "micro"): 1.0, ("f1", "micro"): 6 / 7, ("f1", "macro"): 8 / 9},
    "strict": {("precision", "micro"): 2 / 3, ("recall", "micro"): 2 / 3, ("f1", "micro"): 2 / 3, ("f1", "macro"): 5 / 9},
}


def batch_of(sentences_gold, sentences_predicted, example_ids, first_words):
    """One padded batch with a [CLS]-like position 0, one token per word and -1/-100 padding."""
    longest = max(len(s) for s in sentences_gold) + 1
    labels = torch.full((len(sentences_gold), longest), -100)
    word_index = torch.full((len(sentences_gold), longest), -1)
    logits = torch.zeros(len(sentences_gold), longest, len(TAGS))
    for row, (gold, predicted) in enumerate(zip(sentences_gold, sentences_predicted)):
        for offset, (gold_tag, predicted_tag) in enumerate(zip(gold, predicted)):
            labels[row, offset + 1] = LABEL2ID[gold_tag]
            word_index[row, offset + 1] = first_words[row] + offset
            logits[row, offset + 1, LABEL2ID[predicted_tag]] = 1.0
    return logits, labels, word_index, torch.tensor(example_ids)


@pytest.mark.parametrize("mode", ["default", "strict"])
@pytest.mark.parametrize("score, average", [("precision", "micro"), ("recall", "micro"), ("f1", "micro"), ("f1", "macro")])
def test_scores_match_hand_counts(mode, score, average):
    metric = EntityScore(ID2LABEL, score=score, average=average, mode=mode, scheme="IOB2")
    metric.update(*batch_of(GOLD, PREDICTED, [0, 1], [0, 0]))
    assert metric.compute().item() == pytest.approx(EXPECTED[mode][(score, average)])


def test_windows_joined_before_scoring():
    # The first sentence arrives as two windows in separate batches, second window first.
    metric = EntityScore(ID2LABEL, score="f1", mode="strict", scheme="IOB2")
    metric.update(*batch_of([GOLD[0][2:], GOLD[1]], [PREDICTED[0][2:], PREDICTED[1]], [0, 1], [2, 0]))
    metric.update(*batch_of([GOLD[0][:2]], [PREDICTED[0][:2]], [0], [0]))
    assert metric.compute().item() == pytest.approx(2 / 3)


def test_states_concatenate_across_processes():
    metric = EntityScore(ID2LABEL)
    for state in ("example_ids", "word_ids", "predictions", "targets"):
        assert metric._reductions[state] is dim_zero_cat
        assert getattr(metric, state) == []


def test_no_entities_scores_zero():
    metric = EntityScore(ID2LABEL)
    metric.update(*batch_of([["O", "O"]], [["O", "O"]], [0], [0]))
    assert metric.compute().item() == 0.0


def test_all_o_baseline_scores_zero():
    metric = EntityScore(ID2LABEL)
    metric.update(*batch_of(GOLD, [["O"] * len(s) for s in GOLD], [0, 1], [0, 0]))
    assert metric.compute().item() == 0.0


def test_collection_names_and_mode_metadata():
    task = TokenClassification(eval_mode="strict", eval_scheme="iob2")
    metrics = task.build_metrics(len(TAGS), ID2LABEL)
    assert sorted(metrics.keys()) == ["f1", "f1_macro", "precision", "precision_macro", "recall", "recall_macro"]
    assert task.metrics_metadata()["seqeval"]["mode"] == "strict"
    assert task.metrics_metadata()["seqeval"]["scheme"] == "IOB2"
    assert TokenClassification().metrics_metadata()["seqeval"]["scheme"] is None


def test_report_in_seqeval_layout():
    task = TokenClassification()
    predictions = [(0, [0, 1, 2, 3], [LABEL2ID[t] for t in PREDICTED[0]]), (1, [0, 1], [LABEL2ID[t] for t in PREDICTED[1]])]
    references = [[LABEL2ID[t] for t in GOLD[0]], [LABEL2ID[t] for t in GOLD[1]]]
    report = task.report(predictions, references, ID2LABEL)
    lines = report.splitlines()
    assert "seqeval mode: default" in lines[0]
    assert lines[2].split() == ["precision", "recall", "f1-score", "support"]
    assert lines[4].split() == ["LOC", "1.0000", "1.0000", "1.0000", "1"]
    assert lines[5].split() == ["ORG", "0.5000", "1.0000", "0.6667", "1"]
    assert "micro avg" in report

import numpy as np

from transferlab.reporting.plots import (
    confusion_counts,
    entity_scores_by_type,
    plot_confusion_matrix,
    plot_entity_f1,
    write_report_plots,
)
from transferlab.tasks.sequence import SequenceClassification

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_confusion_counts_rows_are_true_labels():
    counts = confusion_counts([0, 1, 1, 2, 0], [0, 0, 1, 2, -100], 3)
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]


def test_confusion_matrix_png(tmp_path):
    path = plot_confusion_matrix(np.array([[3, 1], [0, 4]]), ["负面", "positive"], tmp_path / "cm.png")
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_entity_scores_by_type():
    true_tags = [["B-PER", "I-PER", "O", "B-LOC"], ["B-LOC", "O"]]
    predicted_tags = [["B-PER", "I-PER", "O", "O"], ["B-LOC", "O"]]
    scores = entity_scores_by_type(true_tags, predicted_tags)
    assert scores["PER"]["f1-score"] == 1.0
    assert scores["LOC"]["recall"] == 0.5
    assert scores["LOC"]["support"] == 2
    assert entity_scores_by_type([["O"]], [["O"]]) == {}


def test_entity_f1_png(tmp_path):
    per_type = {"person": {"f1-score": 0.6, "support": 12}, "地点": {"f1-score": 0.0, "support": 3}}
    path = plot_entity_f1(per_type, tmp_path / "f1.png")
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_report_plot_for_sequence_task(tmp_path):
    (matrix,) = write_report_plots(SequenceClassification(), [0, 1], [1, 1], {0: "a", 1: "b"}, tmp_path, "test")
    assert matrix.name == "confusion_matrix.png"
    assert matrix.read_bytes()[:8] == PNG_SIGNATURE

import numpy as np

from transferlab.reporting.plots import (
    confusion_counts,
    entity_scores_by_type,
    plot_confusion_matrix,
    write_report_plots,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_confusion_counts_rows_are_true_labels():
    counts = confusion_counts([0, 1, 1, 2, 0], [0, 0, 1, 2, -100], 3)
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]


def test_confusion_matrix_png(tmp_path):
    path = plot_confusion_matrix(np.array([[3, 1], [0, 4]]), ["负面", "positive"], tmp_path / "cm.png")
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_entity_scores_skip_ignored_positions():
    id2label = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC"}
    predictions = [[1, 2, 0, 0], [3, 0]]
    references = [[1, 2, 0, 3], [3, -100]]
    scores = entity_scores_by_type(predictions, references, id2label)
    assert scores["PER"]["f1-score"] == 1.0
    assert scores["LOC"]["recall"] == 0.5
    assert scores["LOC"]["support"] == 2


def test_report_plots_per_task(tmp_path):
    id2label = {0: "O", 1: "B-PER", 2: "I-PER"}
    (ner_plot,) = write_report_plots("token_classification", [[1, 2, 0]], [[1, 2, 0]], id2label, tmp_path, "test")
    assert ner_plot.name == "entity_f1.png"
    assert ner_plot.read_bytes()[:8] == PNG_SIGNATURE
    (matrix,) = write_report_plots("sequence_classification", [0, 1], [1, 1], {0: "a", 1: "b"}, tmp_path, "test")
    assert matrix.name == "confusion_matrix.png"
    assert write_report_plots("token_classification", [[0]], [[0]], id2label, tmp_path / "none", "t") == []

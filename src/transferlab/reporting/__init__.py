"""Files a run leaves behind: metrics, reports and the exported model."""

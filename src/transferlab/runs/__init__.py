"""One training run: its directory, loggers, and the fit/test pipeline."""

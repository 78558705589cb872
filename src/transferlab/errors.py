"""Exceptions that the entry points turn into one clear message instead of a traceback."""


class TransferlabError(Exception):
    """A problem the user can fix: bad input data, a wrong config value, a missing file."""


class ConfigError(TransferlabError):
    """An invalid or missing configuration value."""


class DataError(TransferlabError):
    """Input data that cannot be read or does not match the config."""


class NumericalError(TransferlabError):
    """A loss that became NaN or infinite during training."""


class RunInterrupted(Exception):
    """The process received SIGTERM; the run is recorded as interrupted."""

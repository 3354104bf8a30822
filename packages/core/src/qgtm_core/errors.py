"""The one exception tree every QGTM package derives from.

Catching ``QgtmError`` at the CLI boundary lets the app print a one-line message naming what was
wrong (file, row, key) without a traceback, while programming errors still surface loudly::

    QgtmError
    ├── ConfigError          invalid TOML, unknown key or instrument, bad value
    ├── DataError            missing file, malformed row, failed validation
    │   └── LookAheadError   an observation whose available_at is after the clock
    ├── PipelineError        a step broke its contract (wrong shape, unknown instrument)
    ├── OrderError           an illegal order transition or a refused order
    ├── BrokerError          the broker could not be reached or answered badly
    ├── IntegrityError       a hash, signature or audit chain does not verify
    └── KillSwitchError    trading is halted until an explicit reset
"""

from __future__ import annotations

__all__ = [
    "BrokerError",
    "ConfigError",
    "DataError",
    "IntegrityError",
    "KillSwitchError",
    "LookAheadError",
    "OrderError",
    "PipelineError",
    "QgtmError",
]


class QgtmError(Exception):
    """Base of every error QGTM raises on purpose; its message is meant for a human."""


class ConfigError(QgtmError):
    """Configuration could not be loaded or is inconsistent; the message names the key or file."""


class DataError(QgtmError):
    """Input data is missing or malformed; the message names the source, row and field."""


class LookAheadError(DataError):
    """A step was about to see an observation that was not yet available at the clock time."""


class PipelineError(QgtmError):
    """A pipeline step produced output that breaks the contract between steps."""


class OrderError(QgtmError):
    """An order could not be created or moved to the requested state."""


class BrokerError(QgtmError):
    """The broker refused a request or could not be reached."""


class IntegrityError(QgtmError):
    """A digest, signature or chain link does not match what was recorded."""


class KillSwitchError(QgtmError):
    """Raised when something tries to trade while the kill switch is tripped."""

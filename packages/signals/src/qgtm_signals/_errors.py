"""Errors of the signals package, all ``QgtmError`` so the CLI prints them as one line::

QgtmError
└── SignalsError        bad subscriber or tier configuration, unknown subscriber
    └── DeliveryError   a channel gave up on a message (attempts and reason attached)
"""

from __future__ import annotations

from qgtm_core import QgtmError

__all__ = ["DeliveryError", "SignalsError"]


class SignalsError(QgtmError):
    """A subscriber, tier or delivery-log problem; the message names the subscriber or field."""


class DeliveryError(SignalsError):
    """A channel could not deliver a message; ``attempts`` says how hard it tried."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts

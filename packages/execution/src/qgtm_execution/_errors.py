"""Errors of the execution package.

QgtmError
 +-- OrderError
 |    +-- IllegalTransitionError     an order update the state machine refuses
 +-- BrokerError
      +-- SubmitOutcomeUnknownError  a submit timed out or the link dropped: look the order up first
      +-- BrokerDisconnectedError    the link to the broker is down (reconnect, then reconcile)
      +-- ReconciliationError        our books and the broker's disagree beyond tolerance: stop trading
"""

from __future__ import annotations

from qgtm_core import BrokerError, OrderError

__all__ = [
    "BrokerDisconnectedError",
    "IllegalTransitionError",
    "ReconciliationError",
    "SubmitOutcomeUnknownError",
]


class IllegalTransitionError(OrderError):
    """An order update that the order state machine does not allow."""


class SubmitOutcomeUnknownError(BrokerError):
    """The broker may or may not have the order; the OMS must look it up before any retry."""


class BrokerDisconnectedError(BrokerError):
    """The broker connection is down."""


class ReconciliationError(BrokerError):
    """Positions disagree with the broker beyond tolerance; trading stops with this alarm."""

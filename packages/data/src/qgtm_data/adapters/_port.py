"""The one port every file or network adapter implements."""

from __future__ import annotations

from typing import Protocol

from qgtm_data._batch import FeedBatch

__all__ = ["Adapter"]


class Adapter(Protocol):
    """Reads one source and returns parsed, stamped, not-yet-validated batches."""

    def load(self) -> list[FeedBatch]: ...

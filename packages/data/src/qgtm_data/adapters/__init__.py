"""Source adapters: one folder per source, each with the same files.

``parsing.py`` (raw layout -> typed frame, rows it cannot parse), ``publication.py`` (the rule that
sets ``as_of``/``available_at``), ``provider.py`` (I/O: a file or a network client, exposing
``load() -> list[FeedBatch]``), ``__init__.py`` (the public names).
"""

from qgtm_data.adapters._bundled import RESEARCH_SYMBOLS, bundled_adapters
from qgtm_data.adapters._port import Adapter

__all__ = ["RESEARCH_SYMBOLS", "Adapter", "bundled_adapters"]

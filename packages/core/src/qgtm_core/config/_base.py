"""Base for every configuration section: frozen, unknown keys forbidden."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Section"]


class Section(BaseModel):
    """A configuration section. Unknown keys are errors, so a typo never silently does nothing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

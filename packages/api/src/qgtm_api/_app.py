"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

__all__ = ["Health", "create_app"]


class Health(BaseModel):
    """Liveness answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: str
    version: str


def create_app(version: str = "0.1.0") -> FastAPI:
    """Build the API; state is injected by the app, never global."""
    app = FastAPI(title="QGTM API", version=version)

    @app.get("/health")
    def health() -> Health:
        return Health(status="ok", version=version)

    return app

"""``qgtm api``: serve the REST/WebSocket API over a run directory, manage API keys, print the schema."""

from __future__ import annotations

import json
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from qgtm_api import ApiKeyStore, Scope, create_app
from qgtm_app.api_wiring import build_api_services
from qgtm_app.paths import RunPaths, latest_run
from qgtm_core import ConfigError, QgtmSettings, load_settings

__all__ = ["api_app"]

api_app = typer.Typer(help="Serve the API and manage its keys.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys (stored hashed).", no_args_is_help=True)
api_app.add_typer(keys_app, name="keys")

ConfigOption = Annotated[Path | None, typer.Option(help="TOML configuration file")]


def _version() -> str:
    return package_version("qgtm")


def _keys(settings: QgtmSettings) -> ApiKeyStore:
    return ApiKeyStore(settings.api.keys_path or settings.run.var_dir / "api-keys.sqlite")


def _run(settings: QgtmSettings, run: Path | None) -> RunPaths:
    if run is None:
        return latest_run(settings.run.var_dir)
    if not (run / "state.sqlite").is_file():
        msg = f"{run}: not a run directory (no state.sqlite); pass a directory under var/runs/"
        raise ConfigError(msg)
    return RunPaths(run)


@api_app.command("serve")
def serve(
    config: ConfigOption = None,
    run: Annotated[Path | None, typer.Option(help="run directory (default: the latest run)")] = None,
    host: Annotated[str | None, typer.Option(help="override api.host")] = None,
    port: Annotated[int | None, typer.Option(help="override api.port")] = None,
) -> None:
    """Serve the API over a run directory until interrupted."""
    settings = load_settings(config)
    services, model = build_api_services(settings, _run(settings, run))
    app = create_app(_version(), services)
    try:
        uvicorn.run(
            app,
            host=host or settings.api.host,
            port=port or settings.api.port,
            log_level="info",
            ws="websockets-sansio",
            ws_per_message_deflate=False,  # small JSON events: deflate costs more CPU than it saves
        )
    finally:
        model.close()


@api_app.command("openapi")
def openapi(out: Annotated[Path | None, typer.Option(help="write here instead of stdout")] = None) -> None:
    """Print the OpenAPI schema (JSON)."""
    text = json.dumps(create_app(_version()).openapi(), indent=2, sort_keys=True)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="who or what uses the key")],
    scope: Annotated[str, typer.Option(help="read, trade or admin")] = "read",
    rate: Annotated[int | None, typer.Option(help="requests per minute (default api.rate_limit_per_minute)")] = None,
    config: ConfigOption = None,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    settings = load_settings(config)
    store = _keys(settings)
    key, token = store.create(name, Scope.parse(scope), rate or settings.api.rate_limit_per_minute)
    store.close()
    Console(stderr=True).print(f"key {key.key_id} ({key.scope.name.lower()}) created; it is shown only once:")
    typer.echo(token)


@keys_app.command("list")
def list_keys(config: ConfigOption = None) -> None:
    """List keys (ids, scopes, limits; never secrets)."""
    store = _keys(load_settings(config))
    table = Table("key id", "name", "scope", "per minute", "revoked")
    for key in store.list():
        table.add_row(key.key_id, key.name, key.scope.name.lower(), str(key.rate_per_minute), str(key.revoked))
    store.close()
    Console().print(table)


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="the key id")], config: ConfigOption = None) -> None:
    """Revoke a key by id."""
    store = _keys(load_settings(config))
    found = store.revoke(key_id)
    store.close()
    if not found:
        msg = f"api key {key_id!r}: no such key"
        raise ConfigError(msg)
    typer.echo(f"revoked {key_id}")

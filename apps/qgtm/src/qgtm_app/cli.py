"""The ``qgtm`` command. Errors QGTM raises on purpose become one line on stderr and exit 2."""

from __future__ import annotations

import sys

import typer

from qgtm_app.commands.api import api_app
from qgtm_app.commands.audit import audit_app
from qgtm_app.commands.backtest import backtest, walkforward
from qgtm_app.commands.data import data_app
from qgtm_app.commands.release import release_app
from qgtm_app.commands.run import run
from qgtm_app.commands.strategies import strategies_app
from qgtm_core import QgtmError

__all__ = ["app", "main"]

app = typer.Typer(
    name="qgtm",
    help="QGTM: systematic gold and silver trading.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("run")(run)
app.command("backtest")(backtest)
app.command("walkforward")(walkforward)
app.add_typer(audit_app, name="audit")
app.add_typer(api_app, name="api")
app.add_typer(data_app, name="data")
app.add_typer(strategies_app, name="strategies")
app.add_typer(release_app, name="release")


def main() -> None:
    """Entry point: run the CLI, turning ``QgtmError`` into a one-line message."""
    try:
        code = app(standalone_mode=False)
    except QgtmError as exc:
        print(f"qgtm: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    # Without standalone mode, click returns the exit code of ``typer.Exit`` instead of raising it.
    sys.exit(code if isinstance(code, int) else 0)

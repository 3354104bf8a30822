"""The ``qgtm`` command. Errors QGTM raises on purpose become one line on stderr and exit 2."""

from __future__ import annotations

import sys

import typer

from qgtm_app.commands.audit import audit_app
from qgtm_app.commands.run import run
from qgtm_core import QgtmError

__all__ = ["app", "main"]

app = typer.Typer(
    name="qgtm",
    help="QGTM: systematic gold and silver trading.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("run")(run)
app.add_typer(audit_app, name="audit")


def main() -> None:
    """Entry point: run the CLI, turning ``QgtmError`` into a one-line message."""
    try:
        app(standalone_mode=False)
    except QgtmError as exc:
        print(f"qgtm: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)

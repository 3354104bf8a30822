"""``qgtm audit``: verify a run's audit log, print proofs anyone can check, trace one cycle.

A run keeps either the verifiable Merkle log (``<run>/audit/``, see ``qgtm_audit.MerkleAuditLog``)
or, for runs recorded before it, the plain hash chain (``<run>/audit.sqlite``). ``verify`` and
``trace`` work on both; proofs need the Merkle log. Proofs are printed as JSON for
``python -m qgtm_audit.verifier`` (or a copy of that one file) to check with only the public key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from qgtm_app.paths import latest_run
from qgtm_audit import (
    MerkleAuditLog,
    SqliteHashChainLog,
    VerifyResult,
    is_merkle_log,
    load_public_key_file,
    verify_directory,
)
from qgtm_core import AuditRecord, ConfigError, JsonValue

__all__ = ["audit_app"]

audit_app = typer.Typer(help="Verify and inspect the audit log.", no_args_is_help=True)

MERKLE_DIR = "audit"
PUBLIC_KEY = "audit-signing.key.pub"

PathOption = Annotated[
    Path | None, typer.Option("--path", help="audit log: Merkle log directory or hash-chain file (default: latest run)")
]
VarOption = Annotated[Path, typer.Option(help="where runs live")]


def _log_path(path: Path | None, var_dir: Path) -> Path:
    """The audit log to open: ``--path``, else the latest run's Merkle log, else its hash chain."""
    if path is not None:
        chosen = path
    else:
        run = latest_run(var_dir)
        chosen = run.root / MERKLE_DIR if is_merkle_log(run.root / MERKLE_DIR) else run.audit_db
    if not (chosen.is_file() or is_merkle_log(chosen)):
        msg = f"{chosen}: audit log not found"
        raise ConfigError(msg)
    return chosen


def _merkle(path: Path) -> MerkleAuditLog:
    if not is_merkle_log(path):
        msg = f"{path}: a plain hash-chain log has no Merkle proofs; proofs need a run recorded with the Merkle log"
        raise ConfigError(msg)
    return MerkleAuditLog(path, read_only=True)


def _verify(path: Path, public_key: Path | None, var_dir: Path, console: Console) -> VerifyResult:
    if not is_merkle_log(path):
        chain = SqliteHashChainLog(path)
        try:
            return chain.verify()
        finally:
            chain.close()
    key_file = public_key if public_key is not None else var_dir / PUBLIC_KEY
    if key_file.is_file():
        key = load_public_key_file(key_file)
    else:
        if public_key is not None:
            msg = f"{public_key}: public key not found"
            raise ConfigError(msg)
        console.print(
            f"[yellow]note:[/] no {key_file}; checking signatures with the key stored in the log itself "
            "(pass --public-key for an independent check)"
        )
        log = MerkleAuditLog(path, read_only=True)
        key = log.public_key
        log.close()
    return verify_directory(path, key)


@audit_app.command("verify")
def verify(
    path: PathOption = None,
    var_dir: VarOption = Path("var"),
    public_key: Annotated[
        Path | None, typer.Option(help="Ed25519 public key (PEM or hex); default <var-dir>/audit-signing.key.pub")
    ] = None,
) -> None:
    """Re-verify every record against the latest signed tree head; exit 1 naming the first bad record."""
    console = Console(soft_wrap=True)  # one line per verdict, so scripts can grep it
    chosen = _log_path(path, var_dir)
    result = _verify(chosen, public_key, var_dir, console)
    if result.ok:
        signed = (
            f", signed tree head of size {result.signed_size}, root {result.root_hash}"
            if result.signed_size is not None
            else ""
        )
        console.print(f"audit log ok: {result.records} records, head {result.head_hash}{signed}")
        return
    console.print(f"audit log FAILED: {result.problem} (first bad record: {result.first_bad_seq})")
    raise typer.Exit(1)


def _emit(document: dict[str, JsonValue]) -> None:
    typer.echo(json.dumps(document, indent=2, sort_keys=True))


@audit_app.command("prove")
def prove(
    seq: Annotated[int, typer.Argument(help="sequence number of the record (1-based)")],
    tree_size: Annotated[
        int | None, typer.Option(help="prove against the signed head of this size (default: the latest)")
    ] = None,
    path: PathOption = None,
    var_dir: VarOption = Path("var"),
) -> None:
    """Print an inclusion proof of record SEQ, with the record and the signed tree head, as JSON."""
    log = _merkle(_log_path(path, var_dir))
    try:
        _emit(log.inclusion_document(seq, tree_size))
    finally:
        log.close()


@audit_app.command("consistency")
def consistency(
    first: Annotated[int, typer.Argument(help="size of the older signed tree head")],
    second: Annotated[int, typer.Argument(help="size of the newer signed tree head")],
    path: PathOption = None,
    var_dir: VarOption = Path("var"),
) -> None:
    """Print a proof that the signed tree of size FIRST is a prefix of the one of size SECOND, as JSON."""
    log = _merkle(_log_path(path, var_dir))
    try:
        _emit(log.consistency_document(first, second))
    finally:
        log.close()


def _trace_records(path: Path, correlation_id: str) -> list[AuditRecord]:
    if is_merkle_log(path):
        log = MerkleAuditLog(path, read_only=True)
        try:
            return list(log.records(correlation_id))
        finally:
            log.close()
    chain = SqliteHashChainLog(path)
    try:
        return list(chain.records(correlation_id))
    finally:
        chain.close()


@audit_app.command("trace")
def trace(
    correlation_id: Annotated[str, typer.Argument(help="correlation id of the cycle, e.g. sig-20240102-210000-1a2b")],
    path: PathOption = None,
    var_dir: VarOption = Path("var"),
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per record instead of a table")] = False,
) -> None:
    """Every step of one cycle, from data to fill, in order."""
    records = _trace_records(_log_path(path, var_dir), correlation_id)
    if not records:
        msg = f"correlation id {correlation_id!r}: no audit records"
        raise ConfigError(msg)
    if as_json:
        for record in records:
            entry = record.entry
            line: dict[str, JsonValue] = {
                "seq": record.seq,
                "at": entry.at.isoformat(),
                "step": entry.step,
                "actor": entry.actor,
                "input_digest": entry.input_digest,
                "output_digest": entry.output_digest,
                "summary": entry.summary,
                "record_hash": record.record_hash,
            }
            typer.echo(json.dumps(line, sort_keys=True))
        return
    table = Table(title=f"cycle {correlation_id}")
    for column in ("seq", "time", "step", "actor", "output", "summary"):
        table.add_column(column)
    for record in records:
        entry = record.entry
        summary = json.dumps(entry.summary, sort_keys=True)
        table.add_row(
            str(record.seq), entry.at.isoformat(), entry.step, entry.actor, entry.output_digest[:12], summary[:60]
        )
    Console().print(table)

"""``qgtm release``: sign and verify release artifacts (wheels, SBOM) in the minisign format.

The secret key is generated on first use under ``--key-dir`` (mode 0600, never committed); the
public key beside it is what users pass to ``minisign -V`` or to ``qgtm release verify``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from qgtm_core import IntegrityError
from qgtm_core.signing import MinisignKeyPair, MinisignPublicKey, sign_file, verify_file

__all__ = ["release_app"]

release_app = typer.Typer(help="Sign and verify release artifacts.", no_args_is_help=True)

_PATTERNS = ("*.whl", "*.tar.gz", "*.cdx.json")


def _artifacts(directory: Path) -> list[Path]:
    found = sorted({p for pattern in _PATTERNS for p in directory.glob(pattern)})
    if not found:
        msg = f"{directory}: no release artifacts (wheels, sdists, SBOM) to sign or verify"
        raise IntegrityError(msg)
    return found


def _load_or_create(key_dir: Path) -> MinisignKeyPair:
    secret, public = key_dir / "release.key", key_dir / "release.pub"
    if secret.is_file():
        return MinisignKeyPair.load(secret)
    pair = MinisignKeyPair.generate()
    pair.save(secret, public)
    return pair


@release_app.command("sign")
def sign(
    directory: Annotated[Path, typer.Option("--dir", help="directory of artifacts")] = Path("dist"),
    key_dir: Annotated[Path, typer.Option(help="where release.key / release.pub live")] = Path("var/keys"),
) -> None:
    """Write ``<artifact>.minisig`` for every artifact."""
    pair = _load_or_create(key_dir)
    console = Console()
    for artifact in _artifacts(directory):
        sign_file(pair, artifact)
        console.print(f"signed {artifact.name}")


@release_app.command("verify")
def verify(
    directory: Annotated[Path, typer.Option("--dir", help="directory of artifacts")] = Path("dist"),
    public_key: Annotated[Path, typer.Option(help="minisign public key file")] = Path("var/keys/release.pub"),
) -> None:
    """Verify every artifact's signature; the first failure is an error naming the file."""
    if not public_key.is_file():
        msg = f"{public_key}: public key not found"
        raise IntegrityError(msg)
    public = MinisignPublicKey.parse(public_key.read_text(encoding="utf-8"))
    artifacts = _artifacts(directory)
    for artifact in artifacts:
        verify_file(public, artifact)
    Console().print(f"verified {len(artifacts)} signatures in-process")

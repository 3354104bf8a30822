"""Run manifests: everything needed to reproduce a research run and to prove it was reproduced.

A manifest names the inputs by content (SHA-256 of each data file), the configuration by its
canonical digest, the code by a digest of the source of the packages that ran, the seed, and the
outputs by their digest. Re-running a manifest first checks that the inputs still hash the same
(an ``IntegrityError`` names the file that changed), then must reproduce the output digest.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from qgtm_core import DataError, IntegrityError, JsonValue, canonical_bytes, digest, to_jsonable

__all__ = ["RunManifest", "code_version", "hash_files", "read_manifest", "sha256_file", "verify_inputs"]

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                h.update(chunk)
    except FileNotFoundError:
        msg = f"{path}: input file not found"
        raise DataError(msg) from None
    return h.hexdigest()


def hash_files(root: Path, relative: Iterable[str]) -> dict[str, str]:
    """``relative path -> sha256`` for files under ``root``, sorted by path."""
    return {name: sha256_file(root / name) for name in sorted(set(relative))}


def code_version(modules: Iterable[str], distribution: str | None = None) -> str:
    """``<version of distribution>+src.<digest of every .py file of the modules>``.

    The source digest, not a git commit, identifies the code: it is right for a dirty working tree
    and for an installed wheel alike.
    """
    h = hashlib.sha256()
    names = sorted(set(modules))
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            msg = f"code_version: {name!r} is not an importable package"
            raise DataError(msg)
        root = Path(next(iter(spec.submodule_search_locations)))
        for path in sorted(root.rglob("*.py")):
            h.update(f"{name}/{path.relative_to(root).as_posix()}\n".encode())
            h.update(path.read_bytes())
    try:
        dist = distribution or (names[0].replace("_", "-") if names else "")
        version = importlib.metadata.version(dist) if dist else "0"
    except importlib.metadata.PackageNotFoundError:
        version = "0"
    return f"{version}+src.{h.hexdigest()[:16]}"


@dataclass(frozen=True)
class RunManifest:
    """Inputs, configuration, code and outputs of one run, by digest."""

    kind: str
    config: Mapping[str, JsonValue]
    data: Mapping[str, str]
    code_version: str
    seed: int
    output_digest: str
    outputs: Mapping[str, str] = field(default_factory=dict)

    @property
    def config_hash(self) -> str:
        """Canonical digest of the configuration."""
        return digest(self.config)

    def to_json(self) -> bytes:
        """Canonical JSON (stable bytes: the manifest itself is reproducible)."""
        body = to_jsonable(self)
        assert isinstance(body, dict)  # a dataclass is always a mapping
        body["config_hash"] = self.config_hash
        return canonical_bytes(body)

    def write(self, path: Path) -> Path:
        """Write to ``path``."""
        path.write_bytes(self.to_json())
        return path


def read_manifest(path: Path) -> RunManifest:
    """Load and check a manifest; a missing key or a tampered config hash names the problem."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"{path}: manifest not found"
        raise DataError(msg) from None
    except json.JSONDecodeError as exc:
        msg = f"{path}: manifest is not JSON: {exc}"
        raise DataError(msg) from None
    required = ("kind", "config", "data", "code_version", "seed", "output_digest", "outputs", "config_hash")
    if not isinstance(raw, dict):
        msg = f"{path}: manifest must be a JSON object"
        raise DataError(msg)
    missing = [k for k in required if k not in raw]
    if missing:
        msg = f"{path}: manifest is missing {', '.join(missing)}"
        raise DataError(msg)
    manifest = RunManifest(
        kind=str(raw["kind"]),
        config=raw["config"],
        data={str(k): str(v) for k, v in raw["data"].items()},
        code_version=str(raw["code_version"]),
        seed=int(raw["seed"]),
        output_digest=str(raw["output_digest"]),
        outputs={str(k): str(v) for k, v in raw["outputs"].items()},
    )
    if manifest.config_hash != raw["config_hash"]:
        msg = f"{path}: config_hash {raw['config_hash']} does not match the recorded config ({manifest.config_hash})"
        raise IntegrityError(msg)
    return manifest


def verify_inputs(manifest: RunManifest, root: Path) -> None:
    """Raise ``IntegrityError`` naming the first data file whose content changed."""
    for name, expected in sorted(manifest.data.items()):
        actual = sha256_file(root / name)
        if actual != expected:
            msg = f"{root / name}: sha256 {actual} differs from the manifest's {expected}"
            raise IntegrityError(msg)

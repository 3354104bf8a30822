"""Model artifacts and their model cards, with a digest verified on every load.

An artifact is two files: the payload (LightGBM's own text format, or JSON for the HMM; never
pickle, which executes code on load) and ``<name>.card.json``, the model card, which records the
payload's digest (``qgtm_core.canonical.digest``) next to the training-data hashes, parameters,
fold metrics and feature importances. Loading recomputes the digest and refuses a mismatch. An
attacker who can rewrite both files can also fix the digest, so the broker tier passes a minisign
public key as well: the card is then signed (``<name>.card.json.minisig``) and checked first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from qgtm_core import DataError, IntegrityError, JsonValue, canonical_bytes, digest, to_jsonable
from qgtm_core.signing import MinisignKeyPair, MinisignPublicKey, sign_file, verify_file

__all__ = ["ModelCard", "load_artifact", "payload_digest", "save_artifact"]

_CARD_VERSION = 1


def payload_digest(kind: str, payload: str) -> str:
    """Digest of an artifact payload, bound to its kind so a HMM file cannot pass as a booster."""
    return digest({"kind": kind, "payload": payload})


@dataclass(frozen=True)
class ModelCard:
    """What a model is, what it was trained on and how well it did, in one signed JSON file."""

    name: str
    kind: str
    created_at: datetime
    training_data: Mapping[str, JsonValue]
    params: Mapping[str, JsonValue]
    fold_metrics: tuple[Mapping[str, JsonValue], ...] = ()
    feature_importances: Mapping[str, float] = field(default_factory=dict)
    metrics: Mapping[str, JsonValue] = field(default_factory=dict)
    artifact_digest: str = ""

    def to_bytes(self) -> bytes:
        """Canonical JSON of the card (stable bytes, so a signature over it is reproducible)."""
        fields = to_jsonable(self)
        assert isinstance(fields, dict)  # a dataclass always maps to a JSON object
        return canonical_bytes({"card_version": _CARD_VERSION, **fields})

    @classmethod
    def from_bytes(cls, raw: bytes, source: str) -> ModelCard:
        """Parse a card file; a ``DataError`` names the file and the missing or bad key."""
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            msg = f"{source}: not a JSON model card: {exc}"
            raise DataError(msg) from None
        if not isinstance(data, dict):
            msg = f"{source}: a model card must be a JSON object"
            raise DataError(msg)
        try:
            if data["card_version"] != _CARD_VERSION:
                msg = f"{source}: card_version {data['card_version']!r} is not {_CARD_VERSION}"
                raise DataError(msg)
            return cls(
                name=str(data["name"]),
                kind=str(data["kind"]),
                created_at=datetime.fromisoformat(str(data["created_at"])),
                training_data=dict(data["training_data"]),
                params=dict(data["params"]),
                fold_metrics=tuple(dict(m) for m in data["fold_metrics"]),
                feature_importances={str(k): float(v) for k, v in dict(data["feature_importances"]).items()},
                metrics=dict(data["metrics"]),
                artifact_digest=str(data["artifact_digest"]),
            )
        except KeyError as exc:
            msg = f"{source}: model card has no {exc.args[0]!r}"
            raise DataError(msg) from None
        except (TypeError, ValueError) as exc:
            msg = f"{source}: malformed model card: {exc}"
            raise DataError(msg) from None


def _paths(directory: Path, name: str, suffix: str) -> tuple[Path, Path]:
    return directory / f"{name}.{suffix}", directory / f"{name}.card.json"


def save_artifact(
    directory: Path,
    card: ModelCard,
    payload: str,
    suffix: str,
    signer: MinisignKeyPair | None = None,
) -> ModelCard:
    """Write payload and card (with the payload digest filled in); sign the card if a key is given."""
    directory.mkdir(parents=True, exist_ok=True)
    payload_path, card_path = _paths(directory, card.name, suffix)
    sealed = replace(card, artifact_digest=payload_digest(card.kind, payload))
    payload_path.write_text(payload, encoding="utf-8")
    card_path.write_bytes(sealed.to_bytes())
    if signer is not None:
        sign_file(signer, card_path, trusted_comment=f"qgtm model card {card.name} {sealed.artifact_digest}")
    return sealed


def load_artifact(
    directory: Path, name: str, kind: str, suffix: str, public_key: MinisignPublicKey | None = None
) -> tuple[str, ModelCard]:
    """The verified payload and card; an ``IntegrityError`` if anything does not match."""
    payload_path, card_path = _paths(directory, name, suffix)
    for path in (payload_path, card_path):
        if not path.is_file():
            msg = f"{path}: model artifact file is missing"
            raise DataError(msg)
    if public_key is not None:
        verify_file(public_key, card_path)
    card = ModelCard.from_bytes(card_path.read_bytes(), str(card_path))
    if card.kind != kind:
        msg = f"{card_path}: card is for a {card.kind!r} model, expected {kind!r}"
        raise IntegrityError(msg)
    payload = payload_path.read_text(encoding="utf-8")
    actual = payload_digest(kind, payload)
    if actual != card.artifact_digest:
        msg = (
            f"{payload_path}: digest {actual[:16]}... does not match the model card's "
            f"{card.artifact_digest[:16]}...; refusing to load a modified artifact"
        )
        raise IntegrityError(msg)
    return payload, card

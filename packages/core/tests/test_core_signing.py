import shutil
import subprocess

import pytest

from qgtm_core import IntegrityError
from qgtm_core.signing import MinisignKeyPair, MinisignPublicKey, sign_file, verify_file


@pytest.fixture(scope="module")
def pair():
    return MinisignKeyPair.generate()


def test_round_trip_returns_the_trusted_comment(pair):
    text = pair.sign(b"payload", "file:x")
    assert pair.public.verify(b"payload", text) == "file:x"


def test_tampered_data_comment_or_key_fails(pair):
    text = pair.sign(b"payload", "file:x")
    with pytest.raises(IntegrityError, match="verification failed"):
        pair.public.verify(b"payloaD", text)
    forged = text.replace("trusted comment: file:x", "trusted comment: file:y")
    with pytest.raises(IntegrityError, match="verification failed"):
        pair.public.verify(b"payload", forged)
    with pytest.raises(IntegrityError, match="key id"):
        MinisignKeyPair.generate().public.verify(b"payload", text)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: "\n".join(t.splitlines()[:3]),
        lambda t: t.replace(t.splitlines()[1], "!!notbase64!!"),
        lambda t: t.replace(t.splitlines()[1], "RWQ="),
    ],
)
def test_malformed_signatures_are_rejected(pair, mangle):
    with pytest.raises(IntegrityError, match=r"malformed|unsupported"):
        pair.public.verify(b"payload", mangle(pair.sign(b"payload", "c")))


def test_public_key_text_round_trips_and_rejects_garbage(pair):
    parsed = MinisignPublicKey.parse(pair.public.to_text())
    assert parsed.key_id == pair.key_id
    with pytest.raises(IntegrityError, match="malformed"):
        MinisignPublicKey.parse("untrusted comment: x\nAAAA\n")
    with pytest.raises(IntegrityError, match="malformed"):
        MinisignPublicKey.parse("")


def test_comments_must_be_single_lines(pair):
    with pytest.raises(ValueError, match="single lines"):
        pair.sign(b"x", "a\nb")


def test_files_sign_save_load_and_verify(tmp_path, pair):
    artifact = tmp_path / "model.txt"
    artifact.write_bytes(b"weights")
    pair.save(tmp_path / "k.key", tmp_path / "k.pub")
    assert (tmp_path / "k.key").stat().st_mode & 0o777 == 0o600
    loaded = MinisignKeyPair.load(tmp_path / "k.key")
    sign_file(loaded, artifact)
    public = MinisignPublicKey.parse((tmp_path / "k.pub").read_text())
    assert verify_file(public, artifact).startswith("file:model.txt\tsha256:")
    artifact.write_bytes(b"weightz")
    with pytest.raises(IntegrityError, match=r"model\.txt: signature verification failed"):
        verify_file(public, artifact)
    with pytest.raises(IntegrityError, match="no signature file"):
        verify_file(public, tmp_path / "k.pub")


@pytest.mark.skipif(shutil.which("minisign") is None, reason="minisign is not installed (.ci/run installs it)")
def test_real_minisign_tool_accepts_our_signatures_and_rejects_tampering(tmp_path, pair):
    artifact = tmp_path / "wheel.whl"
    artifact.write_bytes(b"PK\x03\x04 wheel bytes")
    pair.save(tmp_path / "r.key", tmp_path / "r.pub")
    sign_file(pair, artifact)
    ok = subprocess.run(
        ["minisign", "-Vm", str(artifact), "-p", str(tmp_path / "r.pub")], capture_output=True, check=False
    )
    assert ok.returncode == 0, ok.stderr
    artifact.write_bytes(b"PK\x03\x04 wheel bytez")
    bad = subprocess.run(
        ["minisign", "-Vm", str(artifact), "-p", str(tmp_path / "r.pub")], capture_output=True, check=False
    )
    assert bad.returncode != 0

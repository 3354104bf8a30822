"""Known-answer tests against the published RFC 6962 vectors, and properties of proofs.

Source of the vectors (copied verbatim, hex):
- leaves, node hashes and roots: transparency-dev/merkle ``testonly/constants.go``
  (``LeafInputs``, ``NodeHashes``, ``RootHashes``; the same 8-leaf table as
  google/certificate-transparency's ``merkle_tree_test.cc``);
- inclusion and consistency proofs and the corruption probes: transparency-dev/merkle
  ``proof/verify_test.go`` (``inclusionProofs``, ``consistencyProofs``, ``corruptInclusionProof``,
  ``corruptConsistencyProof``, ``TestVerifyConsistency``).
In those tables inclusion vectors use 1-based leaf numbers; here they are converted to 0-based.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qgtm_audit import EMPTY_ROOT, MerkleTree, ProofError, leaf_hash, verify_consistency, verify_inclusion
from qgtm_audit.verifier import root_from_inclusion_proof

LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]

NODE_HASHES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]

ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# (0-based leaf index, tree size, proof)
INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

# (size1, size2, proof)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _h(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


@pytest.fixture(scope="module")
def tree() -> MerkleTree:
    tree = MerkleTree()
    for data in LEAF_INPUTS:
        tree.append(leaf_hash(data))
    return tree


def test_leaf_and_node_hashes_match_the_published_table() -> None:
    for height, level in enumerate(NODE_HASHES):
        width = 1 << height
        for index, expected in enumerate(level):
            lo = index * width
            sub = MerkleTree()
            for data in LEAF_INPUTS[lo : lo + width]:
                sub.append(leaf_hash(data))
            assert sub.root().hex() == expected


def test_roots_of_every_prefix_match_the_published_table(tree: MerkleTree) -> None:
    assert EMPTY_ROOT.hex() == ROOTS[0]
    for size, expected in enumerate(ROOTS):
        assert tree.root(size).hex() == expected
    # A tree built in one batch gives the same roots as one built leaf by leaf.
    batch = MerkleTree(b"".join(leaf_hash(d) for d in LEAF_INPUTS))
    assert [batch.root(n).hex() for n in range(9)] == ROOTS


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_and_verify(tree: MerkleTree, index: int, size: int, proof: list[str]) -> None:
    assert tree.inclusion_proof(index, size) == _h(proof)
    root = bytes.fromhex(ROOTS[size])
    leaf = leaf_hash(LEAF_INPUTS[index])
    assert root_from_inclusion_proof(index, size, leaf, _h(proof)) == root
    verify_inclusion(index, size, leaf, _h(proof), root)


def _corrupt_inclusion(index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes) -> list[tuple[object, ...]]:
    """transparency-dev ``corruptInclusionProof``: every probe must be rejected."""
    probes: list[tuple[object, ...]] = [
        (index - 1, size, root, leaf, proof),
        (index + 1, size, root, leaf, proof),
        (index ^ 2, size, root, leaf, proof),
        (index, size * 2, root, leaf, proof),
        (index, size // 2, root, leaf, proof),
        (index, size, root, b"WrongLeaf", proof),
        (index, size, EMPTY_ROOT, leaf, proof),
        (index, size, SOME_HASH, leaf, proof),
        (index, size, root, leaf, [*proof, b""]),
        (index, size, root, leaf, [*proof, root]),
        (index, size, root, leaf, [b"", *proof]),
        (index, size, root, leaf, [root, *proof]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
        probes.append((index, size, root, leaf, wrong))
    if proof:
        probes.append((index, size, root, leaf, proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, root, leaf, [proof[0], SOME_HASH, *proof[1:]]))
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_every_corrupted_inclusion_proof_is_rejected(index: int, size: int, proof: list[str]) -> None:
    root, leaf = bytes.fromhex(ROOTS[size]), leaf_hash(LEAF_INPUTS[index])
    for i, s, r, lf, p in _corrupt_inclusion(index, size, _h(proof), root, leaf):
        with pytest.raises(ProofError):
            verify_inclusion(i, s, lf, p, r)  # type: ignore[arg-type]


def test_inclusion_edge_cases_from_the_published_tests() -> None:
    data_hash = leaf_hash(b"data")
    verify_inclusion(0, 1, data_hash, [], data_hash)
    for leaf, root in ((data_hash, b""), (b"", data_hash), (b"", b"")):
        with pytest.raises(ProofError):
            verify_inclusion(0, 1, leaf, [], root)
    for index, size in ((0, 0), (0, 1), (1, 0), (2, 1)):
        for leaf, root in ((SOME_HASH, b""), (b"", EMPTY_ROOT), (SOME_HASH, EMPTY_ROOT)):
            with pytest.raises(ProofError):
                verify_inclusion(index, size, leaf, [], root)


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_consistency_proofs_match_and_verify(tree: MerkleTree, first: int, second: int, proof: list[str]) -> None:
    assert tree.consistency_proof(first, second) == _h(proof)
    verify_consistency(first, second, bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second]), _h(proof))


@pytest.mark.parametrize(("first", "second", "proof"), [c for c in CONSISTENCY if c[2]])
def test_every_corrupted_consistency_proof_is_rejected(first: int, second: int, proof: list[str]) -> None:
    r1, r2, p = bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second]), _h(proof)
    probes = [
        (first - 1, second, r1, r2, p),
        (first + 1, second, r1, r2, p),
        (first ^ 2, second, r1, r2, p),
        (first, second * 2, r1, r2, p),
        (first, second // 2, r1, r2, p),
        (first, second, b"WrongRoot", r2, p),
        (first, second, r1, b"WrongRoot", p),
        (first, second, r2, r1, p),
        (first, second, r1, r2, []),
        (first, second, r1, r2, [*p, b""]),
        (first, second, r1, r2, [*p, r1]),
        (first, second, r1, r2, [*p, r2]),
        (first, second, r1, r2, [b"", *p]),
        (first, second, r1, r2, [r1, *p]),
        (first, second, r1, r2, [r2, *p]),
        (first, second, r1, r2, [p[0], *p]),
        (first, second, r1, r2, p[:-1]),
    ]
    for i in range(len(p)):
        wrong = list(p)
        wrong[i] = bytes([wrong[i][0] ^ 16]) + wrong[i][1:]
        probes.append((first, second, r1, r2, wrong))
    for s1, s2, a, b, proof_ in probes:
        with pytest.raises(ProofError):
            verify_consistency(s1, s2, a, b, proof_)


def test_consistency_edge_cases_from_the_published_tests() -> None:
    root1, root2 = b"don't care 1", b"don't care 2"
    accepted = [(0, 0, root1, root1, []), (0, 1, root1, root2, []), (1, 1, root2, root2, [])]
    rejected = [
        (0, 0, root1, root2, []),
        (1, 1, root1, root2, []),
        (1, 0, root1, root2, []),
        (2, 1, root1, root2, []),
        (1, 2, root1, root2, []),
        (0, 0, EMPTY_ROOT, root2, []),
        (1, 1, EMPTY_ROOT, root2, []),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
    ]
    for s1, s2, a, b, p in accepted:
        verify_consistency(s1, s2, a, b, p)
    for s1, s2, a, b, p in rejected:
        with pytest.raises(ProofError):
            verify_consistency(s1, s2, a, b, p)


def _tree(n: int) -> MerkleTree:
    tree = MerkleTree()
    for i in range(n):
        tree.append(leaf_hash(i.to_bytes(4, "big")))
    return tree


def _reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1 MTH, written straight from the definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _reference_root(leaves[:k]) + _reference_root(leaves[k:])).digest()


@given(st.integers(min_value=0, max_value=70))
def test_roots_match_the_recursive_definition(n: int) -> None:
    tree = _tree(n)
    leaves = [tree.leaf(i) for i in range(n)]
    assert tree.root() == _reference_root(leaves)


@given(st.data())
def test_every_inclusion_proof_verifies_and_every_mutation_fails(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=70))
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    tree = _tree(size)
    proof, root, leaf = tree.inclusion_proof(index, size), tree.root(size), tree.leaf(index)
    verify_inclusion(index, size, leaf, proof, root)
    mutation = data.draw(st.sampled_from(["flip", "drop", "add", "swap", "index", "size", "leaf"]))
    if mutation == "flip" and proof:
        i, bit = data.draw(st.integers(0, len(proof) - 1)), data.draw(st.integers(0, 255))
        proof[i] = (int.from_bytes(proof[i], "big") ^ (1 << bit)).to_bytes(32, "big")
    elif mutation == "drop" and proof:
        del proof[data.draw(st.integers(0, len(proof) - 1))]
    elif mutation == "swap" and len(proof) > 1 and len(set(proof)) > 1:
        i = data.draw(st.integers(0, len(proof) - 2))
        j = data.draw(st.integers(i + 1, len(proof) - 1).filter(lambda j: proof[j] != proof[i]))
        proof[i], proof[j] = proof[j], proof[i]
    elif mutation == "index" and size > 1:
        index = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
    elif mutation == "size":
        # Sizes that keep the path's shape (leaf 0 of 33 vs 34) give the same root by design: the size
        # is bound to the root by the signed head, which is why verifiers take it from there.
        size = data.draw(st.sampled_from([size * 2, size // 2]))
    elif mutation == "leaf":
        leaf = data.draw(st.binary(min_size=32, max_size=32).filter(lambda b: b != leaf))
    else:
        proof.append(data.draw(st.binary(min_size=32, max_size=32)))
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf, proof, root)


@given(st.data())
def test_every_consistency_proof_verifies_and_every_mutation_fails(data: st.DataObject) -> None:
    second = data.draw(st.integers(min_value=2, max_value=70))
    first = data.draw(st.integers(min_value=1, max_value=second - 1))
    tree = _tree(second)
    proof, r1, r2 = tree.consistency_proof(first, second), tree.root(first), tree.root(second)
    verify_consistency(first, second, r1, r2, proof)
    mutation = data.draw(st.sampled_from(["flip", "drop", "add", "first", "second", "root1", "root2"]))
    if mutation == "flip":
        i, bit = data.draw(st.integers(0, len(proof) - 1)), data.draw(st.integers(0, 255))
        proof[i] = (int.from_bytes(proof[i], "big") ^ (1 << bit)).to_bytes(32, "big")
    elif mutation == "drop":
        del proof[data.draw(st.integers(0, len(proof) - 1))]
    elif mutation == "first":
        first = data.draw(st.integers(0, second).filter(lambda f: f != first))
    elif mutation == "second":
        # As for inclusion, a size of the same shape is bound only by the signed head (see above).
        second = data.draw(st.sampled_from([second * 2, second // 2]))
    elif mutation == "root1":
        r1 = data.draw(st.binary(min_size=32, max_size=32).filter(lambda b: b != r1))
    elif mutation == "root2":
        r2 = data.draw(st.binary(min_size=32, max_size=32).filter(lambda b: b != r2))
    else:
        proof.insert(data.draw(st.integers(0, len(proof))), data.draw(st.binary(min_size=32, max_size=32)))
    with pytest.raises(ProofError):
        verify_consistency(first, second, r1, r2, proof)


def test_tree_rejects_out_of_range_requests() -> None:
    tree = _tree(5)
    with pytest.raises(ValueError, match="outside"):
        tree.root(6)
    with pytest.raises(ValueError, match="outside"):
        tree.inclusion_proof(5, 5)
    with pytest.raises(ValueError, match="first <= second"):
        tree.consistency_proof(4, 3)
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleTree(b"short")
    tree.truncate(3)
    assert tree.size == 3
    assert tree.root() == _reference_root([tree.leaf(i) for i in range(3)])

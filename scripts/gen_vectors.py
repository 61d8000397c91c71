#!/usr/bin/env python3
"""Regenerate the committed test vectors under tests/vectors/ (deterministic).

    .venv/bin/python scripts/gen_vectors.py           # write the files
    .venv/bin/python scripts/gen_vectors.py --check   # exit 1 if a committed file differs

Files:
  records.json                 record inputs (odd key order / number spelling) -> canonical JSON,
                               commitments, leafEncoding, value, ABI encoding, leaf hash
  trees.json                   leaf hashes -> every node, the root, every proof, a multiproof
  bundles/valid-*.json         proof bundles that verify (one per kind, pending and final)
  broken/*.json                bundles that must NOT verify, named after what they catch
  broken/index.json            for each broken file: exit code, failing step, and whether
                               OpenZeppelin's StandardMerkleTree.verify must reject it too
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from genlib import check_requested  # noqa: E402

from anchor.core import records as core_records  # noqa: E402
from anchor.core.merkle import MerkleTree  # noqa: E402
from anchor.core.proof import AnchorInfo, ProofBundle, make_bundle  # noqa: E402
from anchor.core.samples import sample_record_objs  # noqa: E402

OUT = ROOT / "tests" / "vectors"
SEED = 20250101
# the kinds of the first vectors; later kinds get their own cases (and their own random
# stream), so the files of the first ones never change
FIRST_KINDS = ("order_event", "book_snapshot", "trade", "balance", "position")
LATER_KINDS = tuple(k for k in core_records.KINDS if k not in FIRST_KINDS)


def _h(b: bytes) -> str:
    return "0x" + b.hex()


def _dump(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=True) + "\n").encode()


def _respell(obj: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    """The same record with shuffled keys and numbers as ints or zero-padded strings."""
    items = list(obj.items())
    rnd.shuffle(items)
    out: dict[str, Any] = {}
    for k, v in items:
        if isinstance(v, str) and v.lstrip("-").isdigit() and k != "record_id":
            n = int(v)
            v = n if rnd.random() < 0.5 else ("-" if n < 0 else "") + "00" + str(abs(n))
        out[k] = v
    return out


def _records(rnd: random.Random) -> tuple[dict[str, Any], dict[str, bytes]]:
    objs = list(
        sample_record_objs(
            2 * len(FIRST_KINDS), seed=SEED, accounts=6, id_prefix="vec", kinds=FIRST_KINDS
        )
    )
    salts: dict[str, bytes] = {}
    cases = _cases(objs, rnd, salts, 0)
    later = random.Random(SEED + 16)
    objs = list(
        sample_record_objs(
            3 * len(LATER_KINDS), seed=SEED + 16, accounts=6, id_prefix="vec", kinds=LATER_KINDS
        )
    )
    cases += _cases(objs, later, salts, len(cases))
    doc = {
        "about": "record -> canonical JSON and leaf; commitment = keccak256(salt || utf8(id))",
        "cases": cases,
    }
    return doc, salts


def _cases(
    objs: list[dict[str, Any]], rnd: random.Random, salts: dict[str, bytes], first: int
) -> list[dict[str, Any]]:
    cases = []
    for i, obj in enumerate(objs, start=first):
        text = json.dumps(_respell(obj, rnd))
        rec = core_records.parse_record(text)
        for a in rec.accounts():
            salts.setdefault(a, rnd.randbytes(32))
        commits = {a: core_records.account_commitment(a, salts[a]) for a in rec.accounts()}
        seq = 1000 + i
        enc = core_records.encode_leaf(rec, seq, commits)
        cases.append(
            {
                "input": text,
                "canonical": rec.canonical_json().decode(),
                "seq": seq,
                "salts": {a: _h(salts[a]) for a in rec.accounts()},
                "commitments": {a: _h(c) for a, c in commits.items()},
                "leafEncoding": list(core_records.leaf_types(rec.kind, rec.version)),
                "value": core_records.leaf_values_json(core_records.leaf_values(rec, seq, commits)),
                "encoded": _h(enc),
                "leaf": _h(core_records.leaf_hash(enc)),
            }
        )
    return cases


def _trees(rnd: random.Random) -> dict[str, Any]:
    trees = []
    for n in (1, 2, 3, 4, 5, 8, 13, 33):
        leaves = [rnd.randbytes(32) for _ in range(n)]
        tree = MerkleTree.from_leaves(leaves)
        picks = sorted(rnd.sample(range(n), min(n, 3)))
        mp = tree.multiproof(picks)
        trees.append(
            {
                "leaves": [_h(x) for x in leaves],
                "root": _h(tree.root),
                "nodes": [_h(tree.node(i)) for i in range(2 * n - 1)],
                "proofs": [[_h(p) for p in tree.proof(k)] for k in range(n)],
                "multiproof": {
                    "indices": list(mp.indices),
                    "leaves": [_h(x) for x in mp.leaves],
                    "proof": [_h(x) for x in mp.proof],
                    "proofFlags": list(mp.proof_flags),
                },
            }
        )
    return {
        "about": "leaf hashes in input order; proofs[k] is the proof of the k-th leaf in tree "
        "(sorted) order, which sits at node 2n-2-k",
        "trees": trees,
    }


def _flip(b: bytes) -> bytes:
    return b[:-1] + bytes([b[-1] ^ 1])


def _rebuild(b: ProofBundle, record_obj: dict[str, Any]) -> ProofBundle:
    """A forged bundle: record edited, value and leaf recomputed, checksum refreshed."""
    rec = core_records.parse_redacted(record_obj)
    return replace(
        b,
        record=rec,
        value=tuple(core_records.leaf_values_json(core_records.leaf_values_redacted(rec, b.seq))),
        leaf=core_records.leaf_hash(core_records.encode_leaf_redacted(rec, b.seq)),
    ).with_checksum()


def _batch(records: list[Any], rnd: random.Random, first_seq: int, block: int) -> tuple[Any, ...]:
    """A sealed and anchored batch of ``records``: salts, commitments, seqs, the tree, the
    tree position of each input and the anchor."""
    salts = {a: rnd.randbytes(32) for r in records for a in r.accounts()}
    commits = {a: core_records.account_commitment(a, s) for a, s in salts.items()}
    seqs = list(range(first_seq, first_seq + len(records)))
    tree = MerkleTree.from_leaves(
        core_records.leaf_hashes(zip(records, seqs, strict=True), commits)
    )
    pos = tree.tree_order_of_inputs()
    final = AnchorInfo(
        chain_id=31337,
        contract="0x5fbdb2315678afecb367f032d93f642f64180aa3",
        tx_hash=rnd.randbytes(32),
        block_number=block,
        block_hash=rnd.randbytes(32),
        status="final",
    )
    return salts, commits, seqs, tree, pos, final


def _later_bundles() -> dict[str, bytes]:
    """One valid bundle per later kind, from a batch of their own."""
    rnd = random.Random(SEED + 17)
    objs = sample_record_objs(12, seed=SEED + 17, accounts=5, id_prefix="bat", kinds=LATER_KINDS)
    records = [core_records.parse_record(o) for o in objs]
    salts, commits, seqs, tree, pos, final = _batch(records, rnd, 901, 57)
    out: dict[str, bytes] = {}
    for kind in LATER_KINDS:
        i = next(j for j, r in enumerate(records) if r.kind == kind)
        r = records[i]
        own = {a: salts[a] for a in r.accounts()[:1]}
        b = make_bundle(r, seqs[i], commits, own, tree.proof(pos[i]), tree.root, 5, final)
        out[f"valid-{kind.replace('_', '-')}-final.json"] = b.to_json()
    return out


def _bundles(rnd: random.Random) -> tuple[dict[str, bytes], dict[str, bytes], dict[str, Any]]:
    objs = list(
        sample_record_objs(40, seed=SEED + 1, accounts=5, id_prefix="bat", kinds=FIRST_KINDS)
    )
    records = [core_records.parse_record(o) for o in objs]
    salts, commits, seqs, tree, pos, final = _batch(records, rnd, 501, 42)

    def bundle(i: int, anchor: AnchorInfo | None) -> ProofBundle:
        r = records[i]
        own = r.accounts()[:1]
        return make_bundle(
            r,
            seqs[i],
            commits,
            {a: salts[a] for a in own},
            tree.proof(pos[i]),
            tree.root,
            3,
            anchor,
        )

    valid: dict[str, bytes] = {}
    for kind in FIRST_KINDS:
        i = next(j for j, r in enumerate(records) if r.kind == kind)
        valid[f"valid-{kind.replace('_', '-')}-final.json"] = bundle(i, final).to_json()
    valid["valid-balance-pending.json"] = bundle(3, None).to_json()

    t = next(j for j, r in enumerate(records) if r.kind == "trade")
    base = bundle(t, final)
    assert len(base.proof) >= 3
    rec_obj = base.record.canonical_obj()

    broken: dict[str, bytes] = {}
    index: dict[str, Any] = {}

    def add(name: str, data: bytes, exit_code: int, step: str, oz_rejects: bool | None) -> None:
        broken[f"{name}.json"] = data
        index[f"{name}.json"] = {"exit": exit_code, "step": step, "ozRejects": oz_rejects}

    # Merkle-level forgeries: OpenZeppelin must reject these too.
    add("wrong-leaf", _rebuild(base, dict(rec_obj, quantity=str(int(rec_obj["quantity"]) + 1)))
        .to_json(), 1, "root", True)  # fmt: skip
    add("modified-sibling", replace(base, proof=(base.proof[0], _flip(base.proof[1]), *base.proof[2:]))
        .with_checksum().to_json(), 1, "root", True)  # fmt: skip
    add(
        "truncated-proof",
        replace(base, proof=base.proof[:-1]).with_checksum().to_json(),
        1,
        "root",
        True,
    )
    add("extra-element", replace(base, proof=(*base.proof, base.root)).with_checksum().to_json(),
        1, "root", True)  # fmt: skip
    add("swapped-order", replace(base, proof=(base.proof[1], base.proof[0], *base.proof[2:]))
        .with_checksum().to_json(), 1, "root", True)  # fmt: skip
    add(
        "wrong-root",
        replace(base, root=_flip(base.root)).with_checksum().to_json(),
        1,
        "root",
        True,
    )
    # Bundle-level inconsistencies.
    add("leaf-field-mismatch", replace(base, leaf=_flip(base.leaf)).with_checksum().to_json(),
        1, "leaf", False)  # fmt: skip
    add("value-mismatch", replace(base, value=(*base.value[:-2], "1", base.value[-1]))
        .with_checksum().to_json(), 1, "value", True)  # fmt: skip
    add("wrong-salt", replace(base, accounts=(replace(base.accounts[0], salt=rnd.randbytes(32)),))
        .with_checksum().to_json(), 1, "commitment", False)  # fmt: skip
    add("other-account-id", replace(base, accounts=(replace(base.accounts[0], account_id="mallory"),))
        .with_checksum().to_json(), 1, "commitment", False)  # fmt: skip
    add("edited-anchor-block", replace(base, anchor=replace(final, block_number=43)).to_json(),
        1, "checksum", False)  # fmt: skip
    add("edited-batch-id", replace(base, batch_id=4).to_json(), 1, "checksum", False)
    # Unusable input (exit 2).
    good = base.to_json()
    add("trailing-data", good + b"{}\n", 2, "format", None)
    add("unknown-version", good.replace(b"ledger-anchor-proof/1", b"ledger-anchor-proof/9"),
        2, "format", None)  # fmt: skip
    add("uppercase-hex", good.replace(_h(base.root).encode(), _h(base.root).upper().replace("0X", "0x")
        .encode()), 2, "format", None)  # fmt: skip
    add("missing-field", good.replace(b'  "seq": ' + str(base.seq).encode() + b",\n", b""),
        2, "format", None)  # fmt: skip
    # Formatting is free, members are not: the verifiers read a bundle as a JSON value and
    # accept a pretty-printed one (core's parse_bundle, which the service uses, does not),
    # but a member written differently from its canonical form is refused.
    pretty = _dump(json.loads(good)).replace(b"  ", b"    ")
    valid["valid-trade-final-reformatted.json"] = pretty
    q = rec_obj["quantity"].encode()
    add("reformatted-noncanonical-number", pretty.replace(b'"quantity": "' + q, b'"quantity": "0' + q),
        2, "format", None)  # fmt: skip
    add("duplicate-key", good.replace(b'  "seq": ', b'  "seq": 1,\n  "seq": ', 1),
        2, "format", None)  # fmt: skip
    return valid, broken, index


def generate() -> dict[str, bytes]:
    """Every vector file, relative path -> bytes."""
    rnd = random.Random(SEED)
    records, _ = _records(rnd)
    files = {"records.json": _dump(records), "trees.json": _dump(_trees(rnd))}
    valid, broken, index = _bundles(rnd)
    valid.update(_later_bundles())
    files.update({f"bundles/{k}": v for k, v in valid.items()})
    files.update({f"broken/{k}": v for k, v in broken.items()})
    files["broken/index.json"] = _dump(dict(sorted(index.items())))
    return files


def main() -> int:
    check = check_requested(__doc__)
    files = generate()
    if check:
        bad = [
            p
            for p, data in files.items()
            if not (OUT / p).is_file() or (OUT / p).read_bytes() != data
        ]
        extra = [
            str(p.relative_to(OUT))
            for p in OUT.rglob("*.json")
            if str(p.relative_to(OUT)) not in files
        ]
        for p in bad:
            print(f"differs: tests/vectors/{p}")
        for p in extra:
            print(f"not generated: tests/vectors/{p}")
        return 1 if bad or extra else 0
    for p, data in files.items():
        dest = OUT / p
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    print(f"wrote {len(files)} files under {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

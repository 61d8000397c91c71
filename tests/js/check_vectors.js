// Checks the committed vectors (tests/vectors) with the real @openzeppelin/merkle-tree.
// usage: node check_vectors.js VECTOR_DIR  -> JSON report on stdout; a failed check is listed
// in "failures" (the Python test asserts the list is empty).
'use strict';
const fs = require('fs');
const path = require('path');
const { StandardMerkleTree, SimpleMerkleTree } = require('@openzeppelin/merkle-tree');
const { encode } = require('@metamask/abi-utils');

const dir = process.argv[2];
const read = f => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
const hex = u8 => '0x' + Buffer.from(u8).toString('hex');
const failures = [];
const counts = { records: 0, trees: 0, proofs: 0, bundles: 0, broken: 0 };
const check = (ok, what) => { if (!ok) failures.push(what); };

for (const [i, c] of read('records.json').cases.entries()) {
  check(hex(encode(c.leafEncoding, c.value)) === c.encoded, `records[${i}] encoding`);
  check(StandardMerkleTree.of([c.value], c.leafEncoding).root === c.leaf, `records[${i}] leaf`);
  counts.records++;
}

for (const [i, t] of read('trees.json').trees.entries()) {
  const tree = SimpleMerkleTree.of(t.leaves);
  check(tree.root === t.root, `trees[${i}] root`);
  check(JSON.stringify(tree.dump().tree) === JSON.stringify(t.nodes), `trees[${i}] nodes`);
  const sorted = [...t.leaves].sort();
  t.proofs.forEach((proof, k) => {
    check(SimpleMerkleTree.verify(t.root, sorted[k], proof), `trees[${i}] proof ${k}`);
    counts.proofs++;
  });
  check(SimpleMerkleTree.verifyMultiProof(t.root, t.multiproof), `trees[${i}] multiproof`);
  counts.trees++;
}

for (const f of fs.readdirSync(path.join(dir, 'bundles')).sort()) {
  const b = read(path.join('bundles', f));
  check(StandardMerkleTree.verify(b.root, b.leafEncoding, b.value, b.proof), `bundles/${f} verify`);
  check(StandardMerkleTree.of([b.value], b.leafEncoding).root === b.leaf, `bundles/${f} leaf`);
  counts.bundles++;
}

const index = read('broken/index.json');
for (const [f, expect] of Object.entries(index)) {
  if (expect.ozRejects === null) continue; // not JSON OZ can read as it is (format errors)
  const b = read(path.join('broken', f));
  let ok;
  try { ok = StandardMerkleTree.verify(b.root, b.leafEncoding, b.value, b.proof); } catch (e) { ok = false; }
  check(ok === !expect.ozRejects, `broken/${f}: OZ verify gave ${ok}`);
  counts.broken++;
}

process.stdout.write(JSON.stringify({ counts, failures }));

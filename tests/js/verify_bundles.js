// Verifies ledger-anchor proof bundles with the real @openzeppelin/merkle-tree, taking the
// bundle's fields exactly as they are: StandardMerkleTree.verify(root, leafEncoding, value, proof).
// It also recomputes the leaf: a one-leaf StandardMerkleTree's root is the leaf hash.
// usage: node verify_bundles.js FILE...   -> JSON [{file, verify, leafMatches}] on stdout
'use strict';
const fs = require('fs');
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');

const out = [];
for (const file of process.argv.slice(2)) {
  const b = JSON.parse(fs.readFileSync(file, 'utf8'));
  let verify = false;
  let leafMatches = false;
  let error = null;
  try {
    verify = StandardMerkleTree.verify(b.root, b.leafEncoding, b.value, b.proof);
    leafMatches = StandardMerkleTree.of([b.value], b.leafEncoding).root === b.leaf;
  } catch (e) {
    error = String(e && e.message ? e.message : e);
  }
  out.push({ file, verify, leafMatches, error });
}
process.stdout.write(JSON.stringify(out));

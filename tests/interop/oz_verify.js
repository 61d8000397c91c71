// Verify ledger-anchor proof bundles with the real @openzeppelin/merkle-tree package.
// Usage: node oz_verify.js FILE   (FILE: a JSON array of proof bundles, or "-" for stdin)
// Prints a JSON array of {record_id, ok, leaf} — ok is StandardMerkleTree.verify(root,
// leafEncoding, value, proof) on the bundle's fields exactly as they are; leaf is OZ's own
// leafHash(leafEncoding, value), to compare with the bundle's leaf.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const jsRequire = createRequire(path.join(__dirname, '..', 'js', 'package.json'));
const { StandardMerkleTree } = jsRequire('@openzeppelin/merkle-tree');
const { standardLeafHash } = jsRequire('@openzeppelin/merkle-tree/dist/hashes');

const src = process.argv[2] || '-';
const text = fs.readFileSync(src === '-' ? 0 : src, 'utf8');
const bundles = JSON.parse(text);
const out = bundles.map((b) => {
  let ok = false;
  let leaf = null;
  let error = null;
  try {
    ok = StandardMerkleTree.verify(b.root, b.leafEncoding, b.value, b.proof);
    leaf = standardLeafHash(b.leafEncoding, b.value);
  } catch (e) {
    error = String(e && e.message ? e.message : e);
  }
  return { record_id: b.record && b.record.record_id, ok, leaf, error };
});
process.stdout.write(JSON.stringify(out));

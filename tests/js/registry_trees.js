// Random StandardMerkleTrees built by the real @openzeppelin/merkle-tree, for checking the
// registry's on-chain `verify` against the library.
// stdin:  {"encoding": [type...], "trees": [[value...]...]}
// stdout: [{"root", "checks": [{"leaf", "proof", "valid"}]}] where the checks are every
//         leaf with its own proof (valid per the library) and every leaf with its neighbour's
//         proof (the library's verdict, normally false).
'use strict';
const fs = require('fs');
const { StandardMerkleTree, SimpleMerkleTree } = require('@openzeppelin/merkle-tree');

const job = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = job.trees.map(values => {
  const tree = StandardMerkleTree.of(values, job.encoding);
  const leaves = values.map(v => tree.leafHash(v));
  const proofs = values.map((_, i) => tree.getProof(i));
  const checks = [];
  leaves.forEach((leaf, i) => {
    checks.push({ leaf, proof: proofs[i], valid: tree.verify(i, proofs[i]) });
    const other = proofs[(i + 1) % proofs.length];
    checks.push({ leaf, proof: other, valid: SimpleMerkleTree.verify(tree.root, leaf, other) });
  });
  return { root: tree.root, checks };
});
process.stdout.write(JSON.stringify(out) + '\n');

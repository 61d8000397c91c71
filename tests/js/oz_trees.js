// Builds trees with the real @openzeppelin/merkle-tree and checks ours against them.
// stdin: {"simple": [case], "standard": [case]}
//   simple case:   {"leaves": [hex32...], "proofs": [valueIndex...], "multis": [[valueIndex...]],
//                   "ours": {"root": hex, "proofs": {valueIndex: [hex...]},
//                            "multis": [{"leaves": [...], "proof": [...], "proofFlags": [...]}]}}
//   standard case: same, with "leafEncoding": [type...] and "values": [[...]] instead of leaves;
//                  "ours".multis[].leaves are values.
//   mixed case:    {"root": hex, "items": [{"leafEncoding", "value", "proof"}]} -> verify each
// stdout: per case {root, tree, treeIndex, proofs, multis, oursValid: [bool...]}
'use strict';
const { StandardMerkleTree, SimpleMerkleTree } = require('@openzeppelin/merkle-tree');

function run(tree, c, verify, verifyMulti) {
  const out = {
    root: tree.root,
    tree: c.dumpTree === false ? null : tree.dump().tree,
    treeIndex: tree.dump().values.map(v => v.treeIndex),
    proofs: {},
    multis: [],
    oursValid: [],
  };
  for (const i of c.proofs || []) out.proofs[i] = tree.getProof(i);
  for (const m of c.multis || []) out.multis.push(tree.getMultiProof(m));
  const ours = c.ours || {};
  for (const [i, proof] of Object.entries(ours.proofs || {})) {
    out.oursValid.push(verify(ours.root, Number(i), proof) && tree.verify(Number(i), proof));
  }
  for (const m of ours.multis || []) {
    out.oursValid.push(verifyMulti(ours.root, m) && tree.verifyMultiProof(m));
  }
  return out;
}

const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const result = { simple: [], standard: [], mixed: [] };
for (const c of input.simple || []) {
  const tree = SimpleMerkleTree.of(c.leaves);
  result.simple.push(run(tree, c,
    (root, i, proof) => SimpleMerkleTree.verify(root, c.leaves[i], proof),
    (root, m) => SimpleMerkleTree.verifyMultiProof(root, m)));
}
for (const c of input.standard || []) {
  const tree = StandardMerkleTree.of(c.values, c.leafEncoding);
  result.standard.push(run(tree, c,
    (root, i, proof) => StandardMerkleTree.verify(root, c.leafEncoding, c.values[i], proof),
    (root, m) => StandardMerkleTree.verifyMultiProof(root, c.leafEncoding, m)));
}
for (const c of input.mixed || []) {
  result.mixed.push(c.items.map(it => StandardMerkleTree.verify(c.root, it.leafEncoding, it.value, it.proof)));
}
process.stdout.write(JSON.stringify(result));

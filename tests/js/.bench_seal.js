
'use strict';
const fs = require('fs');
const { SimpleMerkleTree } = require('@openzeppelin/merkle-tree');
const { standardLeafHash } = require('@openzeppelin/merkle-tree/dist/hashes');
const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const t0 = process.hrtime.bigint();
const leaves = input.items.map(([enc, value]) => standardLeafHash(input.encodings[enc], value));
const tree = SimpleMerkleTree.of(leaves);
const t1 = process.hrtime.bigint();
process.stdout.write(JSON.stringify({ seconds: Number(t1 - t0) / 1e9, root: tree.root }));

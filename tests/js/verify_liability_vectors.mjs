// The browser verifier's liability module (scripts/web/src/liability.mjs, bundled into
// verify.html) under node: the verdict of its math checks for each file given.
// usage: node verify_liability_vectors.mjs FILE... -> JSON [{file, verdict, step, root}] on stdout
import fs from 'node:fs';
import { verifyLiabilityMath } from '../../scripts/web/src/liability.mjs';

const out = process.argv.slice(2).map((file) => {
  try {
    const { root, totals } = verifyLiabilityMath(fs.readFileSync(file, 'utf-8'));
    return { file, verdict: 'valid', step: null, root, totals: totals.map(String) };
  } catch (e) {
    if (e && e.kind) return { file, verdict: e.kind, step: e.step };
    return { file, verdict: 'crash', step: String(e && e.stack ? e.stack : e) };
  }
});
process.stdout.write(JSON.stringify(out));

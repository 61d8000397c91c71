// The browser verifier's own module (scripts/web/src/verify.mjs, what verify.html bundles) under
// node: the verdict of its math checks for each file given.
// usage: node verify_vectors.mjs FILE... -> JSON [{file, verdict, step}] on stdout
import fs from 'node:fs';
import { mathVerdict } from '../../scripts/web/src/verify.mjs';

const out = process.argv.slice(2).map((file) => {
  let text;
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(file)); }
  catch (e) { return { file, verdict: 'format', step: 'format' }; }
  const v = mathVerdict(text);
  return { file, verdict: v.verdict, step: v.step };
});
process.stdout.write(JSON.stringify(out));

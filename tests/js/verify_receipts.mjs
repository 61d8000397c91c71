// The browser verifier's receipt module (scripts/web/src/receipt.mjs, bundled into verify.html)
// under node: the verdict for each receipt file against the pinned signer.
// usage: node verify_receipts.mjs SIGNER FILE... -> JSON [{file, verdict, step}] on stdout
import fs from 'node:fs';
import { receiptVerdict } from '../../scripts/web/src/receipt.mjs';

const [signer, ...files] = process.argv.slice(2);
const out = files.map((file) => {
  let text;
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(file)); }
  catch (e) { return { file, verdict: 'format', step: 'format' }; }
  const v = receiptVerdict(text, signer);
  return { file, verdict: v.verdict, step: v.step, detail: v.detail };
});
process.stdout.write(JSON.stringify(out));

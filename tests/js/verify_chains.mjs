// The browser verifier's own module on a bundle anchored on several chains, under node.
// usage: node verify_chains.mjs BUNDLE CHAINS_JSON REQUIRE -> JSON {verdict, step, summary}
//   CHAINS_JSON: [{"url": "http://…", "pinned": ["0x…"]}, …]; REQUIRE: a number or "none"
import fs from 'node:fs';
import { VerifyError, httpRpc, verifyOnline } from '../../scripts/web/src/verify.mjs';

const [file, chainsJson, requireText] = process.argv.slice(2);
const chains = JSON.parse(chainsJson).map((c) => ({ rpc: httpRpc(c.url), pinned: c.pinned }));
const require = requireText === 'none' ? null : Number(requireText);
try {
  const res = await verifyOnline(fs.readFileSync(file, 'utf-8'), { chains, require, finalityDepth: 0 });
  process.stdout.write(JSON.stringify({ verdict: 'valid', step: null, summary: res.summary }));
} catch (e) {
  if (!(e instanceof VerifyError)) throw e;
  process.stdout.write(JSON.stringify({ verdict: e.kind, step: e.step, summary: e.detail }));
}

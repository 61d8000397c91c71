// A bundle anchored on several chains (v2), in the browser: each anchor checked over an RPC of
// its chain against the registry YOU pinned there, then a policy — Python's
// anchor/verifier/policy.py. By default every anchor the bundle names must hold (the first that
// does not is the verdict); `require: K` accepts K valid final anchors on pinned registries.
//
// verifyAnchors(bundle, root, {chains: [{rpc, pinned: [addr]}], require, ...}) -> result
// RPCs are matched to anchors by the chain id each serves (eth_chainId), never by the bundle.
import { CONTRACT_NAME, VerifyError, checkAnchor, hexInt, pinList } from './verify.mjs';

const describe = (e) => (e instanceof VerifyError ? (e.kind === 'invalid' ? `${e.step}: ${e.detail}` : e.detail) : String(e && e.message ? e.message : e));

export async function verifyAnchors(b, root, { chains, require = null, codeHash, finalityDepth = null, fallbackDepth }) {
  const anchors = b.anchors;
  if (require !== null && !(require >= 1 && require <= anchors.length)) {
    throw new VerifyError('unusable', 'input', `require ${require}: the bundle names ${anchors.length} anchor(s); ask for 1 to ${anchors.length}`);
  }
  const byChain = new Map(); // chain id (string) -> {rpc, pins}
  const down = [];
  let opened = false;
  const open = async () => {
    for (const c of chains) {
      try {
        const served = hexInt(await c.rpc('eth_chainId', []), 'eth_chainId');
        if (byChain.has(String(served))) throw new VerifyError('unusable', 'input', `two RPCs serve chain ${served}: give one per chain`);
        byChain.set(String(served), { rpc: c.rpc, pins: pinList(c.pinned || []) });
      } catch (e) {
        if (require === null || (e instanceof VerifyError && e.detail.startsWith('two RPCs'))) throw e;
        down.push(describe(e));
      }
    }
    opened = true;
  };
  const held = [];
  const failed = [];
  for (const a of anchors) {
    try {
      if (a.txHash === null || a.blockNumber === null || a.blockHash === null) {
        throw new VerifyError('invalid', 'anchor', `the bundle is not anchored yet (status ${a.status}): nothing to check on chain`);
      }
      if (!opened) await open();
      const chain = byChain.get(String(a.chainId));
      if (!chain) {
        const why = down.length ? ` (${down.join('; ')})` : '';
        throw new VerifyError('unusable', 'input', `no RPC given for chain ${a.chainId}, where the bundle names an anchor: add an RPC URL of chain ${a.chainId}${why}`);
      }
      if (chain.pins.length === 0) throw new VerifyError('unpinned', 'pin', `registry not pinned for chain ${a.chainId}`);
      held.push(await checkAnchor(b, root, a, { rpc: chain.rpc, pins: chain.pins, codeHash, finalityDepth, fallbackDepth }));
    } catch (e) {
      if (require === null) throw e;
      failed.push([a, e]);
    }
  }
  if (require !== null && held.length < require) {
    if (held.length === 0 && failed.length && failed.every(([, e]) => e instanceof VerifyError && e.kind === 'unpinned')) throw failed[0][1];
    const detail = failed.map(([a, e]) => `chain ${a.chainId}: ${describe(e)}`).join('; ');
    throw new VerifyError('invalid', 'policy', `${held.length} of the ${anchors.length} anchors hold, ${require} required (${detail})`);
  }
  const policy = require === null ? 'every anchor named' : `require ${require}`;
  const list = held.map((h) => `chain ${h.chainId}: registry ${h.contract}, block ${h.blockNumber}, final (${h.finalityRule})`).join('; ');
  return {
    ...held[0], valid: true, anchors: held, named: anchors.length, required: require,
    recordId: b.record.recordId, kind: b.record.kind, batchId: b.batchId, root,
    summary: `valid: record ${b.record.recordId} (${b.record.kind}) is in batch ${b.batchId}, root ${root}; ${held.length} of the ` +
      `${anchors.length} anchors hold (policy: ${policy}), pinned by you, code = the published ${CONTRACT_NAME}: ${list}`,
  };
}

// The browser verifier's core: the same checks, in the same order and with the same step
// names, as Python's anchor/core/verify.py (math) and anchor/verifier/verify.py (chain).
// No DOM here: the page (page.mjs) and the node tests import this module.
//
// verifyMath(text) -> {bundle, root}
// verifyOnline(text, {rpc, pinned, codeHash, finalityDepth, fallbackDepth}) -> result
//   rpc(method, params) -> Promise<result>: fetch to a URL, or window.ethereum.request
//   pinned: the registry addresses YOU trust for the chain (never the bundle's)
//   a v2 bundle (several chains): {chains: [{rpc, pinned}, ...], require} (multi.mjs)
// Failures throw VerifyError {kind: 'invalid'|'format'|'unusable'|'unpinned', step, detail}.
import { FORMAT_V2, parseBundle, computedChecksum } from './bundle.mjs';
import { verifyAnchors } from './multi.mjs';
import { FormatError } from './json.mjs';
import {
  abiEncode, accountCommitment, concat, enc, hexToBytes, keccakHex, leafHash, leafTypes, leafValues,
  leafValuesJson, processProof, word,
} from './records.mjs';
import { PUBLISHED_CODE_HASH, CONTRACT_NAME, IMMUTABLE_RANGES } from './generated.mjs';

export { PUBLISHED_CODE_HASH, CONTRACT_NAME };
export const ANCHORED_EVENT = 'Anchored(uint64,bytes32,uint64)';
export const DEFAULT_FALLBACK_DEPTH = 64;

export class VerifyError extends Error {
  constructor(kind, step, detail) {
    super(kind === 'invalid' ? `invalid: ${step}: ${detail}` : detail);
    this.kind = kind;
    this.step = step;
    this.detail = detail;
  }
}
const invalid = (step, detail) => new VerifyError('invalid', step, detail);
const unusable = (detail) => new VerifyError('unusable', 'input', detail);

function parse(text) {
  try {
    return parseBundle(text);
  } catch (e) {
    if (e instanceof FormatError) throw new VerifyError('format', 'format', e.message);
    throw e;
  }
}

export function verifyMath(text) {
  const b = parse(text);
  const r = b.record;
  const types = leafTypes(r.schema);
  if (JSON.stringify(types) !== JSON.stringify(b.leafEncoding)) {
    throw invalid('leaf_encoding', `leafEncoding is not the schema of ${r.kind} v${r.version}`);
  }
  for (const acc of b.accounts) {
    if (accountCommitment(acc.accountId, acc.salt) !== r.fields[acc.field]) {
      throw invalid('commitment', `account and salt disclosed for '${acc.field}' do not give the record's commitment`);
    }
  }
  const values = leafValues(r, b.seq);
  if (JSON.stringify(leafValuesJson(values)) !== JSON.stringify(b.value)) {
    throw invalid('value', 'value does not match the record and seq');
  }
  const leaf = leafHash(abiEncode(types, values));
  if (leaf !== b.leaf) throw invalid('leaf', `record and seq give leaf ${leaf}, bundle says ${b.leaf}`);
  const root = processProof(leaf, b.proof);
  if (root !== b.root) throw invalid('root', `the proof path leads to ${root}, bundle says ${b.root}`);
  if (computedChecksum(b) !== b.checksum) throw invalid('checksum', 'the bundle was altered after it was made');
  return { bundle: b, root };
}

const selector = (sig) => keccakHex(enc.encode(sig)).slice(0, 10);
const topic = (sig) => keccakHex(enc.encode(sig));
const hexWord = (n) => [...word(BigInt(n))].map((x) => x.toString(16).padStart(2, '0')).join('');

export function hexInt(v, what) {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]+$/.test(v)) throw unusable(`RPC returned a malformed quantity for ${what}`);
  return BigInt(v);
}
function hexData(v, what) {
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v)) throw unusable(`RPC returned malformed data for ${what}`);
  return v.toLowerCase();
}

// A JSON-RPC function over fetch (the page and node both have fetch).
export function httpRpc(url, { timeoutMs = 10000 } = {}) {
  if (!/^https?:\/\//.test(url)) throw unusable('the RPC URL must start with http:// or https://');
  let id = 0;
  return async (method, params) => {
    let resp;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    try {
      resp = await fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }), signal: ctl.signal,
      });
    } catch (e) {
      throw unusable(`RPC unreachable (${e.name === 'AbortError' ? 'timeout' : 'connection failed'})`);
    } finally {
      clearTimeout(timer);
    }
    if (!resp.ok) throw unusable(`RPC answered HTTP ${resp.status}`);
    let body;
    try { body = await resp.json(); } catch (e) { throw unusable('RPC did not answer JSON'); }
    if (body === null || typeof body !== 'object') throw unusable('RPC answered a non-object');
    if (body.error) {
      const err = new VerifyError('unusable', 'rpc', `RPC ${method} failed: ${String(body.error.message || body.error).slice(0, 200)}`);
      err.rpcError = true;
      throw err;
    }
    if (!('result' in body)) throw unusable('RPC answered without a result');
    return body.result;
  };
}

// An EIP-1193 provider (window.ethereum) as an rpc function.
export function providerRpc(provider) {
  return async (method, params) => {
    try {
      return await provider.request({ method, params });
    } catch (e) {
      const err = new VerifyError('unusable', 'rpc', `wallet RPC ${method} failed: ${String(e && e.message ? e.message : e).slice(0, 200)}`);
      err.rpcError = true;
      throw err;
    }
  };
}

export async function verifyOnline(text, { rpc, pinned = [], codeHash = PUBLISHED_CODE_HASH, finalityDepth = null, fallbackDepth = DEFAULT_FALLBACK_DEPTH, chains = null, require = null } = {}) {
  const { bundle: b, root } = verifyMath(text);
  if (b.format === FORMAT_V2 || chains !== null) {
    // several chains (multi.mjs): one {rpc, pinned} per chain, a policy over the anchors
    return verifyAnchors(b, root, { chains: chains ?? [{ rpc, pinned }], require, codeHash, finalityDepth, fallbackDepth });
  }
  const a = b.anchor;
  if (a.txHash === null || a.chainId === null || a.contract === null || a.blockNumber === null || a.blockHash === null) {
    throw invalid('anchor', `the bundle is not anchored yet (status ${a.status}): nothing to check on chain`);
  }
  const pins = pinList(pinned);
  const chainId = hexInt(await rpc('eth_chainId', []), 'eth_chainId');
  if (chainId !== a.chainId) {
    throw unusable(`wrong chain: the RPC serves chain ${chainId}, the bundle was anchored on chain ${a.chainId}; use an RPC of chain ${a.chainId}`);
  }
  if (pins.length === 0) throw new VerifyError('unpinned', 'pin', `registry not pinned for chain ${chainId}`);
  const res = await checkAnchor(b, root, a, { rpc, pins, codeHash, finalityDepth, fallbackDepth });
  return {
    ...res, valid: true, recordId: b.record.recordId, kind: b.record.kind, batchId: b.batchId, root,
    summary: `valid: record ${b.record.recordId} (${b.record.kind}) is in batch ${b.batchId}, root ${root}, anchored in ` +
      `registry ${res.contract} (pinned by you; code = the published ${CONTRACT_NAME}) on chain ${res.chainId} in block ${res.blockNumber}, final (${res.finalityRule})`,
  };
}

// The registry addresses a user typed for a chain, checked and lowercased.
export function pinList(pinned) {
  const pins = [];
  for (const p of pinned) {
    if (typeof p !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(p.trim())) throw unusable(`pinned registry '${p}' is not 0x followed by 40 hex digits`);
    pins.push(p.trim().toLowerCase());
  }
  return pins;
}

// One anchor `a` of bundle `b` (whose math gave `root`), over `rpc` (an RPC of the anchor's
// chain), against `pins` (the registries pinned there): Python's check_anchor, step by step.
export async function checkAnchor(b, root, a, { rpc, pins, codeHash = PUBLISHED_CODE_HASH, finalityDepth = null, fallbackDepth = DEFAULT_FALLBACK_DEPTH }) {
  const chainId = a.chainId;
  if (!pins.includes(a.contract)) {
    throw invalid('contract', `the bundle names registry ${a.contract}, which is not the registry you pinned for chain ${chainId} (${pins.join(', ')})`);
  }
  const address = a.contract;
  const code = hexData(await rpc('eth_getCode', [address, 'latest']), 'eth_getCode');
  if (code === '0x') throw invalid('contract', `no contract at ${address} on chain ${chainId}`);
  const codeBytes = hexToBytes(code);
  for (const [start, length] of IMMUTABLE_RANGES) if (start + length <= codeBytes.length) codeBytes.fill(0, start, start + length);
  const actual = keccakHex(codeBytes);
  if (actual !== codeHash) {
    throw invalid('code', `code at ${address} is not the published ${CONTRACT_NAME} (code hash ${actual}, published ${codeHash})`);
  }
  // 1. the root, read from the contract itself
  const ret = hexData(await rpc('eth_call', [{ to: address, data: selector('rootOf(uint64)') + hexWord(b.batchId) }, 'latest']), 'eth_call');
  if (ret.length !== 66) throw invalid('contract', `${address} did not answer rootOf(uint64) properly`);
  if (BigInt(ret) === 0n) throw invalid('chain_root', `batch ${b.batchId} is not anchored in contract ${address}`);
  if (ret !== root) throw invalid('chain_root', `the contract holds root ${ret} for batch ${b.batchId}; the proof leads to ${root}`);
  // 2. the contract's own verify() agrees
  const call = selector('verify(uint64,bytes32[],bytes32)') + hexWord(b.batchId) + hexWord(96) + b.leaf.slice(2) +
    hexWord(b.proof.length) + b.proof.map((p) => p.slice(2)).join('');
  const ok = hexData(await rpc('eth_call', [{ to: address, data: call }, 'latest']), 'eth_call');
  if (ok.length !== 66 || BigInt(ok) !== 1n) throw invalid('contract_verify', "the contract's verify() rejects the proof");
  // 3. the anchoring transaction and its event
  const rcpt = await rpc('eth_getTransactionReceipt', [a.txHash]);
  if (rcpt === null) throw invalid('receipt', `transaction ${a.txHash} not found on chain ${chainId} (dropped or reorged out?)`);
  if (typeof rcpt !== 'object') throw unusable('RPC returned a malformed receipt');
  if (hexInt(rcpt.status, 'receipt status') !== 1n) throw invalid('receipt', `transaction ${a.txHash} reverted`);
  const rBlock = hexInt(rcpt.blockNumber, 'receipt blockNumber');
  const rHash = hexData(rcpt.blockHash, 'receipt blockHash');
  if (rBlock !== a.blockNumber || rHash !== a.blockHash) {
    throw invalid('receipt', `the transaction is in block ${rBlock} (${rHash}); the bundle says block ${a.blockNumber} (${a.blockHash})`);
  }
  const want = [topic(ANCHORED_EVENT), '0x' + hexWord(b.batchId), root];
  if (!Array.isArray(rcpt.logs)) throw unusable('RPC returned a receipt without logs');
  const found = rcpt.logs.some((log) => log && String(log.address || '').toLowerCase() === address &&
    Array.isArray(log.topics) && log.topics.length === 3 && log.topics.every((t, k) => String(t).toLowerCase() === want[k]));
  if (!found) throw invalid('event', `the transaction has no Anchored(batchId=${b.batchId}, root) event from ${address}`);
  // 4. that block is still canonical
  const blk = await rpc('eth_getBlockByNumber', ['0x' + rBlock.toString(16), false]);
  if (blk === null) throw invalid('canonical', `block ${rBlock} does not exist on this chain`);
  const now = hexData(blk.hash, 'block hash');
  if (now !== rHash) throw invalid('canonical', `block ${rBlock} is now ${now}, not the receipt's ${rHash} (reorg)`);
  const blockTime = Number(hexInt(blk.timestamp, 'block timestamp'));
  // 5. and final
  let fin;
  let rule;
  if (finalityDepth !== null) {
    fin = hexInt(await rpc('eth_blockNumber', []), 'eth_blockNumber') - BigInt(finalityDepth);
    rule = `${finalityDepth} blocks deep`;
  } else {
    let fb;
    try {
      fb = await rpc('eth_getBlockByNumber', ['finalized', false]);
      fin = fb === null ? -1n : hexInt(fb.number, 'finalized block number');
      rule = `finalized block ${fin}`;
    } catch (e) {
      if (!e.rpcError) throw e;
      fin = hexInt(await rpc('eth_blockNumber', []), 'eth_blockNumber') - BigInt(fallbackDepth);
      rule = `no finalized tag: ${fallbackDepth} blocks deep`;
    }
  }
  if (rBlock > fin) throw invalid('finality', `block ${rBlock} is not final yet (final up to block ${fin}; ${rule})`);
  return { chainId, contract: address, codeHash: actual, blockNumber: rBlock, blockHash: rHash, blockTime, finalizedBlock: fin, finalityRule: rule };
}

// Python's verdict classes, for the parity tests: {verdict: 'valid'|'invalid'|'format', step}
export function mathVerdict(text) {
  try {
    verifyMath(text);
    return { verdict: 'valid', step: null };
  } catch (e) {
    if (e instanceof VerifyError) return { verdict: e.kind, step: e.step, detail: e.detail };
    return { verdict: 'crash', step: null, detail: String(e && e.stack ? e.stack : e) };
  }
}

export { concat };
export { parseReceipt, receiptVerdict, verifyReceipt, ReceiptError } from './receipt.mjs';
export { readAnchors } from './anchors.mjs';

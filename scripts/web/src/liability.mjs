// Liability proofs ("ledger-anchor-liability/1") in the browser: the same parse rules, checks,
// order and step names as Python's anchor/core/liability_proof.py (math) and
// anchor/verifier/liability.py (chain). docs/liability-proof-format.md is the specification.
// No DOM here: liability_page.mjs wires it to the page.
//
// verifyLiabilityMath(text, {account}) -> {bundle, root, totals}
// verifyLiabilityOnline(text, {rpc, pinned, account, expectedRound}) -> result
//   rpc(method, params) -> Promise<result> (httpRpc / providerRpc of verify.mjs)
//   pinned: the LiabilitiesRegistry address YOU trust (never the bundle's)
// Failures throw VerifyError {kind: 'invalid'|'format'|'unusable'|'unpinned', step, detail}.
import { isObject, parseDocument } from './json.mjs';
import { accountCommitment, bytesToHex, concat, enc, hexToBytes, keccakHex, word } from './records.mjs';
import { VerifyError } from './verify.mjs';
import { LIABILITIES_CODE_HASH, LIABILITIES_CONTRACT_NAME, LIABILITIES_IMMUTABLE_RANGES } from './generated.mjs';

export { LIABILITIES_CODE_HASH };
export const LIABILITY_FORMAT = 'ledger-anchor-liability/1';
export const MAX_AMOUNT = (1n << 128n) - 1n; // a leaf's balance, per asset
export const MAX_SUM = (1n << 160n) - 1n; // any sum: 2^32 leaves x (2^128 - 1) stays below it
const MAX_BYTES = 256 * 1024;
const MAX_DEPTH = 32;
const MAX_ASSETS = 16;
const U64 = (1n << 64n) - 1n;
const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const ADDR = /^0x[0-9a-fA-F]{40}$/;
const DEC = /^(0|[1-9][0-9]{0,77})$/;
const ID = /^[\x21-\x7e]{1,128}$/;

const fail = (msg) => new VerifyError('format', 'format', 'liability bundle: ' + msg);
const invalid = (step, detail) => new VerifyError('invalid', step, detail);
const unusable = (detail) => new VerifyError('unusable', 'input', detail);

function obj(v, where, keys) {
  if (!isObject(v)) throw fail(`${where}: an object expected`);
  const unknown = Object.keys(v).filter((k) => !keys.includes(k)).sort();
  const missing = keys.filter((k) => !(k in v)).sort();
  if (unknown.length || missing.length) throw fail(`${where}: unknown keys [${unknown}], missing keys [${missing}]`);
  return v;
}
function int(v, where, lo, hi) {
  if (typeof v !== 'bigint' || v < lo || v > hi) throw fail(`${where}: an integer in ${lo}..${hi} expected`);
  return v;
}
function hex32(v, where) {
  if (typeof v !== 'string' || !HEX32.test(v)) throw fail(`${where}: 0x and 64 hex digits expected`);
  return v.toLowerCase();
}
// decimal strings only: no sign (so no negative amount), no float, no leading zeros
function amounts(v, where, bound, count) {
  if (!Array.isArray(v) || v.length !== count) throw fail(`${where}: a list of ${count} decimal strings expected`);
  return v.map((x) => {
    if (typeof x !== 'string' || !DEC.test(x)) throw fail(`${where}: ${JSON.stringify(String(x))} is not a non-negative decimal string`);
    const n = BigInt(x);
    if (n > bound) throw fail(`${where}: ${x} is above the bound ${bound}`);
    return n;
  });
}

// text -> bundle (the fields Python's LiabilityBundle has); VerifyError 'format' otherwise.
export function parseLiabilityBundle(text) {
  if (typeof text !== 'string') throw fail('must be text');
  const top = parseDocument(text, MAX_BYTES, fail);
  if (!isObject(top) || top.format !== LIABILITY_FORMAT) {
    const got = isObject(top) && typeof top.format === 'string' ? `'${top.format}'` : 'none';
    throw fail(`unknown format ${got} (this verifier reads '${LIABILITY_FORMAT}')`);
  }
  obj(top, 'bundle', ['format', 'round', 'account', 'leaf', 'path', 'anchor', 'reserves']);
  const rd = obj(top.round, 'round', ['round_id', 'cutoff_batch_id', 'leaf_count', 'assets', 'root', 'totals']);
  const assets = rd.assets;
  const sorted = Array.isArray(assets) ? [...new Set(assets)].sort() : [];
  if (!Array.isArray(assets) || assets.length < 1 || assets.length > MAX_ASSETS ||
      !assets.every((a) => typeof a === 'string' && ID.test(a) && a.length <= 32) ||
      sorted.length !== assets.length || sorted.some((a, k) => a !== assets[k])) {
    throw fail('round.assets: 1 to 16 sorted, distinct asset ids expected');
  }
  const na = assets.length;
  const leafCount = int(rd.leaf_count, 'round.leaf_count', 1n, 1n << BigInt(MAX_DEPTH));
  if (leafCount & (leafCount - 1n)) throw fail('round.leaf_count: a power of two expected');
  const depth = leafCount.toString(2).length - 1;
  const ac = obj(top.account, 'account', ['account_id', 'account_salt', 'commitment']);
  if (typeof ac.account_id !== 'string' || !ID.test(ac.account_id)) throw fail('account.account_id: printable ASCII, 1 to 128 characters');
  const lf = obj(top.leaf, 'leaf', ['index', 'salt', 'record_ids', 'balances']);
  const ids = lf.record_ids;
  if (!Array.isArray(ids) || ids.length !== na || !ids.every((r) => typeof r === 'string' && (r === '' || ID.test(r)))) {
    throw fail(`leaf.record_ids: ${na} record ids ("" for none) expected`);
  }
  if (!Array.isArray(top.path) || top.path.length !== depth) throw fail("path: one step per level of the round's tree expected");
  const path = top.path.map((s, k) => {
    const st = obj(s, `path[${k}]`, ['hash', 'sums']);
    return { hash: hex32(st.hash, `path[${k}].hash`), sums: amounts(st.sums, `path[${k}].sums`, MAX_SUM, na) };
  });
  let anchor = null;
  if (top.anchor !== null) {
    const an = obj(top.anchor, 'anchor', ['chain_id', 'contract', 'tx_hash', 'block_number']);
    if (typeof an.contract !== 'string' || !ADDR.test(an.contract)) throw fail('anchor.contract: an address expected');
    anchor = {
      chainId: int(an.chain_id, 'anchor.chain_id', 1n, U64), contract: an.contract.toLowerCase(),
      txHash: hex32(an.tx_hash, 'anchor.tx_hash'), blockNumber: int(an.block_number, 'anchor.block_number', 0n, U64),
    };
  }
  if (top.reserves !== null && !isObject(top.reserves)) throw fail('reserves: an object or null expected');
  return {
    roundId: int(rd.round_id, 'round.round_id', 1n, U64), cutoffBatchId: int(rd.cutoff_batch_id, 'round.cutoff_batch_id', 1n, U64),
    leafCount, depth, assets: [...assets], root: hex32(rd.root, 'round.root'), totals: amounts(rd.totals, 'round.totals', MAX_SUM, na),
    accountId: ac.account_id, accountSalt: hex32(ac.account_salt, 'account.account_salt'), commitment: hex32(ac.commitment, 'account.commitment'),
    index: int(lf.index, 'leaf.index', 0n, leafCount - 1n), leafSalt: hex32(lf.salt, 'leaf.salt'), recordIds: [...ids],
    balances: amounts(lf.balances, 'leaf.balances', MAX_AMOUNT, na), path, anchor, reserves: top.reserves,
  };
}

const words = (values) => concat(...values.map((v) => word(v)));
const u64be = (n) => word(n).slice(24);

export function recordsHash(ids) { return keccakHex(enc.encode(ids.join('\n'))); }

// keccak256(0x00 ‖ uint64 roundId ‖ commitment ‖ salt ‖ recordsHash ‖ balances)
export function liabilityLeaf(roundId, commitment, salt, recHash, balances) {
  return keccakHex(concat(new Uint8Array([0]), u64be(roundId), hexToBytes(commitment), hexToBytes(salt), hexToBytes(recHash), words(balances)));
}

// keccak256(0x01 ‖ left ‖ right ‖ leftSums ‖ rightSums)
export function liabilityNode(left, right, leftSums, rightSums) {
  return keccakHex(concat(new Uint8Array([1]), hexToBytes(left), hexToBytes(right), words(leftSums), words(rightSums)));
}

function checkAccount(b, account) {
  if (account && b.accountId !== account) throw invalid('account', `the proof is of account '${b.accountId}', not yours ('${account}')`);
}

// The math: the commitment is this account's, the leaf and every level's hash and checked sums
// lead to the round's root and totals (as the bundle states them; the chain is checked online).
export function verifyLiabilityMath(text, { account = '' } = {}) {
  const b = parseLiabilityBundle(text);
  checkAccount(b, account);
  if (accountCommitment(b.accountId, b.accountSalt) !== b.commitment) {
    throw invalid('commitment', "the leaf's account commitment is not this account's (id and salt)");
  }
  let h = liabilityLeaf(b.roundId, b.commitment, b.leafSalt, recordsHash(b.recordIds), b.balances);
  let sums = b.balances;
  b.path.forEach((step, level) => {
    const right = ((b.index >> BigInt(level)) & 1n) === 1n;
    h = right ? liabilityNode(step.hash, h, step.sums, sums) : liabilityNode(h, step.hash, sums, step.sums);
    sums = sums.map((s, a) => {
      const t = s + step.sums[a];
      if (t > MAX_SUM) throw invalid('path', `a sum overflows 2^160 - 1 at level ${level + 1} (asset ${b.assets[a]})`);
      return t;
    });
  });
  if (h !== b.root) throw invalid('root', `the path does not lead to the round's root (it leads to ${h})`);
  if (sums.some((s, a) => s !== b.totals[a])) throw invalid('totals', "the path's sums differ from the round's totals");
  return { bundle: b, root: h, totals: sums };
}

// ------------------------------------------------------------------ the contract (raw ABI)

const selector = (sig) => keccakHex(enc.encode(sig)).slice(2, 10);
const hx = (bytes) => bytesToHex(bytes).slice(2);
const w = (n) => hx(word(BigInt(n)));
const uintArray = (values) => w(values.length) + values.map(w).join('');

// verifyLiability(uint64,(bytes32,bytes32,bytes32,uint256[]),uint256,bytes32[],uint256[][])
export function encodeVerifyLiability(b) {
  const leaf = b.commitment.slice(2) + b.leafSalt.slice(2) + recordsHash(b.recordIds).slice(2) + w(128) + uintArray(b.balances);
  const hashes = w(b.path.length) + b.path.map((s) => s.hash.slice(2)).join('');
  const items = b.path.map((s) => uintArray(s.sums));
  let heads = '';
  let at = 32 * items.length;
  for (const item of items) { heads += w(at); at += item.length / 2; }
  const sums = w(items.length) + heads + items.join('');
  const o1 = 5 * 32;
  const o2 = o1 + leaf.length / 2;
  const o3 = o2 + hashes.length / 2;
  return '0x' + selector('verifyLiability(uint64,(bytes32,bytes32,bytes32,uint256[]),uint256,bytes32[],uint256[][])') +
    w(b.roundId) + w(o1) + w(b.index) + w(o2) + w(o3) + leaf + hashes + sums;
}

function data(v, what) {
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v)) throw unusable(`RPC returned malformed data for ${what}`);
  return v.toLowerCase();
}
function wordAt(hex, i) {
  if (hex.length < 2 + 64 * (i + 1)) throw unusable('the contract answered too little data');
  return BigInt('0x' + hex.slice(2 + 64 * i, 2 + 64 * (i + 1)));
}
function arrayAt(hex, offset) {
  const o = Number(offset);
  if (o % 32 || 2 + 2 * (o + 32) > hex.length) throw unusable('the contract answered a malformed array');
  const n = Number(BigInt('0x' + hex.slice(2 + 2 * o, 2 + 2 * o + 64)));
  if (n > 64 || 2 + 2 * (o + 32 * (n + 1)) > hex.length) throw unusable('the contract answered a malformed array');
  return Array.from({ length: n }, (_, k) => hex.slice(2 + 2 * (o + 32 * (k + 1)), 2 + 2 * (o + 32 * (k + 2))));
}
function assetName(word64) {
  const bytes = hexToBytes('0x' + word64);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return new TextDecoder().decode(bytes.slice(0, end));
}

// roundOf(uint64) -> {root, cutoffBatchId, leafCount, assets, totals}
export async function readRound(rpc, address, roundId) {
  const ret = data(await rpc('eth_call', [{ to: address, data: '0x' + selector('roundOf(uint64)') + w(roundId) }, 'latest']), 'roundOf');
  return {
    root: '0x' + ret.slice(2, 66), cutoffBatchId: wordAt(ret, 1), leafCount: wordAt(ret, 2),
    assets: arrayAt(ret, wordAt(ret, 3)).map(assetName), totals: arrayAt(ret, wordAt(ret, 4)).map((x) => BigInt('0x' + x)),
  };
}

// The math, then the round as the contract YOU pinned holds it (Python's verify_liability_online).
export async function verifyLiabilityOnline(text, { rpc, pinned = '', account = '', expectedRound = null, codeHash = LIABILITIES_CODE_HASH } = {}) {
  const { bundle: b, root, totals } = verifyLiabilityMath(text, { account });
  const pin = String(pinned || '').trim();
  if (pin === '') throw new VerifyError('unpinned', 'pin', 'LiabilitiesRegistry not pinned: type the address the exchange publishes');
  if (!ADDR.test(pin)) throw unusable(`pinned LiabilitiesRegistry '${pin}' is not 0x followed by 40 hex digits`);
  const address = pin.toLowerCase();
  const chainId = BigInt(data(await rpc('eth_chainId', []), 'eth_chainId'));
  if (b.anchor !== null && b.anchor.chainId !== chainId) {
    throw unusable(`wrong chain: the RPC serves chain ${chainId}, the bundle says the round is on chain ${b.anchor.chainId}`);
  }
  if (b.anchor !== null && b.anchor.contract !== address) {
    throw invalid('contract', `the bundle names LiabilitiesRegistry ${b.anchor.contract}, which is not the one you pinned (${address})`);
  }
  const code = data(await rpc('eth_getCode', [address, 'latest']), 'eth_getCode');
  if (code === '0x') throw invalid('code', `no contract at ${address} on chain ${chainId}`);
  const bytes = hexToBytes(code);
  for (const [start, length] of LIABILITIES_IMMUTABLE_RANGES) if (start + length <= bytes.length) bytes.fill(0, start, start + length);
  const actual = keccakHex(bytes);
  if (actual !== codeHash) throw invalid('code', `the code at ${address} is not the published ${LIABILITIES_CONTRACT_NAME} (code hash ${actual})`);
  const latest = wordAt(data(await rpc('eth_call', [{ to: address, data: '0x' + selector('lastRoundId()') }, 'latest']), 'lastRoundId'), 0);
  const onChain = await readRound(rpc, address, b.roundId);
  if (BigInt(onChain.root) === 0n) throw invalid('round', `round ${b.roundId} is not anchored there`);
  const wanted = expectedRound === null ? latest : BigInt(expectedRound);
  if (b.roundId !== wanted) {
    throw invalid('latest', `the proof is of round ${b.roundId}, but round ${wanted} is the one to check (latest on chain: ${latest}): ` +
      "an earlier round's proof says nothing of today's");
  }
  if (onChain.root !== root) throw invalid('chain_root', `the contract holds root ${onChain.root} for round ${b.roundId}; the path leads to ${root}`);
  if (onChain.assets.length !== b.assets.length || onChain.assets.some((a, k) => a !== b.assets[k])) {
    throw invalid('chain_assets', `the contract's assets (${onChain.assets.join(', ')}) differ from the bundle's`);
  }
  const differ = b.assets.filter((_, a) => onChain.totals[a] !== totals[a]);
  if (onChain.totals.length !== totals.length || differ.length) {
    throw invalid('chain_totals', `the totals on chain differ from the sums the path gives (${differ.map((a) => {
      const k = b.assets.indexOf(a);
      return `${a}: chain ${onChain.totals[k]}, tree ${totals[k]}`;
    }).join('; ')})`);
  }
  if (onChain.leafCount !== b.leafCount || onChain.cutoffBatchId !== b.cutoffBatchId) {
    throw invalid('chain_leaf_count', "leaf count or cut-off differ from the chain's");
  }
  const ok = data(await rpc('eth_call', [{ to: address, data: encodeVerifyLiability(b) }, 'latest']), 'verifyLiability');
  if (wordAt(ok, 0) !== 1n) throw invalid('contract_verify', "the contract's verifyLiability said false");
  return {
    valid: true, roundId: b.roundId, latestRound: latest, cutoffBatchId: b.cutoffBatchId, accountId: b.accountId,
    assets: b.assets, balances: b.balances, totals: onChain.totals, root, chainId, contract: address, leafCount: b.leafCount,
  };
}

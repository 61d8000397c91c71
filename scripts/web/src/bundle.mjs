// Proof bundles v1 ("ledger-anchor-proof/1") and v2 ("ledger-anchor-proof/2": "anchors", one
// per chain), read as a JSON value: the rules of Python's anchor/core/proof_parse.py
// (_parse_strict) and anchor/core/proof_json.py. Any formatting is accepted; the parsed
// document must equal the canonical bundle's exactly. A v2 bundle's `anchor` is its most
// advanced anchor (Python's principal_anchor); `anchors` lists them all (v1: its one anchor).
import { FormatError, dumps, firstDifference, isObject, parseJson } from './json.mjs';
import { accountFields, canonicalRecordObj, enc, keccakHex, parseAccountId, parseRedacted } from './records.mjs';

export const FORMAT = 'ledger-anchor-proof/1';
export const FORMAT_V2 = 'ledger-anchor-proof/2';
export const MAX_BUNDLE_BYTES = 1 << 20;
const MAX_ANCHORS = 16;
const MAX_PROOF_LEN = 64;
const U64 = (1n << 64n) - 1n;
const KEYS = ['format', 'batchId', 'seq', 'record', 'accounts', 'leafEncoding', 'value', 'leaf', 'proof', 'root', 'anchor', 'checksum'];
const KEYS2 = KEYS.map((k) => (k === 'anchor' ? 'anchors' : k));
const ANCHOR_KEYS = ['chainId', 'contract', 'txHash', 'blockNumber', 'blockHash', 'status'];
const ACCOUNT_KEYS = ['field', 'accountId', 'salt'];
const STATUSES = ['pending', 'included', 'final'];
const H32 = /^0x[0-9a-f]{64}$/;
const ADDR = /^0x[0-9a-f]{40}$/;

const fail = (msg) => new FormatError(msg);

function exactKeys(v, where, keys) {
  if (!isObject(v)) throw fail(`${where || 'the bundle'} must be an object`);
  for (const k of keys) if (!(k in v)) throw fail(where ? `missing field ${where}.${k}` : `missing field '${k}'`);
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw fail(where ? `unknown field ${where}.${k}` : `unknown field '${k}'`);
  return v;
}
function u64(v, where, nullable = false) {
  if (v === null && nullable) return null;
  if (typeof v !== 'bigint' || v < 0n || v > U64) throw fail(`${where} must be an unsigned 64-bit integer`);
  return v;
}
function h32(v, where, nullable = false) {
  if (v === null && nullable) return null;
  if (typeof v !== 'string' || !H32.test(v)) throw fail(`${where}: malformed hex (expected 0x and 64 lowercase hex digits)`);
  return v;
}
function strList(v, where, limit) {
  if (!Array.isArray(v) || v.length > limit || !v.every((x) => typeof x === 'string')) throw fail(`${where} must be an array of at most ${limit} strings`);
  return v;
}

// text (string) -> bundle; FormatError naming the problem otherwise.
export function parseBundle(text) {
  if (typeof text !== 'string') throw fail('must be text');
  if (enc.encode(text).length > MAX_BUNDLE_BYTES) throw fail(`too large (maximum ${MAX_BUNDLE_BYTES} bytes)`);
  const top = parseJson(text);
  if (!isObject(top)) throw fail('must be a JSON object');
  if (top.format !== FORMAT && top.format !== FORMAT_V2) {
    if (typeof top.format === 'string' && top.format.startsWith('ledger-anchor-proof/')) throw fail(`unsupported format version '${top.format}' (this verifier reads '${FORMAT}' and '${FORMAT_V2}')`);
    throw fail(`unknown format (expected '${FORMAT}' and '${FORMAT_V2}')`);
  }
  const v2 = top.format === FORMAT_V2;
  exactKeys(top, '', v2 ? KEYS2 : KEYS);
  const batchId = u64(top.batchId, 'batchId');
  const seq = u64(top.seq, 'seq');
  if (!isObject(top.record)) throw fail('record must be an object');
  const record = parseRedacted(top.record);
  const accFields = accountFields(record.schema);
  if (!Array.isArray(top.accounts) || top.accounts.length > accFields.length) throw fail(`accounts must be an array of at most ${accFields.length} objects`);
  const accounts = [];
  top.accounts.forEach((a, k) => {
    exactKeys(a, `accounts[${k}]`, ACCOUNT_KEYS);
    if (!accFields.includes(a.field)) throw fail(`accounts[${k}].field: not an account field of ${record.kind}`);
    if (accounts.some((d) => d.field === a.field)) throw fail(`accounts[${k}].field: disclosed twice`);
    accounts.push({ field: a.field, accountId: parseAccountId(a.accountId, `accounts[${k}].accountId`), salt: h32(a.salt, `accounts[${k}].salt`) });
  });
  const leafEncoding = strList(top.leafEncoding, 'leafEncoding', 64);
  const value = strList(top.value, 'value', 64);
  const leaf = h32(top.leaf, 'leaf');
  if (!Array.isArray(top.proof) || top.proof.length > MAX_PROOF_LEN) throw fail(`proof must be an array of at most ${MAX_PROOF_LEN} hashes`);
  const proof = top.proof.map((p, k) => h32(p, `proof[${k}]`));
  const root = h32(top.root, 'root');
  let anchors;
  if (v2) {
    if (!Array.isArray(top.anchors) || top.anchors.length < 1 || top.anchors.length > MAX_ANCHORS) throw fail(`anchors must be an array of 1 to ${MAX_ANCHORS} anchor objects`);
    anchors = top.anchors.map((an, k) => parseAnchor(an, `anchors[${k}]`));
    let previous = -1n;
    anchors.forEach((a, k) => {
      if (a.chainId === null || a.contract === null) throw fail(`anchors[${k}]: chainId and contract must be given`);
      if (a.chainId <= previous) throw fail(`anchors[${k}]: chainId must be greater than the previous one (one anchor per chain, in increasing chainId order)`);
      previous = a.chainId;
    });
  } else {
    anchors = [parseAnchor(top.anchor, 'anchor')];
  }
  const anchor = v2 ? principalAnchor(anchors) : anchors[0];
  const checksum = h32(top.checksum, 'checksum');
  const bundle = { format: top.format, batchId, seq, record, accounts, leafEncoding, value, leaf, proof, root, anchor, anchors, checksum };
  const where = firstDifference(top, canonicalObj(bundle, true));
  if (where !== null) throw fail(`${where} is not in canonical form (the bundle may be pretty-printed, but no member may be written differently)`);
  return bundle;
}

function parseAnchor(value, where) {
  const an = exactKeys(value, where, ANCHOR_KEYS);
  if (an.contract !== null && (typeof an.contract !== 'string' || !ADDR.test(an.contract))) throw fail(`${where}.contract: malformed address (expected 0x and 40 lowercase hex digits)`);
  if (!STATUSES.includes(an.status)) throw fail(`${where}.status: must be one of ${STATUSES.join(', ')}`);
  const anchor = {
    chainId: u64(an.chainId, `${where}.chainId`, true),
    contract: an.contract,
    txHash: h32(an.txHash, `${where}.txHash`, true),
    blockNumber: u64(an.blockNumber, `${where}.blockNumber`, true),
    blockHash: h32(an.blockHash, `${where}.blockHash`, true),
    status: an.status,
  };
  if (anchor.status !== 'pending' && [anchor.chainId, anchor.contract, anchor.txHash, anchor.blockNumber, anchor.blockHash].includes(null)) {
    throw fail(`${where}: status '${anchor.status}' needs chainId, contract, txHash, blockNumber and blockHash`);
  }
  return anchor;
}

const RANK = { final: 2, included: 1, pending: 0 };
// The most advanced anchor (final, included, pending; ties: the lowest chain id).
function principalAnchor(anchors) {
  let best = anchors[0];
  for (const a of anchors) if (RANK[a.status] > RANK[best.status]) best = a;
  return best;
}

export function canonicalObj(b, withChecksum) {
  const v2 = b.format === FORMAT_V2;
  const obj = {
    format: v2 ? FORMAT_V2 : FORMAT,
    batchId: b.batchId,
    seq: b.seq,
    record: canonicalRecordObj(b.record),
    accounts: b.accounts.map((a) => ({ field: a.field, accountId: a.accountId, salt: a.salt })),
    leafEncoding: [...b.leafEncoding],
    value: [...b.value],
    leaf: b.leaf,
    proof: [...b.proof],
    root: b.root,
  };
  if (v2) obj.anchors = b.anchors.map((a) => ({ ...a }));
  else obj.anchor = { ...b.anchor };
  if (withChecksum) obj.checksum = b.checksum;
  return obj;
}

// keccak256 of the canonical bundle without its checksum member (Python's computed_checksum).
export function computedChecksum(b) {
  return keccakHex(enc.encode(dumps(canonicalObj(b, false)) + '\n'));
}

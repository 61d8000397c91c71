// Signed ingest receipts ("ledger-anchor-ingest-receipt/1"), checked in the browser exactly as
// Python's anchor/core/receipt.py does (same steps, same names): the record's path to the
// signed load root (receipt leaf: abi.encode(uint8 255, uint16 1, string id, uint64 seq,
// bytes32 leaf), hashed like a record leaf), its seq inside the load, the deadline, then the EIP-712 signature,
// which must recover to the signer address YOU pinned (the receipt's own `signer` is
// informational). docs/receipt-format.md is the reference.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { isObject, parseDocument } from './json.mjs';
import { abiEncode, bytesToHex, concat, enc, hexToBytes, keccakHex, leafHash, processProof, word } from './records.mjs';

export const RECEIPT_FORMAT = 'ledger-anchor-ingest-receipt/1';
export const DOMAIN = { name: 'ledger-anchor ingest receipts', version: '1' };
const DOMAIN_TYPE = 'EIP712Domain(string name,string version)';
const RECEIPT_TYPE = 'IngestReceipt(bytes32 loadRoot,uint64 firstSeq,uint64 count,uint64 ingestedAt,uint64 deadline)';
const KEYS = ['format', 'recordId', 'leaf', 'seq', 'ingestedAt', 'deadline', 'load', 'signer', 'signature'];
const LOAD_KEYS = ['root', 'firstSeq', 'count', 'proof'];
const H32 = /^0x[0-9a-f]{64}$/;
const ADDR = /^0x[0-9a-f]{40}$/;
const SIG = /^0x[0-9a-f]{130}$/;
const U64 = (1n << 64n) - 1n;
const MAX_RECEIPT_BYTES = 1 << 16;
const N = secp256k1.Point.CURVE().n;

export class ReceiptError extends Error {
  constructor(kind, step, detail) {
    super(detail);
    this.kind = kind; // 'format' | 'invalid'
    this.step = step;
    this.detail = detail;
  }
}
const bad = (msg) => new ReceiptError('format', 'format', `receipt: ${msg}`);

function obj(v, where, keys) {
  if (!isObject(v)) throw bad(`${where || 'the receipt'} must be an object`);
  for (const k of keys) if (!(k in v)) throw bad(`missing field ${where ? where + '.' : ''}${k}`);
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw bad(`unknown field ${where ? where + '.' : ''}${k}`);
  return v;
}
function u64(v, where) {
  if (typeof v !== 'bigint' || v < 0n || v > U64) throw bad(`${where} must be an unsigned 64-bit integer`);
  return v;
}
function hex(v, where, re) {
  if (typeof v !== 'string' || !re.test(v)) throw bad(`${where}: malformed hex`);
  return v;
}

export function parseReceipt(text) {
  if (typeof text !== 'string') throw bad('not text');
  const top = parseDocument(text, MAX_RECEIPT_BYTES, bad);
  if (!isObject(top) || top.format !== RECEIPT_FORMAT) {
    const fmt = isObject(top) ? top.format : undefined;
    throw bad(`unknown format ${JSON.stringify(fmt === undefined ? null : fmt)} (expected '${RECEIPT_FORMAT}')`);
  }
  obj(top, '', KEYS);
  const rid = top.recordId;
  if (typeof rid !== 'string' || rid.length === 0 || rid.length > 128) throw bad('recordId must be a string of 1 to 128 characters');
  const load = obj(top.load, 'load', LOAD_KEYS);
  if (!Array.isArray(load.proof) || load.proof.length > 64) throw bad('load.proof must be an array of at most 64 hashes');
  if (typeof top.signer !== 'string' || !ADDR.test(top.signer)) throw bad('signer: malformed address (0x and 40 lowercase hex digits)');
  return {
    recordId: rid,
    leaf: hex(top.leaf, 'leaf', H32),
    seq: u64(top.seq, 'seq'),
    ingestedAt: u64(top.ingestedAt, 'ingestedAt'),
    deadline: u64(top.deadline, 'deadline'),
    loadRoot: hex(load.root, 'load.root', H32),
    firstSeq: u64(load.firstSeq, 'load.firstSeq'),
    count: u64(load.count, 'load.count'),
    proof: load.proof.map((p, i) => hex(p, `load.proof[${i}]`, H32)),
    signer: top.signer,
    signature: hex(top.signature, 'signature', SIG),
  };
}

export function receiptLeaf(recordId, leaf, seq) {
  return leafHash(abiEncode(['uint8', 'uint16', 'string', 'uint64', 'bytes32'], [255n, 1n, recordId, seq, leaf]));
}

export function loadDigest(root, firstSeq, count, ingestedAt, deadline) {
  const k = (b) => keccak_256(b);
  const domain = k(concat(k(enc.encode(DOMAIN_TYPE)), k(enc.encode(DOMAIN.name)), k(enc.encode(DOMAIN.version))));
  const struct = k(concat(k(enc.encode(RECEIPT_TYPE)), hexToBytes(root), word(firstSeq), word(count), word(ingestedAt), word(deadline)));
  return k(concat(new Uint8Array([0x19, 0x01]), domain, struct));
}

// ecrecover: the Ethereum address that signed `digest` (r || s || v, v 27/28 or 0/1; high s refused)
export function recoverAddress(digest, signatureHex) {
  const sig = hexToBytes(signatureHex);
  let v = sig[64];
  if (v >= 27) v -= 27;
  if (v !== 0 && v !== 1) return null;
  const s = BigInt(bytesToHex(sig.slice(32, 64)));
  if (s > N / 2n) return null;
  try {
    const pub = secp256k1.Signature.fromBytes(sig.slice(0, 64), 'compact').addRecoveryBit(v).recoverPublicKey(digest);
    return '0x' + keccakHex(pub.toBytes(false).slice(1)).slice(-40);
  } catch (e) {
    return null;
  }
}

// -> {recordId, seq, ingestedAt, deadline, signer}; ReceiptError otherwise
export function verifyReceipt(text, pinnedSigner) {
  const r = parseReceipt(text);
  const signer = String(pinnedSigner || '').trim().toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(signer)) {
    throw new ReceiptError('unusable', 'input', 'type the receipt signer address the exchange publishes (0x and 40 hex digits), never the receipt\'s own');
  }
  const invalid = (step, detail) => new ReceiptError('invalid', step, detail);
  if (processProof(receiptLeaf(r.recordId, r.leaf, r.seq), r.proof) !== r.loadRoot) {
    throw invalid('receipt_path', 'the record\'s path does not lead to the signed load root');
  }
  if (!(r.firstSeq <= r.seq && r.seq < r.firstSeq + r.count)) throw invalid('receipt_seq', `seq ${r.seq} is outside the signed load`);
  if (r.deadline < r.ingestedAt) throw invalid('receipt_deadline', 'the deadline is before the ingest time');
  const got = recoverAddress(loadDigest(r.loadRoot, r.firstSeq, r.count, r.ingestedAt, r.deadline), r.signature);
  if (got === null) throw invalid('receipt_signature', 'not a valid secp256k1 signature');
  if (got !== signer) throw invalid('receipt_signer', `signed by ${got}, not by the receipt signer you pinned ${signer}`);
  return { recordId: r.recordId, seq: r.seq, ingestedAt: r.ingestedAt, deadline: r.deadline, signer: got, leaf: r.leaf };
}

export function receiptVerdict(text, signer) {
  try {
    verifyReceipt(text, signer);
    return { verdict: 'valid', step: null };
  } catch (e) {
    if (e instanceof ReceiptError) return { verdict: e.kind, step: e.step, detail: e.detail };
    return { verdict: 'crash', step: null, detail: String(e && e.stack ? e.stack : e) };
  }
}

// Records as a proof bundle shows them (accounts as commitments): the schemas, validation,
// the canonical object, the leaf values and their ABI encoding. The same rules as Python's
// anchor/core/records.py; SCHEMAS is generated from it (generated.mjs, checked by a test).
import { keccak_256 } from '@noble/hashes/sha3.js';
import { SCHEMAS } from './generated.mjs';
import { FormatError, isObject } from './json.mjs';

export const LEAF_PREFIX_TYPES = ['uint8', 'uint16', 'string', 'uint64'];
const ABI_OF_TAG = { id: 'string', account: 'bytes32', u32: 'uint32', u64: 'uint64', u256: 'uint256',
  i256: 'int256', enum: 'uint8', hex32: 'bytes32' };
const RANGE = {
  u32: [0n, (1n << 32n) - 1n], u64: [0n, (1n << 64n) - 1n], u256: [0n, (1n << 256n) - 1n],
  i256: [-(1n << 255n), (1n << 255n) - 1n],
};
const ID_RE = /^[\x21-\x7e]+$/;
const HEX32_RE = /^0x[0-9a-fA-F]{64}$/;
export const ZERO32 = '0x' + '00'.repeat(32);

export const enc = new TextEncoder();
export function hexToBytes(h) {
  const s = h.slice(2);
  const out = new Uint8Array(s.length / 2);
  for (let k = 0; k < out.length; k++) out[k] = parseInt(s.slice(2 * k, 2 * k + 2), 16);
  return out;
}
export function bytesToHex(b) {
  let s = '0x';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
export function keccakHex(bytes) { return bytesToHex(keccak_256(bytes)); }
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function recordError(field, problem) { return new FormatError(`record.${field}: ${problem}`); }

export function schemaOf(kind, version) {
  return SCHEMAS.find((s) => s.kind === kind && s.version === version) || null;
}

export function leafTypes(s) { return [...LEAF_PREFIX_TYPES, ...s.fields.map((f) => ABI_OF_TAG[f.tag])]; }
export function accountFields(s) { return s.fields.filter((f) => f.tag === 'account').map((f) => f.name); }

function parseInt256(name, v, lo, hi) {
  let n;
  if (typeof v === 'string') {
    const digits = v.startsWith('-') ? v.slice(1) : v;
    if (v.length > 80 || !/^[0-9]+$/.test(digits)) throw recordError(name, 'must be an integer or a decimal string of digits');
    n = BigInt(v);
  } else if (typeof v === 'bigint') {
    n = v;
  } else {
    throw recordError(name, 'must be an integer or a decimal string');
  }
  if (n < lo) throw recordError(name, lo === 0n ? 'must not be negative' : `below minimum ${lo}`);
  if (n > hi) throw recordError(name, `out of range (maximum ${hi})`);
  return n;
}

function parseId(name, v, maxLen) {
  if (typeof v !== 'string') throw recordError(name, 'must be a string');
  if (!v) throw recordError(name, 'must not be empty');
  if (v.length > maxLen) throw recordError(name, `too long (${v.length} characters, maximum ${maxLen})`);
  if (!ID_RE.test(v)) throw recordError(name, 'must be printable ASCII without spaces or control characters');
  return v;
}

export function parseAccountId(v, where) {
  try { return parseId('accountId', v, 128); } catch (e) { throw new FormatError(`${where}: must be printable ASCII without spaces, 1 to 128 characters`); }
}

function parseHex32(name, v) {
  if (typeof v !== 'string' || !HEX32_RE.test(v)) throw recordError(name, 'bad hex: expected 0x followed by exactly 64 hex digits');
  return v.toLowerCase();
}

// A redacted record (accounts are 0x commitments) -> {schema, recordId, fields}
export function parseRedacted(o) {
  if (!isObject(o)) throw new FormatError('record must be an object');
  if (!('kind' in o)) throw recordError('kind', 'missing field');
  if (typeof o.kind !== 'string' || !SCHEMAS.some((s) => s.kind === o.kind)) throw recordError('kind', 'unknown kind');
  if (!('version' in o)) throw recordError('version', 'missing field');
  const version = parseInt256('version', o.version, 1n, 65535n);
  const s = schemaOf(o.kind, Number(version));
  if (!s) throw recordError('version', `unknown version ${version} for kind ${o.kind}`);
  if (!('record_id' in o)) throw recordError('record_id', 'missing field');
  const recordId = parseId('record_id', o.record_id, 128);
  const allowed = new Set(['kind', 'version', 'record_id', ...s.fields.map((f) => f.name)]);
  for (const k of Object.keys(o)) if (!allowed.has(k)) throw recordError(k, 'unknown field');
  const fields = {};
  for (const f of s.fields) {
    if (!(f.name in o)) {
      if (f.optional) { fields[f.name] = ZERO32; continue; }
      throw recordError(f.name, 'missing field');
    }
    const v = o[f.name];
    if (f.tag in RANGE) fields[f.name] = parseInt256(f.name, v, ...RANGE[f.tag]);
    else if (f.tag === 'id') fields[f.name] = parseId(f.name, v, f.maxLen);
    else if (f.tag === 'account' || f.tag === 'hex32') fields[f.name] = parseHex32(f.name, v);
    else if (f.tag === 'enum') {
      if (typeof v !== 'string' || !f.choices.includes(v)) throw recordError(f.name, `must be one of ${f.choices.join(', ')}`);
      fields[f.name] = v;
    }
  }
  return { schema: s, kind: s.kind, version: s.version, recordId, fields };
}

// The canonical JSON object of a redacted record, keys sorted (as in a bundle).
export function canonicalRecordObj(r) {
  const out = { kind: r.kind, version: BigInt(r.version), record_id: r.recordId };
  for (const f of r.schema.fields) {
    const v = r.fields[f.name];
    if (f.tag in RANGE) out[f.name] = v.toString();
    else if (f.tag === 'hex32') { if (v !== ZERO32) out[f.name] = v; }
    else out[f.name] = v;
  }
  const sorted = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k];
  return sorted;
}

// [type, value] pairs of the leaf: uints/ints as BigInt, bytes32 as 0x hex, strings.
export function leafValues(r, seq) {
  const s = r.schema;
  const vals = [BigInt(s.code), BigInt(s.version), r.recordId, seq];
  for (const f of s.fields) {
    const v = r.fields[f.name];
    vals.push(f.tag === 'enum' ? BigInt(f.choices.indexOf(v)) : v);
  }
  return vals;
}

export function leafValuesJson(values) {
  return values.map((v) => (typeof v === 'bigint' ? v.toString() : v));
}

function word(n) {
  let x = BigInt.asUintN(256, n);
  const out = new Uint8Array(32);
  for (let k = 31; k >= 0; k--) { out[k] = Number(x & 0xffn); x >>= 8n; }
  return out;
}

export function abiEncode(types, values) {
  const head = [];
  const tail = [];
  let offset = 32 * types.length;
  types.forEach((t, k) => {
    const v = values[k];
    if (t === 'string') {
      const data = enc.encode(v);
      const padded = new Uint8Array(Math.ceil(data.length / 32) * 32);
      padded.set(data);
      head.push(word(BigInt(offset)));
      const chunk = concat(word(BigInt(data.length)), padded);
      tail.push(chunk);
      offset += chunk.length;
    } else if (t === 'bytes32') {
      head.push(hexToBytes(v));
    } else {
      head.push(word(v));
    }
  });
  return concat(...head, ...tail);
}

export function leafHash(encoded) { return keccakHex(keccak_256(encoded)); }

export function accountCommitment(accountId, saltHex) {
  return keccakHex(concat(hexToBytes(saltHex), enc.encode(accountId)));
}

// OpenZeppelin's sorted-pair node hash and proof processing.
export function hashPair(a, b) {
  return keccakHex(a <= b ? concat(hexToBytes(a), hexToBytes(b)) : concat(hexToBytes(b), hexToBytes(a)));
}
export function processProof(leaf, proof) { return proof.reduce((acc, p) => hashPair(acc, p), leaf); }
export { word };

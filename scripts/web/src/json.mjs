// A strict JSON parser for proof bundles: what Python's strict decoder accepts, nothing more.
// Integers become BigInt (u64 fields exceed 2^53); a fraction or exponent, a duplicate key,
// trailing data or nesting deeper than 32 levels is a FormatError naming the problem.
// Objects keep their members in a Map-like plain object with a null prototype.

export class FormatError extends Error {
  constructor(message) {
    super('proof bundle: ' + message);
    this.kind = 'format';
    this.step = 'format';
  }
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const MAX_DEPTH = 32;

export function parseJson(text) {
  let i = 0;
  const n = text.length;
  const fail = (msg) => { throw new FormatError(`not valid JSON: ${msg} at char ${i}`); };
  const ws = () => { while (i < n && WS.has(text.charCodeAt(i))) i++; };

  function str() {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) { i++; return out; }
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        const e = text[i + 1];
        const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) { out += simple[e]; i += 2; continue; }
        if (e === 'u') {
          const h = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(h, 16));
          i += 6;
          continue;
        }
        fail('bad escape');
      }
      out += text[i];
      i++;
    }
  }

  function num() {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('bad number');
    if (m[2] || m[3]) throw new FormatError(`non-integer number '${m[0]}'`);
    i += m[0].length;
    return BigInt(m[0]);
  }

  function value(depth) {
    ws();
    if (i >= n) fail('unexpected end');
    const c = text[i];
    if (c === '{') {
      if (depth >= MAX_DEPTH) throw new FormatError('JSON nested too deeply');
      i++;
      const obj = Object.create(null);
      ws();
      if (text[i] === '}') { i++; return obj; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a member name');
        const k = str();
        if (Object.prototype.hasOwnProperty.call(obj, k)) throw new FormatError(`duplicate key '${k}'`);
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        obj[k] = value(depth + 1);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return obj; }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      if (depth >= MAX_DEPTH) throw new FormatError('JSON nested too deeply');
      i++;
      const arr = [];
      ws();
      if (text[i] === ']') { i++; return arr; }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return arr; }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (c === '-' || (c >= '0' && c <= '9')) return num();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    return fail('unexpected character');
  }

  const out = value(0);
  ws();
  if (i !== n) { throw new FormatError(`not valid JSON: trailing data at char ${i}`); }
  return out;
}

// A whole document of another format than the proof bundle: a string of at most maxBytes
// (UTF-8), parsed strictly; problems are reported through fail(message) (the format's error).
export function parseDocument(text, maxBytes, fail) {
  if (new TextEncoder().encode(text).length > maxBytes) throw fail('too large');
  try {
    return parseJson(text);
  } catch (e) {
    if (e instanceof FormatError) throw fail(e.message.replace(/^proof bundle: /, ''));
    throw e;
  }
}

export function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// json.dumps(obj, indent=2, ensure_ascii=True) for our values: plain objects (member order
// kept), arrays, strings, BigInt/number integers, null, booleans.
export function dumps(v, indent = '') {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return quote(v);
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[\n' + v.map((x) => inner + dumps(x, inner)).join(',\n') + '\n' + indent + ']';
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return '{}';
  return '{\n' + keys.map((k) => inner + quote(k) + ': ' + dumps(v[k], inner)).join(',\n') + '\n' + indent + '}';
}

const ESC = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

export function quote(s) {
  let out = '"';
  for (let k = 0; k < s.length; k++) {
    const ch = s[k];
    const c = s.charCodeAt(k);
    if (ch in ESC) out += ESC[ch];
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

// The first path where two parsed JSON values differ (types exact), or null.
export function firstDifference(given, canon, path = '') {
  const here = path || 'the document';
  const tg = Array.isArray(given) ? 'array' : given === null ? 'null' : typeof given;
  const tc = Array.isArray(canon) ? 'array' : canon === null ? 'null' : typeof canon;
  if (tg !== tc) return here;
  if (tc === 'array') {
    if (given.length !== canon.length) return here;
    for (let k = 0; k < canon.length; k++) {
      const d = firstDifference(given[k], canon[k], `${path}[${k}]`);
      if (d) return d;
    }
    return null;
  }
  if (tc === 'object') {
    const sub = (k) => (path ? `${path}.${k}` : k);
    for (const k of Object.keys(canon)) if (!Object.prototype.hasOwnProperty.call(given, k)) return sub(k);
    for (const k of Object.keys(given)) if (!Object.prototype.hasOwnProperty.call(canon, k)) return sub(k);
    for (const k of Object.keys(canon)) {
      const d = firstDifference(given[k], canon[k], sub(k));
      if (d) return d;
    }
    return null;
  }
  return given === canon ? null : here;
}

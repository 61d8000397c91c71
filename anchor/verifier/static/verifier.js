var ledgerAnchorVerifier = (() => {
  var __defProp = Object.defineProperty;
  var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
  var __getOwnPropNames = Object.getOwnPropertyNames;
  var __hasOwnProp = Object.prototype.hasOwnProperty;
  var __defNormalProp = (obj2, key, value) => key in obj2 ? __defProp(obj2, key, { enumerable: true, configurable: true, writable: true, value }) : obj2[key] = value;
  var __export = (target, all) => {
    for (var name in all)
      __defProp(target, name, { get: all[name], enumerable: true });
  };
  var __copyProps = (to, from, except, desc) => {
    if (from && typeof from === "object" || typeof from === "function") {
      for (let key of __getOwnPropNames(from))
        if (!__hasOwnProp.call(to, key) && key !== except)
          __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
    }
    return to;
  };
  var __toCommonJS = (mod2) => __copyProps(__defProp({}, "__esModule", { value: true }), mod2);
  var __publicField = (obj2, key, value) => __defNormalProp(obj2, typeof key !== "symbol" ? key + "" : key, value);

  // src/verify.mjs
  var verify_exports = {};
  __export(verify_exports, {
    ANCHORED_EVENT: () => ANCHORED_EVENT,
    CONTRACT_NAME: () => CONTRACT_NAME,
    DEFAULT_FALLBACK_DEPTH: () => DEFAULT_FALLBACK_DEPTH,
    PUBLISHED_CODE_HASH: () => PUBLISHED_CODE_HASH,
    ReceiptError: () => ReceiptError,
    VerifyError: () => VerifyError,
    checkAnchor: () => checkAnchor,
    concat: () => concat,
    hexInt: () => hexInt,
    httpRpc: () => httpRpc,
    mathVerdict: () => mathVerdict,
    parseReceipt: () => parseReceipt,
    pinList: () => pinList,
    providerRpc: () => providerRpc,
    readAnchors: () => readAnchors,
    receiptVerdict: () => receiptVerdict,
    verifyMath: () => verifyMath,
    verifyOnline: () => verifyOnline,
    verifyReceipt: () => verifyReceipt
  });

  // src/json.mjs
  var FormatError = class extends Error {
    constructor(message) {
      super("proof bundle: " + message);
      this.kind = "format";
      this.step = "format";
    }
  };
  var WS = /* @__PURE__ */ new Set([32, 9, 10, 13]);
  var MAX_DEPTH = 32;
  function parseJson(text) {
    let i = 0;
    const n = text.length;
    const fail2 = (msg) => {
      throw new FormatError(`not valid JSON: ${msg} at char ${i}`);
    };
    const ws = () => {
      while (i < n && WS.has(text.charCodeAt(i))) i++;
    };
    function str() {
      i++;
      let out2 = "";
      for (; ; ) {
        if (i >= n) fail2("unterminated string");
        const c = text.charCodeAt(i);
        if (c === 34) {
          i++;
          return out2;
        }
        if (c < 32) fail2("control character in string");
        if (c === 92) {
          const e = text[i + 1];
          const simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "	" };
          if (e in simple) {
            out2 += simple[e];
            i += 2;
            continue;
          }
          if (e === "u") {
            const h = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(h)) fail2("bad \\u escape");
            out2 += String.fromCharCode(parseInt(h, 16));
            i += 6;
            continue;
          }
          fail2("bad escape");
        }
        out2 += text[i];
        i++;
      }
    }
    function num() {
      const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
      if (!m) fail2("bad number");
      if (m[2] || m[3]) throw new FormatError(`non-integer number '${m[0]}'`);
      i += m[0].length;
      return BigInt(m[0]);
    }
    function value(depth) {
      ws();
      if (i >= n) fail2("unexpected end");
      const c = text[i];
      if (c === "{") {
        if (depth >= MAX_DEPTH) throw new FormatError("JSON nested too deeply");
        i++;
        const obj2 = /* @__PURE__ */ Object.create(null);
        ws();
        if (text[i] === "}") {
          i++;
          return obj2;
        }
        for (; ; ) {
          ws();
          if (text[i] !== '"') fail2("expected a member name");
          const k = str();
          if (Object.prototype.hasOwnProperty.call(obj2, k)) throw new FormatError(`duplicate key '${k}'`);
          ws();
          if (text[i] !== ":") fail2("expected ':'");
          i++;
          obj2[k] = value(depth + 1);
          ws();
          if (text[i] === ",") {
            i++;
            continue;
          }
          if (text[i] === "}") {
            i++;
            return obj2;
          }
          fail2("expected ',' or '}'");
        }
      }
      if (c === "[") {
        if (depth >= MAX_DEPTH) throw new FormatError("JSON nested too deeply");
        i++;
        const arr = [];
        ws();
        if (text[i] === "]") {
          i++;
          return arr;
        }
        for (; ; ) {
          arr.push(value(depth + 1));
          ws();
          if (text[i] === ",") {
            i++;
            continue;
          }
          if (text[i] === "]") {
            i++;
            return arr;
          }
          fail2("expected ',' or ']'");
        }
      }
      if (c === '"') return str();
      if (c === "-" || c >= "0" && c <= "9") return num();
      if (text.startsWith("true", i)) {
        i += 4;
        return true;
      }
      if (text.startsWith("false", i)) {
        i += 5;
        return false;
      }
      if (text.startsWith("null", i)) {
        i += 4;
        return null;
      }
      return fail2("unexpected character");
    }
    const out = value(0);
    ws();
    if (i !== n) {
      throw new FormatError(`not valid JSON: trailing data at char ${i}`);
    }
    return out;
  }
  function parseDocument(text, maxBytes, fail2) {
    if (new TextEncoder().encode(text).length > maxBytes) throw fail2("too large");
    try {
      return parseJson(text);
    } catch (e) {
      if (e instanceof FormatError) throw fail2(e.message.replace(/^proof bundle: /, ""));
      throw e;
    }
  }
  function isObject(v) {
    return v !== null && typeof v === "object" && !Array.isArray(v);
  }
  function dumps(v, indent = "") {
    if (v === null) return "null";
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "bigint" || typeof v === "number") return String(v);
    if (typeof v === "string") return quote(v);
    const inner = indent + "  ";
    if (Array.isArray(v)) {
      if (v.length === 0) return "[]";
      return "[\n" + v.map((x) => inner + dumps(x, inner)).join(",\n") + "\n" + indent + "]";
    }
    const keys = Object.keys(v);
    if (keys.length === 0) return "{}";
    return "{\n" + keys.map((k) => inner + quote(k) + ": " + dumps(v[k], inner)).join(",\n") + "\n" + indent + "}";
  }
  var ESC = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "	": "\\t", "\b": "\\b", "\f": "\\f" };
  function quote(s) {
    let out = '"';
    for (let k = 0; k < s.length; k++) {
      const ch = s[k];
      const c = s.charCodeAt(k);
      if (ch in ESC) out += ESC[ch];
      else if (c < 32 || c > 126) out += "\\u" + c.toString(16).padStart(4, "0");
      else out += ch;
    }
    return out + '"';
  }
  function firstDifference(given, canon, path = "") {
    const here = path || "the document";
    const tg = Array.isArray(given) ? "array" : given === null ? "null" : typeof given;
    const tc = Array.isArray(canon) ? "array" : canon === null ? "null" : typeof canon;
    if (tg !== tc) return here;
    if (tc === "array") {
      if (given.length !== canon.length) return here;
      for (let k = 0; k < canon.length; k++) {
        const d = firstDifference(given[k], canon[k], `${path}[${k}]`);
        if (d) return d;
      }
      return null;
    }
    if (tc === "object") {
      const sub = (k) => path ? `${path}.${k}` : k;
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

  // node_modules/@noble/hashes/_u64.js
  var U32_MASK64 = /* @__PURE__ */ BigInt(2 ** 32 - 1);
  var _32n = /* @__PURE__ */ BigInt(32);
  function fromBig(n, le = false) {
    if (le)
      return { h: Number(n & U32_MASK64), l: Number(n >> _32n & U32_MASK64) };
    return { h: Number(n >> _32n & U32_MASK64) | 0, l: Number(n & U32_MASK64) | 0 };
  }
  function split(lst, le = false) {
    const len = lst.length;
    let Ah = new Uint32Array(len);
    let Al = new Uint32Array(len);
    for (let i = 0; i < len; i++) {
      const { h, l } = fromBig(lst[i], le);
      [Ah[i], Al[i]] = [h, l];
    }
    return [Ah, Al];
  }
  var rotlSH = (h, l, s) => h << s | l >>> 32 - s;
  var rotlSL = (h, l, s) => l << s | h >>> 32 - s;
  var rotlBH = (h, l, s) => l << s - 32 | h >>> 64 - s;
  var rotlBL = (h, l, s) => h << s - 32 | l >>> 64 - s;

  // node_modules/@noble/hashes/utils.js
  /*! noble-hashes - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  function isBytes(a) {
    return a instanceof Uint8Array || ArrayBuffer.isView(a) && a.constructor.name === "Uint8Array";
  }
  function anumber(n, title = "") {
    if (!Number.isSafeInteger(n) || n < 0) {
      const prefix = title && `"${title}" `;
      throw new Error(`${prefix}expected integer >= 0, got ${n}`);
    }
  }
  function abytes(value, length, title = "") {
    const bytes = isBytes(value);
    const len = value?.length;
    const needsLen = length !== void 0;
    if (!bytes || needsLen && len !== length) {
      const prefix = title && `"${title}" `;
      const ofLen = needsLen ? ` of length ${length}` : "";
      const got = bytes ? `length=${len}` : `type=${typeof value}`;
      throw new Error(prefix + "expected Uint8Array" + ofLen + ", got " + got);
    }
    return value;
  }
  function ahash(h) {
    if (typeof h !== "function" || typeof h.create !== "function")
      throw new Error("Hash must wrapped by utils.createHasher");
    anumber(h.outputLen);
    anumber(h.blockLen);
  }
  function aexists(instance, checkFinished = true) {
    if (instance.destroyed)
      throw new Error("Hash instance has been destroyed");
    if (checkFinished && instance.finished)
      throw new Error("Hash#digest() has already been called");
  }
  function aoutput(out, instance) {
    abytes(out, void 0, "digestInto() output");
    const min = instance.outputLen;
    if (out.length < min) {
      throw new Error('"digestInto() output" expected to be of length >=' + min);
    }
  }
  function u32(arr) {
    return new Uint32Array(arr.buffer, arr.byteOffset, Math.floor(arr.byteLength / 4));
  }
  function clean(...arrays) {
    for (let i = 0; i < arrays.length; i++) {
      arrays[i].fill(0);
    }
  }
  function createView(arr) {
    return new DataView(arr.buffer, arr.byteOffset, arr.byteLength);
  }
  function rotr(word2, shift) {
    return word2 << 32 - shift | word2 >>> shift;
  }
  var isLE = /* @__PURE__ */ (() => new Uint8Array(new Uint32Array([287454020]).buffer)[0] === 68)();
  function byteSwap(word2) {
    return word2 << 24 & 4278190080 | word2 << 8 & 16711680 | word2 >>> 8 & 65280 | word2 >>> 24 & 255;
  }
  function byteSwap32(arr) {
    for (let i = 0; i < arr.length; i++) {
      arr[i] = byteSwap(arr[i]);
    }
    return arr;
  }
  var swap32IfBE = isLE ? (u) => u : byteSwap32;
  var hasHexBuiltin = /* @__PURE__ */ (() => (
    // @ts-ignore
    typeof Uint8Array.from([]).toHex === "function" && typeof Uint8Array.fromHex === "function"
  ))();
  var hexes = /* @__PURE__ */ Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
  function bytesToHex(bytes) {
    abytes(bytes);
    if (hasHexBuiltin)
      return bytes.toHex();
    let hex2 = "";
    for (let i = 0; i < bytes.length; i++) {
      hex2 += hexes[bytes[i]];
    }
    return hex2;
  }
  var asciis = { _0: 48, _9: 57, A: 65, F: 70, a: 97, f: 102 };
  function asciiToBase16(ch) {
    if (ch >= asciis._0 && ch <= asciis._9)
      return ch - asciis._0;
    if (ch >= asciis.A && ch <= asciis.F)
      return ch - (asciis.A - 10);
    if (ch >= asciis.a && ch <= asciis.f)
      return ch - (asciis.a - 10);
    return;
  }
  function hexToBytes(hex2) {
    if (typeof hex2 !== "string")
      throw new Error("hex string expected, got " + typeof hex2);
    if (hasHexBuiltin)
      return Uint8Array.fromHex(hex2);
    const hl = hex2.length;
    const al = hl / 2;
    if (hl % 2)
      throw new Error("hex string expected, got unpadded hex of length " + hl);
    const array = new Uint8Array(al);
    for (let ai = 0, hi = 0; ai < al; ai++, hi += 2) {
      const n1 = asciiToBase16(hex2.charCodeAt(hi));
      const n2 = asciiToBase16(hex2.charCodeAt(hi + 1));
      if (n1 === void 0 || n2 === void 0) {
        const char = hex2[hi] + hex2[hi + 1];
        throw new Error('hex string expected, got non-hex character "' + char + '" at index ' + hi);
      }
      array[ai] = n1 * 16 + n2;
    }
    return array;
  }
  function concatBytes(...arrays) {
    let sum = 0;
    for (let i = 0; i < arrays.length; i++) {
      const a = arrays[i];
      abytes(a);
      sum += a.length;
    }
    const res = new Uint8Array(sum);
    for (let i = 0, pad = 0; i < arrays.length; i++) {
      const a = arrays[i];
      res.set(a, pad);
      pad += a.length;
    }
    return res;
  }
  function createHasher(hashCons, info = {}) {
    const hashC = (msg, opts) => hashCons(opts).update(msg).digest();
    const tmp = hashCons(void 0);
    hashC.outputLen = tmp.outputLen;
    hashC.blockLen = tmp.blockLen;
    hashC.create = (opts) => hashCons(opts);
    Object.assign(hashC, info);
    return Object.freeze(hashC);
  }
  function randomBytes(bytesLength = 32) {
    const cr = typeof globalThis === "object" ? globalThis.crypto : null;
    if (typeof cr?.getRandomValues !== "function")
      throw new Error("crypto.getRandomValues must be defined");
    return cr.getRandomValues(new Uint8Array(bytesLength));
  }
  var oidNist = (suffix) => ({
    oid: Uint8Array.from([6, 9, 96, 134, 72, 1, 101, 3, 4, 2, suffix])
  });

  // node_modules/@noble/hashes/sha3.js
  var _0n = BigInt(0);
  var _1n = BigInt(1);
  var _2n = BigInt(2);
  var _7n = BigInt(7);
  var _256n = BigInt(256);
  var _0x71n = BigInt(113);
  var SHA3_PI = [];
  var SHA3_ROTL = [];
  var _SHA3_IOTA = [];
  for (let round = 0, R = _1n, x = 1, y = 0; round < 24; round++) {
    [x, y] = [y, (2 * x + 3 * y) % 5];
    SHA3_PI.push(2 * (5 * y + x));
    SHA3_ROTL.push((round + 1) * (round + 2) / 2 % 64);
    let t = _0n;
    for (let j = 0; j < 7; j++) {
      R = (R << _1n ^ (R >> _7n) * _0x71n) % _256n;
      if (R & _2n)
        t ^= _1n << (_1n << BigInt(j)) - _1n;
    }
    _SHA3_IOTA.push(t);
  }
  var IOTAS = split(_SHA3_IOTA, true);
  var SHA3_IOTA_H = IOTAS[0];
  var SHA3_IOTA_L = IOTAS[1];
  var rotlH = (h, l, s) => s > 32 ? rotlBH(h, l, s) : rotlSH(h, l, s);
  var rotlL = (h, l, s) => s > 32 ? rotlBL(h, l, s) : rotlSL(h, l, s);
  function keccakP(s, rounds = 24) {
    const B = new Uint32Array(5 * 2);
    for (let round = 24 - rounds; round < 24; round++) {
      for (let x = 0; x < 10; x++)
        B[x] = s[x] ^ s[x + 10] ^ s[x + 20] ^ s[x + 30] ^ s[x + 40];
      for (let x = 0; x < 10; x += 2) {
        const idx1 = (x + 8) % 10;
        const idx0 = (x + 2) % 10;
        const B0 = B[idx0];
        const B1 = B[idx0 + 1];
        const Th = rotlH(B0, B1, 1) ^ B[idx1];
        const Tl = rotlL(B0, B1, 1) ^ B[idx1 + 1];
        for (let y = 0; y < 50; y += 10) {
          s[x + y] ^= Th;
          s[x + y + 1] ^= Tl;
        }
      }
      let curH = s[2];
      let curL = s[3];
      for (let t = 0; t < 24; t++) {
        const shift = SHA3_ROTL[t];
        const Th = rotlH(curH, curL, shift);
        const Tl = rotlL(curH, curL, shift);
        const PI = SHA3_PI[t];
        curH = s[PI];
        curL = s[PI + 1];
        s[PI] = Th;
        s[PI + 1] = Tl;
      }
      for (let y = 0; y < 50; y += 10) {
        for (let x = 0; x < 10; x++)
          B[x] = s[y + x];
        for (let x = 0; x < 10; x++)
          s[y + x] ^= ~B[(x + 2) % 10] & B[(x + 4) % 10];
      }
      s[0] ^= SHA3_IOTA_H[round];
      s[1] ^= SHA3_IOTA_L[round];
    }
    clean(B);
  }
  var Keccak = class _Keccak {
    // NOTE: we accept arguments in bytes instead of bits here.
    constructor(blockLen, suffix, outputLen, enableXOF = false, rounds = 24) {
      __publicField(this, "state");
      __publicField(this, "pos", 0);
      __publicField(this, "posOut", 0);
      __publicField(this, "finished", false);
      __publicField(this, "state32");
      __publicField(this, "destroyed", false);
      __publicField(this, "blockLen");
      __publicField(this, "suffix");
      __publicField(this, "outputLen");
      __publicField(this, "enableXOF", false);
      __publicField(this, "rounds");
      this.blockLen = blockLen;
      this.suffix = suffix;
      this.outputLen = outputLen;
      this.enableXOF = enableXOF;
      this.rounds = rounds;
      anumber(outputLen, "outputLen");
      if (!(0 < blockLen && blockLen < 200))
        throw new Error("only keccak-f1600 function is supported");
      this.state = new Uint8Array(200);
      this.state32 = u32(this.state);
    }
    clone() {
      return this._cloneInto();
    }
    keccak() {
      swap32IfBE(this.state32);
      keccakP(this.state32, this.rounds);
      swap32IfBE(this.state32);
      this.posOut = 0;
      this.pos = 0;
    }
    update(data) {
      aexists(this);
      abytes(data);
      const { blockLen, state } = this;
      const len = data.length;
      for (let pos = 0; pos < len; ) {
        const take = Math.min(blockLen - this.pos, len - pos);
        for (let i = 0; i < take; i++)
          state[this.pos++] ^= data[pos++];
        if (this.pos === blockLen)
          this.keccak();
      }
      return this;
    }
    finish() {
      if (this.finished)
        return;
      this.finished = true;
      const { state, suffix, pos, blockLen } = this;
      state[pos] ^= suffix;
      if ((suffix & 128) !== 0 && pos === blockLen - 1)
        this.keccak();
      state[blockLen - 1] ^= 128;
      this.keccak();
    }
    writeInto(out) {
      aexists(this, false);
      abytes(out);
      this.finish();
      const bufferOut = this.state;
      const { blockLen } = this;
      for (let pos = 0, len = out.length; pos < len; ) {
        if (this.posOut >= blockLen)
          this.keccak();
        const take = Math.min(blockLen - this.posOut, len - pos);
        out.set(bufferOut.subarray(this.posOut, this.posOut + take), pos);
        this.posOut += take;
        pos += take;
      }
      return out;
    }
    xofInto(out) {
      if (!this.enableXOF)
        throw new Error("XOF is not possible for this instance");
      return this.writeInto(out);
    }
    xof(bytes) {
      anumber(bytes);
      return this.xofInto(new Uint8Array(bytes));
    }
    digestInto(out) {
      aoutput(out, this);
      if (this.finished)
        throw new Error("digest() was already called");
      this.writeInto(out);
      this.destroy();
      return out;
    }
    digest() {
      return this.digestInto(new Uint8Array(this.outputLen));
    }
    destroy() {
      this.destroyed = true;
      clean(this.state);
    }
    _cloneInto(to) {
      const { blockLen, suffix, outputLen, rounds, enableXOF } = this;
      to || (to = new _Keccak(blockLen, suffix, outputLen, enableXOF, rounds));
      to.state32.set(this.state32);
      to.pos = this.pos;
      to.posOut = this.posOut;
      to.finished = this.finished;
      to.rounds = rounds;
      to.suffix = suffix;
      to.outputLen = outputLen;
      to.enableXOF = enableXOF;
      to.destroyed = this.destroyed;
      return to;
    }
  };
  var genKeccak = (suffix, blockLen, outputLen, info = {}) => createHasher(() => new Keccak(blockLen, suffix, outputLen), info);
  var keccak_256 = /* @__PURE__ */ genKeccak(1, 136, 32);

  // src/generated.mjs
  var SCHEMAS = [
    {
      "kind": "order_event",
      "code": 1,
      "version": 1,
      "fields": [
        {
          "name": "ts_ns",
          "tag": "u64",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "market",
          "tag": "id",
          "maxLen": 32,
          "choices": [],
          "optional": false
        },
        {
          "name": "order_id",
          "tag": "id",
          "maxLen": 128,
          "choices": [],
          "optional": false
        },
        {
          "name": "account",
          "tag": "account",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "action",
          "tag": "enum",
          "maxLen": 0,
          "choices": [
            "new",
            "amend",
            "cancel",
            "fill"
          ],
          "optional": false
        },
        {
          "name": "side",
          "tag": "enum",
          "maxLen": 0,
          "choices": [
            "buy",
            "sell"
          ],
          "optional": false
        },
        {
          "name": "price",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "quantity",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "ext",
          "tag": "hex32",
          "maxLen": 0,
          "choices": [],
          "optional": true
        }
      ]
    },
    {
      "kind": "book_snapshot",
      "code": 2,
      "version": 1,
      "fields": [
        {
          "name": "ts_ns",
          "tag": "u64",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "market",
          "tag": "id",
          "maxLen": 32,
          "choices": [],
          "optional": false
        },
        {
          "name": "side",
          "tag": "enum",
          "maxLen": 0,
          "choices": [
            "buy",
            "sell"
          ],
          "optional": false
        },
        {
          "name": "price",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "quantity",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "order_count",
          "tag": "u32",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "ext",
          "tag": "hex32",
          "maxLen": 0,
          "choices": [],
          "optional": true
        }
      ]
    },
    {
      "kind": "trade",
      "code": 3,
      "version": 1,
      "fields": [
        {
          "name": "ts_ns",
          "tag": "u64",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "market",
          "tag": "id",
          "maxLen": 32,
          "choices": [],
          "optional": false
        },
        {
          "name": "buyer",
          "tag": "account",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "seller",
          "tag": "account",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "buy_order_id",
          "tag": "id",
          "maxLen": 128,
          "choices": [],
          "optional": false
        },
        {
          "name": "sell_order_id",
          "tag": "id",
          "maxLen": 128,
          "choices": [],
          "optional": false
        },
        {
          "name": "taker_side",
          "tag": "enum",
          "maxLen": 0,
          "choices": [
            "buy",
            "sell"
          ],
          "optional": false
        },
        {
          "name": "price",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "quantity",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "buyer_fee",
          "tag": "i256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "seller_fee",
          "tag": "i256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "ext",
          "tag": "hex32",
          "maxLen": 0,
          "choices": [],
          "optional": true
        }
      ]
    },
    {
      "kind": "balance",
      "code": 4,
      "version": 1,
      "fields": [
        {
          "name": "ts_ns",
          "tag": "u64",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "account",
          "tag": "account",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "asset",
          "tag": "id",
          "maxLen": 32,
          "choices": [],
          "optional": false
        },
        {
          "name": "available",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "locked",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "ext",
          "tag": "hex32",
          "maxLen": 0,
          "choices": [],
          "optional": true
        }
      ]
    },
    {
      "kind": "position",
      "code": 5,
      "version": 1,
      "fields": [
        {
          "name": "ts_ns",
          "tag": "u64",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "account",
          "tag": "account",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "market",
          "tag": "id",
          "maxLen": 32,
          "choices": [],
          "optional": false
        },
        {
          "name": "size",
          "tag": "i256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "entry_price",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "collateral_asset",
          "tag": "id",
          "maxLen": 32,
          "choices": [],
          "optional": false
        },
        {
          "name": "collateral",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "initial_margin",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "maintenance_margin",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "ext",
          "tag": "hex32",
          "maxLen": 0,
          "choices": [],
          "optional": true
        }
      ]
    },
    {
      "kind": "instrument",
      "code": 6,
      "version": 1,
      "fields": [
        {
          "name": "ts_ns",
          "tag": "u64",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "market",
          "tag": "id",
          "maxLen": 32,
          "choices": [],
          "optional": false
        },
        {
          "name": "instrument_type",
          "tag": "enum",
          "maxLen": 0,
          "choices": [
            "spot",
            "perpetual",
            "future",
            "option"
          ],
          "optional": false
        },
        {
          "name": "base_asset",
          "tag": "id",
          "maxLen": 32,
          "choices": [],
          "optional": false
        },
        {
          "name": "settlement_asset",
          "tag": "id",
          "maxLen": 32,
          "choices": [],
          "optional": false
        },
        {
          "name": "contract_size",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "initial_margin_bps",
          "tag": "u32",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "maintenance_margin_bps",
          "tag": "u32",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "expiry_ns",
          "tag": "u64",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "strike",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "option_type",
          "tag": "enum",
          "maxLen": 0,
          "choices": [
            "none",
            "call",
            "put"
          ],
          "optional": false
        },
        {
          "name": "ext",
          "tag": "hex32",
          "maxLen": 0,
          "choices": [],
          "optional": true
        }
      ]
    },
    {
      "kind": "journal",
      "code": 7,
      "version": 1,
      "fields": [
        {
          "name": "ts_ns",
          "tag": "u64",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "account",
          "tag": "account",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "asset",
          "tag": "id",
          "maxLen": 32,
          "choices": [],
          "optional": false
        },
        {
          "name": "amount",
          "tag": "i256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "reason",
          "tag": "enum",
          "maxLen": 0,
          "choices": [
            "deposit",
            "withdrawal",
            "fee",
            "funding",
            "realized_pnl",
            "liquidation",
            "insurance_fund",
            "transfer",
            "option_settlement"
          ],
          "optional": false
        },
        {
          "name": "reference",
          "tag": "id",
          "maxLen": 128,
          "choices": [],
          "optional": false
        },
        {
          "name": "ext",
          "tag": "hex32",
          "maxLen": 0,
          "choices": [],
          "optional": true
        }
      ]
    },
    {
      "kind": "mark_price",
      "code": 8,
      "version": 1,
      "fields": [
        {
          "name": "ts_ns",
          "tag": "u64",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "market",
          "tag": "id",
          "maxLen": 32,
          "choices": [],
          "optional": false
        },
        {
          "name": "mark_price",
          "tag": "u256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "funding_rate",
          "tag": "i256",
          "maxLen": 0,
          "choices": [],
          "optional": false
        },
        {
          "name": "ext",
          "tag": "hex32",
          "maxLen": 0,
          "choices": [],
          "optional": true
        }
      ]
    }
  ];
  var CONTRACT_NAME = "AnchorRegistry";
  var PUBLISHED_CODE_HASH = "0x0c2ded89b8a322eef1f3df0ce15b734cb2c2f8c72803c063c61b7a35365a3794";
  var IMMUTABLE_RANGES = [];

  // src/records.mjs
  var LEAF_PREFIX_TYPES = ["uint8", "uint16", "string", "uint64"];
  var ABI_OF_TAG = {
    id: "string",
    account: "bytes32",
    u32: "uint32",
    u64: "uint64",
    u256: "uint256",
    i256: "int256",
    enum: "uint8",
    hex32: "bytes32"
  };
  var RANGE = {
    u32: [0n, (1n << 32n) - 1n],
    u64: [0n, (1n << 64n) - 1n],
    u256: [0n, (1n << 256n) - 1n],
    i256: [-(1n << 255n), (1n << 255n) - 1n]
  };
  var ID_RE = /^[\x21-\x7e]+$/;
  var HEX32_RE = /^0x[0-9a-fA-F]{64}$/;
  var ZERO32 = "0x" + "00".repeat(32);
  var enc = new TextEncoder();
  function hexToBytes2(h) {
    const s = h.slice(2);
    const out = new Uint8Array(s.length / 2);
    for (let k = 0; k < out.length; k++) out[k] = parseInt(s.slice(2 * k, 2 * k + 2), 16);
    return out;
  }
  function bytesToHex2(b) {
    let s = "0x";
    for (const x of b) s += x.toString(16).padStart(2, "0");
    return s;
  }
  function keccakHex(bytes) {
    return bytesToHex2(keccak_256(bytes));
  }
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
  function recordError(field, problem) {
    return new FormatError(`record.${field}: ${problem}`);
  }
  function schemaOf(kind, version) {
    return SCHEMAS.find((s) => s.kind === kind && s.version === version) || null;
  }
  function leafTypes(s) {
    return [...LEAF_PREFIX_TYPES, ...s.fields.map((f) => ABI_OF_TAG[f.tag])];
  }
  function accountFields(s) {
    return s.fields.filter((f) => f.tag === "account").map((f) => f.name);
  }
  function parseInt256(name, v, lo, hi) {
    let n;
    if (typeof v === "string") {
      const digits = v.startsWith("-") ? v.slice(1) : v;
      if (v.length > 80 || !/^[0-9]+$/.test(digits)) throw recordError(name, "must be an integer or a decimal string of digits");
      n = BigInt(v);
    } else if (typeof v === "bigint") {
      n = v;
    } else {
      throw recordError(name, "must be an integer or a decimal string");
    }
    if (n < lo) throw recordError(name, lo === 0n ? "must not be negative" : `below minimum ${lo}`);
    if (n > hi) throw recordError(name, `out of range (maximum ${hi})`);
    return n;
  }
  function parseId(name, v, maxLen) {
    if (typeof v !== "string") throw recordError(name, "must be a string");
    if (!v) throw recordError(name, "must not be empty");
    if (v.length > maxLen) throw recordError(name, `too long (${v.length} characters, maximum ${maxLen})`);
    if (!ID_RE.test(v)) throw recordError(name, "must be printable ASCII without spaces or control characters");
    return v;
  }
  function parseAccountId(v, where) {
    try {
      return parseId("accountId", v, 128);
    } catch (e) {
      throw new FormatError(`${where}: must be printable ASCII without spaces, 1 to 128 characters`);
    }
  }
  function parseHex32(name, v) {
    if (typeof v !== "string" || !HEX32_RE.test(v)) throw recordError(name, "bad hex: expected 0x followed by exactly 64 hex digits");
    return v.toLowerCase();
  }
  function parseRedacted(o) {
    if (!isObject(o)) throw new FormatError("record must be an object");
    if (!("kind" in o)) throw recordError("kind", "missing field");
    if (typeof o.kind !== "string" || !SCHEMAS.some((s2) => s2.kind === o.kind)) throw recordError("kind", "unknown kind");
    if (!("version" in o)) throw recordError("version", "missing field");
    const version = parseInt256("version", o.version, 1n, 65535n);
    const s = schemaOf(o.kind, Number(version));
    if (!s) throw recordError("version", `unknown version ${version} for kind ${o.kind}`);
    if (!("record_id" in o)) throw recordError("record_id", "missing field");
    const recordId = parseId("record_id", o.record_id, 128);
    const allowed = /* @__PURE__ */ new Set(["kind", "version", "record_id", ...s.fields.map((f) => f.name)]);
    for (const k of Object.keys(o)) if (!allowed.has(k)) throw recordError(k, "unknown field");
    const fields = {};
    for (const f of s.fields) {
      if (!(f.name in o)) {
        if (f.optional) {
          fields[f.name] = ZERO32;
          continue;
        }
        throw recordError(f.name, "missing field");
      }
      const v = o[f.name];
      if (f.tag in RANGE) fields[f.name] = parseInt256(f.name, v, ...RANGE[f.tag]);
      else if (f.tag === "id") fields[f.name] = parseId(f.name, v, f.maxLen);
      else if (f.tag === "account" || f.tag === "hex32") fields[f.name] = parseHex32(f.name, v);
      else if (f.tag === "enum") {
        if (typeof v !== "string" || !f.choices.includes(v)) throw recordError(f.name, `must be one of ${f.choices.join(", ")}`);
        fields[f.name] = v;
      }
    }
    return { schema: s, kind: s.kind, version: s.version, recordId, fields };
  }
  function canonicalRecordObj(r) {
    const out = { kind: r.kind, version: BigInt(r.version), record_id: r.recordId };
    for (const f of r.schema.fields) {
      const v = r.fields[f.name];
      if (f.tag in RANGE) out[f.name] = v.toString();
      else if (f.tag === "hex32") {
        if (v !== ZERO32) out[f.name] = v;
      } else out[f.name] = v;
    }
    const sorted = {};
    for (const k of Object.keys(out).sort()) sorted[k] = out[k];
    return sorted;
  }
  function leafValues(r, seq) {
    const s = r.schema;
    const vals = [BigInt(s.code), BigInt(s.version), r.recordId, seq];
    for (const f of s.fields) {
      const v = r.fields[f.name];
      vals.push(f.tag === "enum" ? BigInt(f.choices.indexOf(v)) : v);
    }
    return vals;
  }
  function leafValuesJson(values) {
    return values.map((v) => typeof v === "bigint" ? v.toString() : v);
  }
  function word(n) {
    let x = BigInt.asUintN(256, n);
    const out = new Uint8Array(32);
    for (let k = 31; k >= 0; k--) {
      out[k] = Number(x & 0xffn);
      x >>= 8n;
    }
    return out;
  }
  function abiEncode(types, values) {
    const head = [];
    const tail = [];
    let offset = 32 * types.length;
    types.forEach((t, k) => {
      const v = values[k];
      if (t === "string") {
        const data = enc.encode(v);
        const padded = new Uint8Array(Math.ceil(data.length / 32) * 32);
        padded.set(data);
        head.push(word(BigInt(offset)));
        const chunk = concat(word(BigInt(data.length)), padded);
        tail.push(chunk);
        offset += chunk.length;
      } else if (t === "bytes32") {
        head.push(hexToBytes2(v));
      } else {
        head.push(word(v));
      }
    });
    return concat(...head, ...tail);
  }
  function leafHash(encoded) {
    return keccakHex(keccak_256(encoded));
  }
  function accountCommitment(accountId, saltHex) {
    return keccakHex(concat(hexToBytes2(saltHex), enc.encode(accountId)));
  }
  function hashPair(a, b) {
    return keccakHex(a <= b ? concat(hexToBytes2(a), hexToBytes2(b)) : concat(hexToBytes2(b), hexToBytes2(a)));
  }
  function processProof(leaf, proof) {
    return proof.reduce((acc, p) => hashPair(acc, p), leaf);
  }

  // src/bundle.mjs
  var FORMAT = "ledger-anchor-proof/1";
  var FORMAT_V2 = "ledger-anchor-proof/2";
  var MAX_BUNDLE_BYTES = 1 << 20;
  var MAX_ANCHORS = 16;
  var MAX_PROOF_LEN = 64;
  var U64 = (1n << 64n) - 1n;
  var KEYS = ["format", "batchId", "seq", "record", "accounts", "leafEncoding", "value", "leaf", "proof", "root", "anchor", "checksum"];
  var KEYS2 = KEYS.map((k) => k === "anchor" ? "anchors" : k);
  var ANCHOR_KEYS = ["chainId", "contract", "txHash", "blockNumber", "blockHash", "status"];
  var ACCOUNT_KEYS = ["field", "accountId", "salt"];
  var STATUSES = ["pending", "included", "final"];
  var H32 = /^0x[0-9a-f]{64}$/;
  var ADDR = /^0x[0-9a-f]{40}$/;
  var fail = (msg) => new FormatError(msg);
  function exactKeys(v, where, keys) {
    if (!isObject(v)) throw fail(`${where || "the bundle"} must be an object`);
    for (const k of keys) if (!(k in v)) throw fail(where ? `missing field ${where}.${k}` : `missing field '${k}'`);
    for (const k of Object.keys(v)) if (!keys.includes(k)) throw fail(where ? `unknown field ${where}.${k}` : `unknown field '${k}'`);
    return v;
  }
  function u64(v, where, nullable = false) {
    if (v === null && nullable) return null;
    if (typeof v !== "bigint" || v < 0n || v > U64) throw fail(`${where} must be an unsigned 64-bit integer`);
    return v;
  }
  function h32(v, where, nullable = false) {
    if (v === null && nullable) return null;
    if (typeof v !== "string" || !H32.test(v)) throw fail(`${where}: malformed hex (expected 0x and 64 lowercase hex digits)`);
    return v;
  }
  function strList(v, where, limit) {
    if (!Array.isArray(v) || v.length > limit || !v.every((x) => typeof x === "string")) throw fail(`${where} must be an array of at most ${limit} strings`);
    return v;
  }
  function parseBundle(text) {
    if (typeof text !== "string") throw fail("must be text");
    if (enc.encode(text).length > MAX_BUNDLE_BYTES) throw fail(`too large (maximum ${MAX_BUNDLE_BYTES} bytes)`);
    const top = parseJson(text);
    if (!isObject(top)) throw fail("must be a JSON object");
    if (top.format !== FORMAT && top.format !== FORMAT_V2) {
      if (typeof top.format === "string" && top.format.startsWith("ledger-anchor-proof/")) throw fail(`unsupported format version '${top.format}' (this verifier reads '${FORMAT}' and '${FORMAT_V2}')`);
      throw fail(`unknown format (expected '${FORMAT}' and '${FORMAT_V2}')`);
    }
    const v2 = top.format === FORMAT_V2;
    exactKeys(top, "", v2 ? KEYS2 : KEYS);
    const batchId = u64(top.batchId, "batchId");
    const seq = u64(top.seq, "seq");
    if (!isObject(top.record)) throw fail("record must be an object");
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
    const leafEncoding = strList(top.leafEncoding, "leafEncoding", 64);
    const value = strList(top.value, "value", 64);
    const leaf = h32(top.leaf, "leaf");
    if (!Array.isArray(top.proof) || top.proof.length > MAX_PROOF_LEN) throw fail(`proof must be an array of at most ${MAX_PROOF_LEN} hashes`);
    const proof = top.proof.map((p, k) => h32(p, `proof[${k}]`));
    const root = h32(top.root, "root");
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
      anchors = [parseAnchor(top.anchor, "anchor")];
    }
    const anchor = v2 ? principalAnchor(anchors) : anchors[0];
    const checksum = h32(top.checksum, "checksum");
    const bundle = { format: top.format, batchId, seq, record, accounts, leafEncoding, value, leaf, proof, root, anchor, anchors, checksum };
    const where = firstDifference(top, canonicalObj(bundle, true));
    if (where !== null) throw fail(`${where} is not in canonical form (the bundle may be pretty-printed, but no member may be written differently)`);
    return bundle;
  }
  function parseAnchor(value, where) {
    const an = exactKeys(value, where, ANCHOR_KEYS);
    if (an.contract !== null && (typeof an.contract !== "string" || !ADDR.test(an.contract))) throw fail(`${where}.contract: malformed address (expected 0x and 40 lowercase hex digits)`);
    if (!STATUSES.includes(an.status)) throw fail(`${where}.status: must be one of ${STATUSES.join(", ")}`);
    const anchor = {
      chainId: u64(an.chainId, `${where}.chainId`, true),
      contract: an.contract,
      txHash: h32(an.txHash, `${where}.txHash`, true),
      blockNumber: u64(an.blockNumber, `${where}.blockNumber`, true),
      blockHash: h32(an.blockHash, `${where}.blockHash`, true),
      status: an.status
    };
    if (anchor.status !== "pending" && [anchor.chainId, anchor.contract, anchor.txHash, anchor.blockNumber, anchor.blockHash].includes(null)) {
      throw fail(`${where}: status '${anchor.status}' needs chainId, contract, txHash, blockNumber and blockHash`);
    }
    return anchor;
  }
  var RANK = { final: 2, included: 1, pending: 0 };
  function principalAnchor(anchors) {
    let best = anchors[0];
    for (const a of anchors) if (RANK[a.status] > RANK[best.status]) best = a;
    return best;
  }
  function canonicalObj(b, withChecksum) {
    const v2 = b.format === FORMAT_V2;
    const obj2 = {
      format: v2 ? FORMAT_V2 : FORMAT,
      batchId: b.batchId,
      seq: b.seq,
      record: canonicalRecordObj(b.record),
      accounts: b.accounts.map((a) => ({ field: a.field, accountId: a.accountId, salt: a.salt })),
      leafEncoding: [...b.leafEncoding],
      value: [...b.value],
      leaf: b.leaf,
      proof: [...b.proof],
      root: b.root
    };
    if (v2) obj2.anchors = b.anchors.map((a) => ({ ...a }));
    else obj2.anchor = { ...b.anchor };
    if (withChecksum) obj2.checksum = b.checksum;
    return obj2;
  }
  function computedChecksum(b) {
    return keccakHex(enc.encode(dumps(canonicalObj(b, false)) + "\n"));
  }

  // src/multi.mjs
  var describe = (e) => e instanceof VerifyError ? e.kind === "invalid" ? `${e.step}: ${e.detail}` : e.detail : String(e && e.message ? e.message : e);
  async function verifyAnchors(b, root, { chains, require: require2 = null, codeHash, finalityDepth = null, fallbackDepth }) {
    const anchors = b.anchors;
    if (require2 !== null && !(require2 >= 1 && require2 <= anchors.length)) {
      throw new VerifyError("unusable", "input", `require ${require2}: the bundle names ${anchors.length} anchor(s); ask for 1 to ${anchors.length}`);
    }
    const byChain = /* @__PURE__ */ new Map();
    const down = [];
    let opened = false;
    const open = async () => {
      for (const c of chains) {
        try {
          const served = hexInt(await c.rpc("eth_chainId", []), "eth_chainId");
          if (byChain.has(String(served))) throw new VerifyError("unusable", "input", `two RPCs serve chain ${served}: give one per chain`);
          byChain.set(String(served), { rpc: c.rpc, pins: pinList(c.pinned || []) });
        } catch (e) {
          if (require2 === null || e instanceof VerifyError && e.detail.startsWith("two RPCs")) throw e;
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
          throw new VerifyError("invalid", "anchor", `the bundle is not anchored yet (status ${a.status}): nothing to check on chain`);
        }
        if (!opened) await open();
        const chain = byChain.get(String(a.chainId));
        if (!chain) {
          const why = down.length ? ` (${down.join("; ")})` : "";
          throw new VerifyError("unusable", "input", `no RPC given for chain ${a.chainId}, where the bundle names an anchor: add an RPC URL of chain ${a.chainId}${why}`);
        }
        if (chain.pins.length === 0) throw new VerifyError("unpinned", "pin", `registry not pinned for chain ${a.chainId}`);
        held.push(await checkAnchor(b, root, a, { rpc: chain.rpc, pins: chain.pins, codeHash, finalityDepth, fallbackDepth }));
      } catch (e) {
        if (require2 === null) throw e;
        failed.push([a, e]);
      }
    }
    if (require2 !== null && held.length < require2) {
      if (held.length === 0 && failed.length && failed.every(([, e]) => e instanceof VerifyError && e.kind === "unpinned")) throw failed[0][1];
      const detail = failed.map(([a, e]) => `chain ${a.chainId}: ${describe(e)}`).join("; ");
      throw new VerifyError("invalid", "policy", `${held.length} of the ${anchors.length} anchors hold, ${require2} required (${detail})`);
    }
    const policy = require2 === null ? "every anchor named" : `require ${require2}`;
    const list = held.map((h) => `chain ${h.chainId}: registry ${h.contract}, block ${h.blockNumber}, final (${h.finalityRule})`).join("; ");
    return {
      ...held[0],
      valid: true,
      anchors: held,
      named: anchors.length,
      required: require2,
      recordId: b.record.recordId,
      kind: b.record.kind,
      batchId: b.batchId,
      root,
      summary: `valid: record ${b.record.recordId} (${b.record.kind}) is in batch ${b.batchId}, root ${root}; ${held.length} of the ${anchors.length} anchors hold (policy: ${policy}), pinned by you, code = the published ${CONTRACT_NAME}: ${list}`
    };
  }

  // node_modules/@noble/hashes/_md.js
  function Chi(a, b, c) {
    return a & b ^ ~a & c;
  }
  function Maj(a, b, c) {
    return a & b ^ a & c ^ b & c;
  }
  var HashMD = class {
    constructor(blockLen, outputLen, padOffset, isLE2) {
      __publicField(this, "blockLen");
      __publicField(this, "outputLen");
      __publicField(this, "padOffset");
      __publicField(this, "isLE");
      // For partial updates less than block size
      __publicField(this, "buffer");
      __publicField(this, "view");
      __publicField(this, "finished", false);
      __publicField(this, "length", 0);
      __publicField(this, "pos", 0);
      __publicField(this, "destroyed", false);
      this.blockLen = blockLen;
      this.outputLen = outputLen;
      this.padOffset = padOffset;
      this.isLE = isLE2;
      this.buffer = new Uint8Array(blockLen);
      this.view = createView(this.buffer);
    }
    update(data) {
      aexists(this);
      abytes(data);
      const { view, buffer, blockLen } = this;
      const len = data.length;
      for (let pos = 0; pos < len; ) {
        const take = Math.min(blockLen - this.pos, len - pos);
        if (take === blockLen) {
          const dataView = createView(data);
          for (; blockLen <= len - pos; pos += blockLen)
            this.process(dataView, pos);
          continue;
        }
        buffer.set(data.subarray(pos, pos + take), this.pos);
        this.pos += take;
        pos += take;
        if (this.pos === blockLen) {
          this.process(view, 0);
          this.pos = 0;
        }
      }
      this.length += data.length;
      this.roundClean();
      return this;
    }
    digestInto(out) {
      aexists(this);
      aoutput(out, this);
      this.finished = true;
      const { buffer, view, blockLen, isLE: isLE2 } = this;
      let { pos } = this;
      buffer[pos++] = 128;
      clean(this.buffer.subarray(pos));
      if (this.padOffset > blockLen - pos) {
        this.process(view, 0);
        pos = 0;
      }
      for (let i = pos; i < blockLen; i++)
        buffer[i] = 0;
      view.setBigUint64(blockLen - 8, BigInt(this.length * 8), isLE2);
      this.process(view, 0);
      const oview = createView(out);
      const len = this.outputLen;
      if (len % 4)
        throw new Error("_sha2: outputLen must be aligned to 32bit");
      const outLen = len / 4;
      const state = this.get();
      if (outLen > state.length)
        throw new Error("_sha2: outputLen bigger than state");
      for (let i = 0; i < outLen; i++)
        oview.setUint32(4 * i, state[i], isLE2);
    }
    digest() {
      const { buffer, outputLen } = this;
      this.digestInto(buffer);
      const res = buffer.slice(0, outputLen);
      this.destroy();
      return res;
    }
    _cloneInto(to) {
      to || (to = new this.constructor());
      to.set(...this.get());
      const { blockLen, buffer, length, finished, destroyed, pos } = this;
      to.destroyed = destroyed;
      to.finished = finished;
      to.length = length;
      to.pos = pos;
      if (length % blockLen)
        to.buffer.set(buffer);
      return to;
    }
    clone() {
      return this._cloneInto();
    }
  };
  var SHA256_IV = /* @__PURE__ */ Uint32Array.from([
    1779033703,
    3144134277,
    1013904242,
    2773480762,
    1359893119,
    2600822924,
    528734635,
    1541459225
  ]);

  // node_modules/@noble/hashes/sha2.js
  var SHA256_K = /* @__PURE__ */ Uint32Array.from([
    1116352408,
    1899447441,
    3049323471,
    3921009573,
    961987163,
    1508970993,
    2453635748,
    2870763221,
    3624381080,
    310598401,
    607225278,
    1426881987,
    1925078388,
    2162078206,
    2614888103,
    3248222580,
    3835390401,
    4022224774,
    264347078,
    604807628,
    770255983,
    1249150122,
    1555081692,
    1996064986,
    2554220882,
    2821834349,
    2952996808,
    3210313671,
    3336571891,
    3584528711,
    113926993,
    338241895,
    666307205,
    773529912,
    1294757372,
    1396182291,
    1695183700,
    1986661051,
    2177026350,
    2456956037,
    2730485921,
    2820302411,
    3259730800,
    3345764771,
    3516065817,
    3600352804,
    4094571909,
    275423344,
    430227734,
    506948616,
    659060556,
    883997877,
    958139571,
    1322822218,
    1537002063,
    1747873779,
    1955562222,
    2024104815,
    2227730452,
    2361852424,
    2428436474,
    2756734187,
    3204031479,
    3329325298
  ]);
  var SHA256_W = /* @__PURE__ */ new Uint32Array(64);
  var SHA2_32B = class extends HashMD {
    constructor(outputLen) {
      super(64, outputLen, 8, false);
    }
    get() {
      const { A, B, C, D, E, F, G, H } = this;
      return [A, B, C, D, E, F, G, H];
    }
    // prettier-ignore
    set(A, B, C, D, E, F, G, H) {
      this.A = A | 0;
      this.B = B | 0;
      this.C = C | 0;
      this.D = D | 0;
      this.E = E | 0;
      this.F = F | 0;
      this.G = G | 0;
      this.H = H | 0;
    }
    process(view, offset) {
      for (let i = 0; i < 16; i++, offset += 4)
        SHA256_W[i] = view.getUint32(offset, false);
      for (let i = 16; i < 64; i++) {
        const W15 = SHA256_W[i - 15];
        const W2 = SHA256_W[i - 2];
        const s0 = rotr(W15, 7) ^ rotr(W15, 18) ^ W15 >>> 3;
        const s1 = rotr(W2, 17) ^ rotr(W2, 19) ^ W2 >>> 10;
        SHA256_W[i] = s1 + SHA256_W[i - 7] + s0 + SHA256_W[i - 16] | 0;
      }
      let { A, B, C, D, E, F, G, H } = this;
      for (let i = 0; i < 64; i++) {
        const sigma1 = rotr(E, 6) ^ rotr(E, 11) ^ rotr(E, 25);
        const T1 = H + sigma1 + Chi(E, F, G) + SHA256_K[i] + SHA256_W[i] | 0;
        const sigma0 = rotr(A, 2) ^ rotr(A, 13) ^ rotr(A, 22);
        const T2 = sigma0 + Maj(A, B, C) | 0;
        H = G;
        G = F;
        F = E;
        E = D + T1 | 0;
        D = C;
        C = B;
        B = A;
        A = T1 + T2 | 0;
      }
      A = A + this.A | 0;
      B = B + this.B | 0;
      C = C + this.C | 0;
      D = D + this.D | 0;
      E = E + this.E | 0;
      F = F + this.F | 0;
      G = G + this.G | 0;
      H = H + this.H | 0;
      this.set(A, B, C, D, E, F, G, H);
    }
    roundClean() {
      clean(SHA256_W);
    }
    destroy() {
      this.set(0, 0, 0, 0, 0, 0, 0, 0);
      clean(this.buffer);
    }
  };
  var _SHA256 = class extends SHA2_32B {
    constructor() {
      super(32);
      // We cannot use array here since array allows indexing by variable
      // which means optimizer/compiler cannot use registers.
      __publicField(this, "A", SHA256_IV[0] | 0);
      __publicField(this, "B", SHA256_IV[1] | 0);
      __publicField(this, "C", SHA256_IV[2] | 0);
      __publicField(this, "D", SHA256_IV[3] | 0);
      __publicField(this, "E", SHA256_IV[4] | 0);
      __publicField(this, "F", SHA256_IV[5] | 0);
      __publicField(this, "G", SHA256_IV[6] | 0);
      __publicField(this, "H", SHA256_IV[7] | 0);
    }
  };
  var sha256 = /* @__PURE__ */ createHasher(
    () => new _SHA256(),
    /* @__PURE__ */ oidNist(1)
  );

  // node_modules/@noble/curves/utils.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  var _0n2 = /* @__PURE__ */ BigInt(0);
  var _1n2 = /* @__PURE__ */ BigInt(1);
  function abool(value, title = "") {
    if (typeof value !== "boolean") {
      const prefix = title && `"${title}" `;
      throw new Error(prefix + "expected boolean, got type=" + typeof value);
    }
    return value;
  }
  function abignumber(n) {
    if (typeof n === "bigint") {
      if (!isPosBig(n))
        throw new Error("positive bigint expected, got " + n);
    } else
      anumber(n);
    return n;
  }
  function numberToHexUnpadded(num) {
    const hex2 = abignumber(num).toString(16);
    return hex2.length & 1 ? "0" + hex2 : hex2;
  }
  function hexToNumber(hex2) {
    if (typeof hex2 !== "string")
      throw new Error("hex string expected, got " + typeof hex2);
    return hex2 === "" ? _0n2 : BigInt("0x" + hex2);
  }
  function bytesToNumberBE(bytes) {
    return hexToNumber(bytesToHex(bytes));
  }
  function bytesToNumberLE(bytes) {
    return hexToNumber(bytesToHex(copyBytes(abytes(bytes)).reverse()));
  }
  function numberToBytesBE(n, len) {
    anumber(len);
    n = abignumber(n);
    const res = hexToBytes(n.toString(16).padStart(len * 2, "0"));
    if (res.length !== len)
      throw new Error("number too large");
    return res;
  }
  function numberToBytesLE(n, len) {
    return numberToBytesBE(n, len).reverse();
  }
  function copyBytes(bytes) {
    return Uint8Array.from(bytes);
  }
  var isPosBig = (n) => typeof n === "bigint" && _0n2 <= n;
  function inRange(n, min, max) {
    return isPosBig(n) && isPosBig(min) && isPosBig(max) && min <= n && n < max;
  }
  function aInRange(title, n, min, max) {
    if (!inRange(n, min, max))
      throw new Error("expected valid " + title + ": " + min + " <= n < " + max + ", got " + n);
  }
  function bitLen(n) {
    let len;
    for (len = 0; n > _0n2; n >>= _1n2, len += 1)
      ;
    return len;
  }
  var bitMask = (n) => (_1n2 << BigInt(n)) - _1n2;
  function createHmacDrbg(hashLen, qByteLen, hmacFn) {
    anumber(hashLen, "hashLen");
    anumber(qByteLen, "qByteLen");
    if (typeof hmacFn !== "function")
      throw new Error("hmacFn must be a function");
    const u8n = (len) => new Uint8Array(len);
    const NULL = Uint8Array.of();
    const byte0 = Uint8Array.of(0);
    const byte1 = Uint8Array.of(1);
    const _maxDrbgIters = 1e3;
    let v = u8n(hashLen);
    let k = u8n(hashLen);
    let i = 0;
    const reset = () => {
      v.fill(1);
      k.fill(0);
      i = 0;
    };
    const h = (...msgs) => hmacFn(k, concatBytes(v, ...msgs));
    const reseed = (seed = NULL) => {
      k = h(byte0, seed);
      v = h();
      if (seed.length === 0)
        return;
      k = h(byte1, seed);
      v = h();
    };
    const gen = () => {
      if (i++ >= _maxDrbgIters)
        throw new Error("drbg: tried max amount of iterations");
      let len = 0;
      const out = [];
      while (len < qByteLen) {
        v = h();
        const sl = v.slice();
        out.push(sl);
        len += v.length;
      }
      return concatBytes(...out);
    };
    const genUntil = (seed, pred) => {
      reset();
      reseed(seed);
      let res = void 0;
      while (!(res = pred(gen())))
        reseed();
      reset();
      return res;
    };
    return genUntil;
  }
  function validateObject(object, fields = {}, optFields = {}) {
    if (!object || typeof object !== "object")
      throw new Error("expected valid options object");
    function checkField(fieldName, expectedType, isOpt) {
      const val = object[fieldName];
      if (isOpt && val === void 0)
        return;
      const current = typeof val;
      if (current !== expectedType || val === null)
        throw new Error(`param "${fieldName}" is invalid: expected ${expectedType}, got ${current}`);
    }
    const iter = (f, isOpt) => Object.entries(f).forEach(([k, v]) => checkField(k, v, isOpt));
    iter(fields, false);
    iter(optFields, true);
  }
  function memoized(fn) {
    const map = /* @__PURE__ */ new WeakMap();
    return (arg, ...args) => {
      const val = map.get(arg);
      if (val !== void 0)
        return val;
      const computed = fn(arg, ...args);
      map.set(arg, computed);
      return computed;
    };
  }

  // node_modules/@noble/curves/abstract/modular.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  var _0n3 = /* @__PURE__ */ BigInt(0);
  var _1n3 = /* @__PURE__ */ BigInt(1);
  var _2n2 = /* @__PURE__ */ BigInt(2);
  var _3n = /* @__PURE__ */ BigInt(3);
  var _4n = /* @__PURE__ */ BigInt(4);
  var _5n = /* @__PURE__ */ BigInt(5);
  var _7n2 = /* @__PURE__ */ BigInt(7);
  var _8n = /* @__PURE__ */ BigInt(8);
  var _9n = /* @__PURE__ */ BigInt(9);
  var _16n = /* @__PURE__ */ BigInt(16);
  function mod(a, b) {
    const result = a % b;
    return result >= _0n3 ? result : b + result;
  }
  function pow2(x, power, modulo) {
    let res = x;
    while (power-- > _0n3) {
      res *= res;
      res %= modulo;
    }
    return res;
  }
  function invert(number, modulo) {
    if (number === _0n3)
      throw new Error("invert: expected non-zero number");
    if (modulo <= _0n3)
      throw new Error("invert: expected positive modulus, got " + modulo);
    let a = mod(number, modulo);
    let b = modulo;
    let x = _0n3, y = _1n3, u = _1n3, v = _0n3;
    while (a !== _0n3) {
      const q = b / a;
      const r = b % a;
      const m = x - u * q;
      const n = y - v * q;
      b = a, a = r, x = u, y = v, u = m, v = n;
    }
    const gcd = b;
    if (gcd !== _1n3)
      throw new Error("invert: does not exist");
    return mod(x, modulo);
  }
  function assertIsSquare(Fp, root, n) {
    if (!Fp.eql(Fp.sqr(root), n))
      throw new Error("Cannot find square root");
  }
  function sqrt3mod4(Fp, n) {
    const p1div4 = (Fp.ORDER + _1n3) / _4n;
    const root = Fp.pow(n, p1div4);
    assertIsSquare(Fp, root, n);
    return root;
  }
  function sqrt5mod8(Fp, n) {
    const p5div8 = (Fp.ORDER - _5n) / _8n;
    const n2 = Fp.mul(n, _2n2);
    const v = Fp.pow(n2, p5div8);
    const nv = Fp.mul(n, v);
    const i = Fp.mul(Fp.mul(nv, _2n2), v);
    const root = Fp.mul(nv, Fp.sub(i, Fp.ONE));
    assertIsSquare(Fp, root, n);
    return root;
  }
  function sqrt9mod16(P) {
    const Fp_ = Field(P);
    const tn = tonelliShanks(P);
    const c1 = tn(Fp_, Fp_.neg(Fp_.ONE));
    const c2 = tn(Fp_, c1);
    const c3 = tn(Fp_, Fp_.neg(c1));
    const c4 = (P + _7n2) / _16n;
    return (Fp, n) => {
      let tv1 = Fp.pow(n, c4);
      let tv2 = Fp.mul(tv1, c1);
      const tv3 = Fp.mul(tv1, c2);
      const tv4 = Fp.mul(tv1, c3);
      const e1 = Fp.eql(Fp.sqr(tv2), n);
      const e2 = Fp.eql(Fp.sqr(tv3), n);
      tv1 = Fp.cmov(tv1, tv2, e1);
      tv2 = Fp.cmov(tv4, tv3, e2);
      const e3 = Fp.eql(Fp.sqr(tv2), n);
      const root = Fp.cmov(tv1, tv2, e3);
      assertIsSquare(Fp, root, n);
      return root;
    };
  }
  function tonelliShanks(P) {
    if (P < _3n)
      throw new Error("sqrt is not defined for small field");
    let Q = P - _1n3;
    let S = 0;
    while (Q % _2n2 === _0n3) {
      Q /= _2n2;
      S++;
    }
    let Z = _2n2;
    const _Fp = Field(P);
    while (FpLegendre(_Fp, Z) === 1) {
      if (Z++ > 1e3)
        throw new Error("Cannot find square root: probably non-prime P");
    }
    if (S === 1)
      return sqrt3mod4;
    let cc = _Fp.pow(Z, Q);
    const Q1div2 = (Q + _1n3) / _2n2;
    return function tonelliSlow(Fp, n) {
      if (Fp.is0(n))
        return n;
      if (FpLegendre(Fp, n) !== 1)
        throw new Error("Cannot find square root");
      let M = S;
      let c = Fp.mul(Fp.ONE, cc);
      let t = Fp.pow(n, Q);
      let R = Fp.pow(n, Q1div2);
      while (!Fp.eql(t, Fp.ONE)) {
        if (Fp.is0(t))
          return Fp.ZERO;
        let i = 1;
        let t_tmp = Fp.sqr(t);
        while (!Fp.eql(t_tmp, Fp.ONE)) {
          i++;
          t_tmp = Fp.sqr(t_tmp);
          if (i === M)
            throw new Error("Cannot find square root");
        }
        const exponent = _1n3 << BigInt(M - i - 1);
        const b = Fp.pow(c, exponent);
        M = i;
        c = Fp.sqr(b);
        t = Fp.mul(t, c);
        R = Fp.mul(R, b);
      }
      return R;
    };
  }
  function FpSqrt(P) {
    if (P % _4n === _3n)
      return sqrt3mod4;
    if (P % _8n === _5n)
      return sqrt5mod8;
    if (P % _16n === _9n)
      return sqrt9mod16(P);
    return tonelliShanks(P);
  }
  var FIELD_FIELDS = [
    "create",
    "isValid",
    "is0",
    "neg",
    "inv",
    "sqrt",
    "sqr",
    "eql",
    "add",
    "sub",
    "mul",
    "pow",
    "div",
    "addN",
    "subN",
    "mulN",
    "sqrN"
  ];
  function validateField(field) {
    const initial = {
      ORDER: "bigint",
      BYTES: "number",
      BITS: "number"
    };
    const opts = FIELD_FIELDS.reduce((map, val) => {
      map[val] = "function";
      return map;
    }, initial);
    validateObject(field, opts);
    return field;
  }
  function FpPow(Fp, num, power) {
    if (power < _0n3)
      throw new Error("invalid exponent, negatives unsupported");
    if (power === _0n3)
      return Fp.ONE;
    if (power === _1n3)
      return num;
    let p = Fp.ONE;
    let d = num;
    while (power > _0n3) {
      if (power & _1n3)
        p = Fp.mul(p, d);
      d = Fp.sqr(d);
      power >>= _1n3;
    }
    return p;
  }
  function FpInvertBatch(Fp, nums, passZero = false) {
    const inverted = new Array(nums.length).fill(passZero ? Fp.ZERO : void 0);
    const multipliedAcc = nums.reduce((acc, num, i) => {
      if (Fp.is0(num))
        return acc;
      inverted[i] = acc;
      return Fp.mul(acc, num);
    }, Fp.ONE);
    const invertedAcc = Fp.inv(multipliedAcc);
    nums.reduceRight((acc, num, i) => {
      if (Fp.is0(num))
        return acc;
      inverted[i] = Fp.mul(acc, inverted[i]);
      return Fp.mul(acc, num);
    }, invertedAcc);
    return inverted;
  }
  function FpLegendre(Fp, n) {
    const p1mod2 = (Fp.ORDER - _1n3) / _2n2;
    const powered = Fp.pow(n, p1mod2);
    const yes = Fp.eql(powered, Fp.ONE);
    const zero = Fp.eql(powered, Fp.ZERO);
    const no = Fp.eql(powered, Fp.neg(Fp.ONE));
    if (!yes && !zero && !no)
      throw new Error("invalid Legendre symbol result");
    return yes ? 1 : zero ? 0 : -1;
  }
  function nLength(n, nBitLength) {
    if (nBitLength !== void 0)
      anumber(nBitLength);
    const _nBitLength = nBitLength !== void 0 ? nBitLength : n.toString(2).length;
    const nByteLength = Math.ceil(_nBitLength / 8);
    return { nBitLength: _nBitLength, nByteLength };
  }
  var _Field = class {
    constructor(ORDER, opts = {}) {
      __publicField(this, "ORDER");
      __publicField(this, "BITS");
      __publicField(this, "BYTES");
      __publicField(this, "isLE");
      __publicField(this, "ZERO", _0n3);
      __publicField(this, "ONE", _1n3);
      __publicField(this, "_lengths");
      __publicField(this, "_sqrt");
      // cached sqrt
      __publicField(this, "_mod");
      if (ORDER <= _0n3)
        throw new Error("invalid field: expected ORDER > 0, got " + ORDER);
      let _nbitLength = void 0;
      this.isLE = false;
      if (opts != null && typeof opts === "object") {
        if (typeof opts.BITS === "number")
          _nbitLength = opts.BITS;
        if (typeof opts.sqrt === "function")
          this.sqrt = opts.sqrt;
        if (typeof opts.isLE === "boolean")
          this.isLE = opts.isLE;
        if (opts.allowedLengths)
          this._lengths = opts.allowedLengths?.slice();
        if (typeof opts.modFromBytes === "boolean")
          this._mod = opts.modFromBytes;
      }
      const { nBitLength, nByteLength } = nLength(ORDER, _nbitLength);
      if (nByteLength > 2048)
        throw new Error("invalid field: expected ORDER of <= 2048 bytes");
      this.ORDER = ORDER;
      this.BITS = nBitLength;
      this.BYTES = nByteLength;
      this._sqrt = void 0;
      Object.preventExtensions(this);
    }
    create(num) {
      return mod(num, this.ORDER);
    }
    isValid(num) {
      if (typeof num !== "bigint")
        throw new Error("invalid field element: expected bigint, got " + typeof num);
      return _0n3 <= num && num < this.ORDER;
    }
    is0(num) {
      return num === _0n3;
    }
    // is valid and invertible
    isValidNot0(num) {
      return !this.is0(num) && this.isValid(num);
    }
    isOdd(num) {
      return (num & _1n3) === _1n3;
    }
    neg(num) {
      return mod(-num, this.ORDER);
    }
    eql(lhs, rhs) {
      return lhs === rhs;
    }
    sqr(num) {
      return mod(num * num, this.ORDER);
    }
    add(lhs, rhs) {
      return mod(lhs + rhs, this.ORDER);
    }
    sub(lhs, rhs) {
      return mod(lhs - rhs, this.ORDER);
    }
    mul(lhs, rhs) {
      return mod(lhs * rhs, this.ORDER);
    }
    pow(num, power) {
      return FpPow(this, num, power);
    }
    div(lhs, rhs) {
      return mod(lhs * invert(rhs, this.ORDER), this.ORDER);
    }
    // Same as above, but doesn't normalize
    sqrN(num) {
      return num * num;
    }
    addN(lhs, rhs) {
      return lhs + rhs;
    }
    subN(lhs, rhs) {
      return lhs - rhs;
    }
    mulN(lhs, rhs) {
      return lhs * rhs;
    }
    inv(num) {
      return invert(num, this.ORDER);
    }
    sqrt(num) {
      if (!this._sqrt)
        this._sqrt = FpSqrt(this.ORDER);
      return this._sqrt(this, num);
    }
    toBytes(num) {
      return this.isLE ? numberToBytesLE(num, this.BYTES) : numberToBytesBE(num, this.BYTES);
    }
    fromBytes(bytes, skipValidation = false) {
      abytes(bytes);
      const { _lengths: allowedLengths, BYTES, isLE: isLE2, ORDER, _mod: modFromBytes } = this;
      if (allowedLengths) {
        if (!allowedLengths.includes(bytes.length) || bytes.length > BYTES) {
          throw new Error("Field.fromBytes: expected " + allowedLengths + " bytes, got " + bytes.length);
        }
        const padded = new Uint8Array(BYTES);
        padded.set(bytes, isLE2 ? 0 : padded.length - bytes.length);
        bytes = padded;
      }
      if (bytes.length !== BYTES)
        throw new Error("Field.fromBytes: expected " + BYTES + " bytes, got " + bytes.length);
      let scalar = isLE2 ? bytesToNumberLE(bytes) : bytesToNumberBE(bytes);
      if (modFromBytes)
        scalar = mod(scalar, ORDER);
      if (!skipValidation) {
        if (!this.isValid(scalar))
          throw new Error("invalid field element: outside of range 0..ORDER");
      }
      return scalar;
    }
    // TODO: we don't need it here, move out to separate fn
    invertBatch(lst) {
      return FpInvertBatch(this, lst);
    }
    // We can't move this out because Fp6, Fp12 implement it
    // and it's unclear what to return in there.
    cmov(a, b, condition) {
      return condition ? b : a;
    }
  };
  function Field(ORDER, opts = {}) {
    return new _Field(ORDER, opts);
  }
  function getFieldBytesLength(fieldOrder) {
    if (typeof fieldOrder !== "bigint")
      throw new Error("field order must be bigint");
    const bitLength = fieldOrder.toString(2).length;
    return Math.ceil(bitLength / 8);
  }
  function getMinHashLength(fieldOrder) {
    const length = getFieldBytesLength(fieldOrder);
    return length + Math.ceil(length / 2);
  }
  function mapHashToField(key, fieldOrder, isLE2 = false) {
    abytes(key);
    const len = key.length;
    const fieldLen = getFieldBytesLength(fieldOrder);
    const minLen = getMinHashLength(fieldOrder);
    if (len < 16 || len < minLen || len > 1024)
      throw new Error("expected " + minLen + "-1024 bytes of input, got " + len);
    const num = isLE2 ? bytesToNumberLE(key) : bytesToNumberBE(key);
    const reduced = mod(num, fieldOrder - _1n3) + _1n3;
    return isLE2 ? numberToBytesLE(reduced, fieldLen) : numberToBytesBE(reduced, fieldLen);
  }

  // node_modules/@noble/curves/abstract/curve.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  var _0n4 = /* @__PURE__ */ BigInt(0);
  var _1n4 = /* @__PURE__ */ BigInt(1);
  function negateCt(condition, item) {
    const neg = item.negate();
    return condition ? neg : item;
  }
  function normalizeZ(c, points) {
    const invertedZs = FpInvertBatch(c.Fp, points.map((p) => p.Z));
    return points.map((p, i) => c.fromAffine(p.toAffine(invertedZs[i])));
  }
  function validateW(W, bits) {
    if (!Number.isSafeInteger(W) || W <= 0 || W > bits)
      throw new Error("invalid window size, expected [1.." + bits + "], got W=" + W);
  }
  function calcWOpts(W, scalarBits) {
    validateW(W, scalarBits);
    const windows = Math.ceil(scalarBits / W) + 1;
    const windowSize = 2 ** (W - 1);
    const maxNumber = 2 ** W;
    const mask = bitMask(W);
    const shiftBy = BigInt(W);
    return { windows, windowSize, mask, maxNumber, shiftBy };
  }
  function calcOffsets(n, window, wOpts) {
    const { windowSize, mask, maxNumber, shiftBy } = wOpts;
    let wbits = Number(n & mask);
    let nextN = n >> shiftBy;
    if (wbits > windowSize) {
      wbits -= maxNumber;
      nextN += _1n4;
    }
    const offsetStart = window * windowSize;
    const offset = offsetStart + Math.abs(wbits) - 1;
    const isZero = wbits === 0;
    const isNeg = wbits < 0;
    const isNegF = window % 2 !== 0;
    const offsetF = offsetStart;
    return { nextN, offset, isZero, isNeg, isNegF, offsetF };
  }
  var pointPrecomputes = /* @__PURE__ */ new WeakMap();
  var pointWindowSizes = /* @__PURE__ */ new WeakMap();
  function getW(P) {
    return pointWindowSizes.get(P) || 1;
  }
  function assert0(n) {
    if (n !== _0n4)
      throw new Error("invalid wNAF");
  }
  var wNAF = class {
    // Parametrized with a given Point class (not individual point)
    constructor(Point, bits) {
      __publicField(this, "BASE");
      __publicField(this, "ZERO");
      __publicField(this, "Fn");
      __publicField(this, "bits");
      this.BASE = Point.BASE;
      this.ZERO = Point.ZERO;
      this.Fn = Point.Fn;
      this.bits = bits;
    }
    // non-const time multiplication ladder
    _unsafeLadder(elm, n, p = this.ZERO) {
      let d = elm;
      while (n > _0n4) {
        if (n & _1n4)
          p = p.add(d);
        d = d.double();
        n >>= _1n4;
      }
      return p;
    }
    /**
     * Creates a wNAF precomputation window. Used for caching.
     * Default window size is set by `utils.precompute()` and is equal to 8.
     * Number of precomputed points depends on the curve size:
     * 2^(𝑊−1) * (Math.ceil(𝑛 / 𝑊) + 1), where:
     * - 𝑊 is the window size
     * - 𝑛 is the bitlength of the curve order.
     * For a 256-bit curve and window size 8, the number of precomputed points is 128 * 33 = 4224.
     * @param point Point instance
     * @param W window size
     * @returns precomputed point tables flattened to a single array
     */
    precomputeWindow(point, W) {
      const { windows, windowSize } = calcWOpts(W, this.bits);
      const points = [];
      let p = point;
      let base = p;
      for (let window = 0; window < windows; window++) {
        base = p;
        points.push(base);
        for (let i = 1; i < windowSize; i++) {
          base = base.add(p);
          points.push(base);
        }
        p = base.double();
      }
      return points;
    }
    /**
     * Implements ec multiplication using precomputed tables and w-ary non-adjacent form.
     * More compact implementation:
     * https://github.com/paulmillr/noble-secp256k1/blob/47cb1669b6e506ad66b35fe7d76132ae97465da2/index.ts#L502-L541
     * @returns real and fake (for const-time) points
     */
    wNAF(W, precomputes, n) {
      if (!this.Fn.isValid(n))
        throw new Error("invalid scalar");
      let p = this.ZERO;
      let f = this.BASE;
      const wo = calcWOpts(W, this.bits);
      for (let window = 0; window < wo.windows; window++) {
        const { nextN, offset, isZero, isNeg, isNegF, offsetF } = calcOffsets(n, window, wo);
        n = nextN;
        if (isZero) {
          f = f.add(negateCt(isNegF, precomputes[offsetF]));
        } else {
          p = p.add(negateCt(isNeg, precomputes[offset]));
        }
      }
      assert0(n);
      return { p, f };
    }
    /**
     * Implements ec unsafe (non const-time) multiplication using precomputed tables and w-ary non-adjacent form.
     * @param acc accumulator point to add result of multiplication
     * @returns point
     */
    wNAFUnsafe(W, precomputes, n, acc = this.ZERO) {
      const wo = calcWOpts(W, this.bits);
      for (let window = 0; window < wo.windows; window++) {
        if (n === _0n4)
          break;
        const { nextN, offset, isZero, isNeg } = calcOffsets(n, window, wo);
        n = nextN;
        if (isZero) {
          continue;
        } else {
          const item = precomputes[offset];
          acc = acc.add(isNeg ? item.negate() : item);
        }
      }
      assert0(n);
      return acc;
    }
    getPrecomputes(W, point, transform) {
      let comp = pointPrecomputes.get(point);
      if (!comp) {
        comp = this.precomputeWindow(point, W);
        if (W !== 1) {
          if (typeof transform === "function")
            comp = transform(comp);
          pointPrecomputes.set(point, comp);
        }
      }
      return comp;
    }
    cached(point, scalar, transform) {
      const W = getW(point);
      return this.wNAF(W, this.getPrecomputes(W, point, transform), scalar);
    }
    unsafe(point, scalar, transform, prev) {
      const W = getW(point);
      if (W === 1)
        return this._unsafeLadder(point, scalar, prev);
      return this.wNAFUnsafe(W, this.getPrecomputes(W, point, transform), scalar, prev);
    }
    // We calculate precomputes for elliptic curve point multiplication
    // using windowed method. This specifies window size and
    // stores precomputed values. Usually only base point would be precomputed.
    createCache(P, W) {
      validateW(W, this.bits);
      pointWindowSizes.set(P, W);
      pointPrecomputes.delete(P);
    }
    hasCache(elm) {
      return getW(elm) !== 1;
    }
  };
  function mulEndoUnsafe(Point, point, k1, k2) {
    let acc = point;
    let p1 = Point.ZERO;
    let p2 = Point.ZERO;
    while (k1 > _0n4 || k2 > _0n4) {
      if (k1 & _1n4)
        p1 = p1.add(acc);
      if (k2 & _1n4)
        p2 = p2.add(acc);
      acc = acc.double();
      k1 >>= _1n4;
      k2 >>= _1n4;
    }
    return { p1, p2 };
  }
  function createField(order, field, isLE2) {
    if (field) {
      if (field.ORDER !== order)
        throw new Error("Field.ORDER must match order: Fp == p, Fn == n");
      validateField(field);
      return field;
    } else {
      return Field(order, { isLE: isLE2 });
    }
  }
  function createCurveFields(type, CURVE, curveOpts = {}, FpFnLE) {
    if (FpFnLE === void 0)
      FpFnLE = type === "edwards";
    if (!CURVE || typeof CURVE !== "object")
      throw new Error(`expected valid ${type} CURVE object`);
    for (const p of ["p", "n", "h"]) {
      const val = CURVE[p];
      if (!(typeof val === "bigint" && val > _0n4))
        throw new Error(`CURVE.${p} must be positive bigint`);
    }
    const Fp = createField(CURVE.p, curveOpts.Fp, FpFnLE);
    const Fn = createField(CURVE.n, curveOpts.Fn, FpFnLE);
    const _b = type === "weierstrass" ? "b" : "d";
    const params = ["Gx", "Gy", "a", _b];
    for (const p of params) {
      if (!Fp.isValid(CURVE[p]))
        throw new Error(`CURVE.${p} must be valid field element of CURVE.Fp`);
    }
    CURVE = Object.freeze(Object.assign({}, CURVE));
    return { CURVE, Fp, Fn };
  }
  function createKeygen(randomSecretKey, getPublicKey) {
    return function keygen(seed) {
      const secretKey = randomSecretKey(seed);
      return { secretKey, publicKey: getPublicKey(secretKey) };
    };
  }

  // node_modules/@noble/hashes/hmac.js
  var _HMAC = class {
    constructor(hash, key) {
      __publicField(this, "oHash");
      __publicField(this, "iHash");
      __publicField(this, "blockLen");
      __publicField(this, "outputLen");
      __publicField(this, "finished", false);
      __publicField(this, "destroyed", false);
      ahash(hash);
      abytes(key, void 0, "key");
      this.iHash = hash.create();
      if (typeof this.iHash.update !== "function")
        throw new Error("Expected instance of class which extends utils.Hash");
      this.blockLen = this.iHash.blockLen;
      this.outputLen = this.iHash.outputLen;
      const blockLen = this.blockLen;
      const pad = new Uint8Array(blockLen);
      pad.set(key.length > blockLen ? hash.create().update(key).digest() : key);
      for (let i = 0; i < pad.length; i++)
        pad[i] ^= 54;
      this.iHash.update(pad);
      this.oHash = hash.create();
      for (let i = 0; i < pad.length; i++)
        pad[i] ^= 54 ^ 92;
      this.oHash.update(pad);
      clean(pad);
    }
    update(buf) {
      aexists(this);
      this.iHash.update(buf);
      return this;
    }
    digestInto(out) {
      aexists(this);
      abytes(out, this.outputLen, "output");
      this.finished = true;
      this.iHash.digestInto(out);
      this.oHash.update(out);
      this.oHash.digestInto(out);
      this.destroy();
    }
    digest() {
      const out = new Uint8Array(this.oHash.outputLen);
      this.digestInto(out);
      return out;
    }
    _cloneInto(to) {
      to || (to = Object.create(Object.getPrototypeOf(this), {}));
      const { oHash, iHash, finished, destroyed, blockLen, outputLen } = this;
      to = to;
      to.finished = finished;
      to.destroyed = destroyed;
      to.blockLen = blockLen;
      to.outputLen = outputLen;
      to.oHash = oHash._cloneInto(to.oHash);
      to.iHash = iHash._cloneInto(to.iHash);
      return to;
    }
    clone() {
      return this._cloneInto();
    }
    destroy() {
      this.destroyed = true;
      this.oHash.destroy();
      this.iHash.destroy();
    }
  };
  var hmac = (hash, key, message) => new _HMAC(hash, key).update(message).digest();
  hmac.create = (hash, key) => new _HMAC(hash, key);

  // node_modules/@noble/curves/abstract/weierstrass.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  var divNearest = (num, den) => (num + (num >= 0 ? den : -den) / _2n3) / den;
  function _splitEndoScalar(k, basis, n) {
    const [[a1, b1], [a2, b2]] = basis;
    const c1 = divNearest(b2 * k, n);
    const c2 = divNearest(-b1 * k, n);
    let k1 = k - c1 * a1 - c2 * a2;
    let k2 = -c1 * b1 - c2 * b2;
    const k1neg = k1 < _0n5;
    const k2neg = k2 < _0n5;
    if (k1neg)
      k1 = -k1;
    if (k2neg)
      k2 = -k2;
    const MAX_NUM = bitMask(Math.ceil(bitLen(n) / 2)) + _1n5;
    if (k1 < _0n5 || k1 >= MAX_NUM || k2 < _0n5 || k2 >= MAX_NUM) {
      throw new Error("splitScalar (endomorphism): failed, k=" + k);
    }
    return { k1neg, k1, k2neg, k2 };
  }
  function validateSigFormat(format) {
    if (!["compact", "recovered", "der"].includes(format))
      throw new Error('Signature format must be "compact", "recovered", or "der"');
    return format;
  }
  function validateSigOpts(opts, def) {
    const optsn = {};
    for (let optName of Object.keys(def)) {
      optsn[optName] = opts[optName] === void 0 ? def[optName] : opts[optName];
    }
    abool(optsn.lowS, "lowS");
    abool(optsn.prehash, "prehash");
    if (optsn.format !== void 0)
      validateSigFormat(optsn.format);
    return optsn;
  }
  var DERErr = class extends Error {
    constructor(m = "") {
      super(m);
    }
  };
  var DER = {
    // asn.1 DER encoding utils
    Err: DERErr,
    // Basic building block is TLV (Tag-Length-Value)
    _tlv: {
      encode: (tag, data) => {
        const { Err: E } = DER;
        if (tag < 0 || tag > 256)
          throw new E("tlv.encode: wrong tag");
        if (data.length & 1)
          throw new E("tlv.encode: unpadded data");
        const dataLen = data.length / 2;
        const len = numberToHexUnpadded(dataLen);
        if (len.length / 2 & 128)
          throw new E("tlv.encode: long form length too big");
        const lenLen = dataLen > 127 ? numberToHexUnpadded(len.length / 2 | 128) : "";
        const t = numberToHexUnpadded(tag);
        return t + lenLen + len + data;
      },
      // v - value, l - left bytes (unparsed)
      decode(tag, data) {
        const { Err: E } = DER;
        let pos = 0;
        if (tag < 0 || tag > 256)
          throw new E("tlv.encode: wrong tag");
        if (data.length < 2 || data[pos++] !== tag)
          throw new E("tlv.decode: wrong tlv");
        const first = data[pos++];
        const isLong = !!(first & 128);
        let length = 0;
        if (!isLong)
          length = first;
        else {
          const lenLen = first & 127;
          if (!lenLen)
            throw new E("tlv.decode(long): indefinite length not supported");
          if (lenLen > 4)
            throw new E("tlv.decode(long): byte length is too big");
          const lengthBytes = data.subarray(pos, pos + lenLen);
          if (lengthBytes.length !== lenLen)
            throw new E("tlv.decode: length bytes not complete");
          if (lengthBytes[0] === 0)
            throw new E("tlv.decode(long): zero leftmost byte");
          for (const b of lengthBytes)
            length = length << 8 | b;
          pos += lenLen;
          if (length < 128)
            throw new E("tlv.decode(long): not minimal encoding");
        }
        const v = data.subarray(pos, pos + length);
        if (v.length !== length)
          throw new E("tlv.decode: wrong value length");
        return { v, l: data.subarray(pos + length) };
      }
    },
    // https://crypto.stackexchange.com/a/57734 Leftmost bit of first byte is 'negative' flag,
    // since we always use positive integers here. It must always be empty:
    // - add zero byte if exists
    // - if next byte doesn't have a flag, leading zero is not allowed (minimal encoding)
    _int: {
      encode(num) {
        const { Err: E } = DER;
        if (num < _0n5)
          throw new E("integer: negative integers are not allowed");
        let hex2 = numberToHexUnpadded(num);
        if (Number.parseInt(hex2[0], 16) & 8)
          hex2 = "00" + hex2;
        if (hex2.length & 1)
          throw new E("unexpected DER parsing assertion: unpadded hex");
        return hex2;
      },
      decode(data) {
        const { Err: E } = DER;
        if (data[0] & 128)
          throw new E("invalid signature integer: negative");
        if (data[0] === 0 && !(data[1] & 128))
          throw new E("invalid signature integer: unnecessary leading zero");
        return bytesToNumberBE(data);
      }
    },
    toSig(bytes) {
      const { Err: E, _int: int2, _tlv: tlv } = DER;
      const data = abytes(bytes, void 0, "signature");
      const { v: seqBytes, l: seqLeftBytes } = tlv.decode(48, data);
      if (seqLeftBytes.length)
        throw new E("invalid signature: left bytes after parsing");
      const { v: rBytes, l: rLeftBytes } = tlv.decode(2, seqBytes);
      const { v: sBytes, l: sLeftBytes } = tlv.decode(2, rLeftBytes);
      if (sLeftBytes.length)
        throw new E("invalid signature: left bytes after parsing");
      return { r: int2.decode(rBytes), s: int2.decode(sBytes) };
    },
    hexFromSig(sig) {
      const { _tlv: tlv, _int: int2 } = DER;
      const rs = tlv.encode(2, int2.encode(sig.r));
      const ss = tlv.encode(2, int2.encode(sig.s));
      const seq = rs + ss;
      return tlv.encode(48, seq);
    }
  };
  var _0n5 = BigInt(0);
  var _1n5 = BigInt(1);
  var _2n3 = BigInt(2);
  var _3n2 = BigInt(3);
  var _4n2 = BigInt(4);
  function weierstrass(params, extraOpts = {}) {
    const validated = createCurveFields("weierstrass", params, extraOpts);
    const { Fp, Fn } = validated;
    let CURVE = validated.CURVE;
    const { h: cofactor, n: CURVE_ORDER } = CURVE;
    validateObject(extraOpts, {}, {
      allowInfinityPoint: "boolean",
      clearCofactor: "function",
      isTorsionFree: "function",
      fromBytes: "function",
      toBytes: "function",
      endo: "object"
    });
    const { endo } = extraOpts;
    if (endo) {
      if (!Fp.is0(CURVE.a) || typeof endo.beta !== "bigint" || !Array.isArray(endo.basises)) {
        throw new Error('invalid endo: expected "beta": bigint and "basises": array');
      }
    }
    const lengths = getWLengths(Fp, Fn);
    function assertCompressionIsSupported() {
      if (!Fp.isOdd)
        throw new Error("compression is not supported: Field does not have .isOdd()");
    }
    function pointToBytes(_c, point, isCompressed) {
      const { x, y } = point.toAffine();
      const bx = Fp.toBytes(x);
      abool(isCompressed, "isCompressed");
      if (isCompressed) {
        assertCompressionIsSupported();
        const hasEvenY = !Fp.isOdd(y);
        return concatBytes(pprefix(hasEvenY), bx);
      } else {
        return concatBytes(Uint8Array.of(4), bx, Fp.toBytes(y));
      }
    }
    function pointFromBytes(bytes) {
      abytes(bytes, void 0, "Point");
      const { publicKey: comp, publicKeyUncompressed: uncomp } = lengths;
      const length = bytes.length;
      const head = bytes[0];
      const tail = bytes.subarray(1);
      if (length === comp && (head === 2 || head === 3)) {
        const x = Fp.fromBytes(tail);
        if (!Fp.isValid(x))
          throw new Error("bad point: is not on curve, wrong x");
        const y2 = weierstrassEquation(x);
        let y;
        try {
          y = Fp.sqrt(y2);
        } catch (sqrtError) {
          const err = sqrtError instanceof Error ? ": " + sqrtError.message : "";
          throw new Error("bad point: is not on curve, sqrt error" + err);
        }
        assertCompressionIsSupported();
        const evenY = Fp.isOdd(y);
        const evenH = (head & 1) === 1;
        if (evenH !== evenY)
          y = Fp.neg(y);
        return { x, y };
      } else if (length === uncomp && head === 4) {
        const L = Fp.BYTES;
        const x = Fp.fromBytes(tail.subarray(0, L));
        const y = Fp.fromBytes(tail.subarray(L, L * 2));
        if (!isValidXY(x, y))
          throw new Error("bad point: is not on curve");
        return { x, y };
      } else {
        throw new Error(`bad point: got length ${length}, expected compressed=${comp} or uncompressed=${uncomp}`);
      }
    }
    const encodePoint = extraOpts.toBytes || pointToBytes;
    const decodePoint = extraOpts.fromBytes || pointFromBytes;
    function weierstrassEquation(x) {
      const x2 = Fp.sqr(x);
      const x3 = Fp.mul(x2, x);
      return Fp.add(Fp.add(x3, Fp.mul(x, CURVE.a)), CURVE.b);
    }
    function isValidXY(x, y) {
      const left = Fp.sqr(y);
      const right = weierstrassEquation(x);
      return Fp.eql(left, right);
    }
    if (!isValidXY(CURVE.Gx, CURVE.Gy))
      throw new Error("bad curve params: generator point");
    const _4a3 = Fp.mul(Fp.pow(CURVE.a, _3n2), _4n2);
    const _27b2 = Fp.mul(Fp.sqr(CURVE.b), BigInt(27));
    if (Fp.is0(Fp.add(_4a3, _27b2)))
      throw new Error("bad curve params: a or b");
    function acoord(title, n, banZero = false) {
      if (!Fp.isValid(n) || banZero && Fp.is0(n))
        throw new Error(`bad point coordinate ${title}`);
      return n;
    }
    function aprjpoint(other) {
      if (!(other instanceof Point))
        throw new Error("Weierstrass Point expected");
    }
    function splitEndoScalarN(k) {
      if (!endo || !endo.basises)
        throw new Error("no endo");
      return _splitEndoScalar(k, endo.basises, Fn.ORDER);
    }
    const toAffineMemo = memoized((p, iz) => {
      const { X, Y, Z } = p;
      if (Fp.eql(Z, Fp.ONE))
        return { x: X, y: Y };
      const is0 = p.is0();
      if (iz == null)
        iz = is0 ? Fp.ONE : Fp.inv(Z);
      const x = Fp.mul(X, iz);
      const y = Fp.mul(Y, iz);
      const zz = Fp.mul(Z, iz);
      if (is0)
        return { x: Fp.ZERO, y: Fp.ZERO };
      if (!Fp.eql(zz, Fp.ONE))
        throw new Error("invZ was invalid");
      return { x, y };
    });
    const assertValidMemo = memoized((p) => {
      if (p.is0()) {
        if (extraOpts.allowInfinityPoint && !Fp.is0(p.Y))
          return;
        throw new Error("bad point: ZERO");
      }
      const { x, y } = p.toAffine();
      if (!Fp.isValid(x) || !Fp.isValid(y))
        throw new Error("bad point: x or y not field elements");
      if (!isValidXY(x, y))
        throw new Error("bad point: equation left != right");
      if (!p.isTorsionFree())
        throw new Error("bad point: not in prime-order subgroup");
      return true;
    });
    function finishEndo(endoBeta, k1p, k2p, k1neg, k2neg) {
      k2p = new Point(Fp.mul(k2p.X, endoBeta), k2p.Y, k2p.Z);
      k1p = negateCt(k1neg, k1p);
      k2p = negateCt(k2neg, k2p);
      return k1p.add(k2p);
    }
    const _Point = class _Point {
      /** Does NOT validate if the point is valid. Use `.assertValidity()`. */
      constructor(X, Y, Z) {
        __publicField(this, "X");
        __publicField(this, "Y");
        __publicField(this, "Z");
        this.X = acoord("x", X);
        this.Y = acoord("y", Y, true);
        this.Z = acoord("z", Z);
        Object.freeze(this);
      }
      static CURVE() {
        return CURVE;
      }
      /** Does NOT validate if the point is valid. Use `.assertValidity()`. */
      static fromAffine(p) {
        const { x, y } = p || {};
        if (!p || !Fp.isValid(x) || !Fp.isValid(y))
          throw new Error("invalid affine point");
        if (p instanceof _Point)
          throw new Error("projective point not allowed");
        if (Fp.is0(x) && Fp.is0(y))
          return _Point.ZERO;
        return new _Point(x, y, Fp.ONE);
      }
      static fromBytes(bytes) {
        const P = _Point.fromAffine(decodePoint(abytes(bytes, void 0, "point")));
        P.assertValidity();
        return P;
      }
      static fromHex(hex2) {
        return _Point.fromBytes(hexToBytes(hex2));
      }
      get x() {
        return this.toAffine().x;
      }
      get y() {
        return this.toAffine().y;
      }
      /**
       *
       * @param windowSize
       * @param isLazy true will defer table computation until the first multiplication
       * @returns
       */
      precompute(windowSize = 8, isLazy = true) {
        wnaf.createCache(this, windowSize);
        if (!isLazy)
          this.multiply(_3n2);
        return this;
      }
      // TODO: return `this`
      /** A point on curve is valid if it conforms to equation. */
      assertValidity() {
        assertValidMemo(this);
      }
      hasEvenY() {
        const { y } = this.toAffine();
        if (!Fp.isOdd)
          throw new Error("Field doesn't support isOdd");
        return !Fp.isOdd(y);
      }
      /** Compare one point to another. */
      equals(other) {
        aprjpoint(other);
        const { X: X1, Y: Y1, Z: Z1 } = this;
        const { X: X2, Y: Y2, Z: Z2 } = other;
        const U1 = Fp.eql(Fp.mul(X1, Z2), Fp.mul(X2, Z1));
        const U2 = Fp.eql(Fp.mul(Y1, Z2), Fp.mul(Y2, Z1));
        return U1 && U2;
      }
      /** Flips point to one corresponding to (x, -y) in Affine coordinates. */
      negate() {
        return new _Point(this.X, Fp.neg(this.Y), this.Z);
      }
      // Renes-Costello-Batina exception-free doubling formula.
      // There is 30% faster Jacobian formula, but it is not complete.
      // https://eprint.iacr.org/2015/1060, algorithm 3
      // Cost: 8M + 3S + 3*a + 2*b3 + 15add.
      double() {
        const { a, b } = CURVE;
        const b3 = Fp.mul(b, _3n2);
        const { X: X1, Y: Y1, Z: Z1 } = this;
        let X3 = Fp.ZERO, Y3 = Fp.ZERO, Z3 = Fp.ZERO;
        let t0 = Fp.mul(X1, X1);
        let t1 = Fp.mul(Y1, Y1);
        let t2 = Fp.mul(Z1, Z1);
        let t3 = Fp.mul(X1, Y1);
        t3 = Fp.add(t3, t3);
        Z3 = Fp.mul(X1, Z1);
        Z3 = Fp.add(Z3, Z3);
        X3 = Fp.mul(a, Z3);
        Y3 = Fp.mul(b3, t2);
        Y3 = Fp.add(X3, Y3);
        X3 = Fp.sub(t1, Y3);
        Y3 = Fp.add(t1, Y3);
        Y3 = Fp.mul(X3, Y3);
        X3 = Fp.mul(t3, X3);
        Z3 = Fp.mul(b3, Z3);
        t2 = Fp.mul(a, t2);
        t3 = Fp.sub(t0, t2);
        t3 = Fp.mul(a, t3);
        t3 = Fp.add(t3, Z3);
        Z3 = Fp.add(t0, t0);
        t0 = Fp.add(Z3, t0);
        t0 = Fp.add(t0, t2);
        t0 = Fp.mul(t0, t3);
        Y3 = Fp.add(Y3, t0);
        t2 = Fp.mul(Y1, Z1);
        t2 = Fp.add(t2, t2);
        t0 = Fp.mul(t2, t3);
        X3 = Fp.sub(X3, t0);
        Z3 = Fp.mul(t2, t1);
        Z3 = Fp.add(Z3, Z3);
        Z3 = Fp.add(Z3, Z3);
        return new _Point(X3, Y3, Z3);
      }
      // Renes-Costello-Batina exception-free addition formula.
      // There is 30% faster Jacobian formula, but it is not complete.
      // https://eprint.iacr.org/2015/1060, algorithm 1
      // Cost: 12M + 0S + 3*a + 3*b3 + 23add.
      add(other) {
        aprjpoint(other);
        const { X: X1, Y: Y1, Z: Z1 } = this;
        const { X: X2, Y: Y2, Z: Z2 } = other;
        let X3 = Fp.ZERO, Y3 = Fp.ZERO, Z3 = Fp.ZERO;
        const a = CURVE.a;
        const b3 = Fp.mul(CURVE.b, _3n2);
        let t0 = Fp.mul(X1, X2);
        let t1 = Fp.mul(Y1, Y2);
        let t2 = Fp.mul(Z1, Z2);
        let t3 = Fp.add(X1, Y1);
        let t4 = Fp.add(X2, Y2);
        t3 = Fp.mul(t3, t4);
        t4 = Fp.add(t0, t1);
        t3 = Fp.sub(t3, t4);
        t4 = Fp.add(X1, Z1);
        let t5 = Fp.add(X2, Z2);
        t4 = Fp.mul(t4, t5);
        t5 = Fp.add(t0, t2);
        t4 = Fp.sub(t4, t5);
        t5 = Fp.add(Y1, Z1);
        X3 = Fp.add(Y2, Z2);
        t5 = Fp.mul(t5, X3);
        X3 = Fp.add(t1, t2);
        t5 = Fp.sub(t5, X3);
        Z3 = Fp.mul(a, t4);
        X3 = Fp.mul(b3, t2);
        Z3 = Fp.add(X3, Z3);
        X3 = Fp.sub(t1, Z3);
        Z3 = Fp.add(t1, Z3);
        Y3 = Fp.mul(X3, Z3);
        t1 = Fp.add(t0, t0);
        t1 = Fp.add(t1, t0);
        t2 = Fp.mul(a, t2);
        t4 = Fp.mul(b3, t4);
        t1 = Fp.add(t1, t2);
        t2 = Fp.sub(t0, t2);
        t2 = Fp.mul(a, t2);
        t4 = Fp.add(t4, t2);
        t0 = Fp.mul(t1, t4);
        Y3 = Fp.add(Y3, t0);
        t0 = Fp.mul(t5, t4);
        X3 = Fp.mul(t3, X3);
        X3 = Fp.sub(X3, t0);
        t0 = Fp.mul(t3, t1);
        Z3 = Fp.mul(t5, Z3);
        Z3 = Fp.add(Z3, t0);
        return new _Point(X3, Y3, Z3);
      }
      subtract(other) {
        return this.add(other.negate());
      }
      is0() {
        return this.equals(_Point.ZERO);
      }
      /**
       * Constant time multiplication.
       * Uses wNAF method. Windowed method may be 10% faster,
       * but takes 2x longer to generate and consumes 2x memory.
       * Uses precomputes when available.
       * Uses endomorphism for Koblitz curves.
       * @param scalar by which the point would be multiplied
       * @returns New point
       */
      multiply(scalar) {
        const { endo: endo2 } = extraOpts;
        if (!Fn.isValidNot0(scalar))
          throw new Error("invalid scalar: out of range");
        let point, fake;
        const mul = (n) => wnaf.cached(this, n, (p) => normalizeZ(_Point, p));
        if (endo2) {
          const { k1neg, k1, k2neg, k2 } = splitEndoScalarN(scalar);
          const { p: k1p, f: k1f } = mul(k1);
          const { p: k2p, f: k2f } = mul(k2);
          fake = k1f.add(k2f);
          point = finishEndo(endo2.beta, k1p, k2p, k1neg, k2neg);
        } else {
          const { p, f } = mul(scalar);
          point = p;
          fake = f;
        }
        return normalizeZ(_Point, [point, fake])[0];
      }
      /**
       * Non-constant-time multiplication. Uses double-and-add algorithm.
       * It's faster, but should only be used when you don't care about
       * an exposed secret key e.g. sig verification, which works over *public* keys.
       */
      multiplyUnsafe(sc) {
        const { endo: endo2 } = extraOpts;
        const p = this;
        if (!Fn.isValid(sc))
          throw new Error("invalid scalar: out of range");
        if (sc === _0n5 || p.is0())
          return _Point.ZERO;
        if (sc === _1n5)
          return p;
        if (wnaf.hasCache(this))
          return this.multiply(sc);
        if (endo2) {
          const { k1neg, k1, k2neg, k2 } = splitEndoScalarN(sc);
          const { p1, p2 } = mulEndoUnsafe(_Point, p, k1, k2);
          return finishEndo(endo2.beta, p1, p2, k1neg, k2neg);
        } else {
          return wnaf.unsafe(p, sc);
        }
      }
      /**
       * Converts Projective point to affine (x, y) coordinates.
       * @param invertedZ Z^-1 (inverted zero) - optional, precomputation is useful for invertBatch
       */
      toAffine(invertedZ) {
        return toAffineMemo(this, invertedZ);
      }
      /**
       * Checks whether Point is free of torsion elements (is in prime subgroup).
       * Always torsion-free for cofactor=1 curves.
       */
      isTorsionFree() {
        const { isTorsionFree } = extraOpts;
        if (cofactor === _1n5)
          return true;
        if (isTorsionFree)
          return isTorsionFree(_Point, this);
        return wnaf.unsafe(this, CURVE_ORDER).is0();
      }
      clearCofactor() {
        const { clearCofactor } = extraOpts;
        if (cofactor === _1n5)
          return this;
        if (clearCofactor)
          return clearCofactor(_Point, this);
        return this.multiplyUnsafe(cofactor);
      }
      isSmallOrder() {
        return this.multiplyUnsafe(cofactor).is0();
      }
      toBytes(isCompressed = true) {
        abool(isCompressed, "isCompressed");
        this.assertValidity();
        return encodePoint(_Point, this, isCompressed);
      }
      toHex(isCompressed = true) {
        return bytesToHex(this.toBytes(isCompressed));
      }
      toString() {
        return `<Point ${this.is0() ? "ZERO" : this.toHex()}>`;
      }
    };
    // base / generator point
    __publicField(_Point, "BASE", new _Point(CURVE.Gx, CURVE.Gy, Fp.ONE));
    // zero / infinity / identity point
    __publicField(_Point, "ZERO", new _Point(Fp.ZERO, Fp.ONE, Fp.ZERO));
    // 0, 1, 0
    // math field
    __publicField(_Point, "Fp", Fp);
    // scalar field
    __publicField(_Point, "Fn", Fn);
    let Point = _Point;
    const bits = Fn.BITS;
    const wnaf = new wNAF(Point, extraOpts.endo ? Math.ceil(bits / 2) : bits);
    Point.BASE.precompute(8);
    return Point;
  }
  function pprefix(hasEvenY) {
    return Uint8Array.of(hasEvenY ? 2 : 3);
  }
  function getWLengths(Fp, Fn) {
    return {
      secretKey: Fn.BYTES,
      publicKey: 1 + Fp.BYTES,
      publicKeyUncompressed: 1 + 2 * Fp.BYTES,
      publicKeyHasPrefix: true,
      signature: 2 * Fn.BYTES
    };
  }
  function ecdh(Point, ecdhOpts = {}) {
    const { Fn } = Point;
    const randomBytes_ = ecdhOpts.randomBytes || randomBytes;
    const lengths = Object.assign(getWLengths(Point.Fp, Fn), { seed: getMinHashLength(Fn.ORDER) });
    function isValidSecretKey(secretKey) {
      try {
        const num = Fn.fromBytes(secretKey);
        return Fn.isValidNot0(num);
      } catch (error) {
        return false;
      }
    }
    function isValidPublicKey(publicKey, isCompressed) {
      const { publicKey: comp, publicKeyUncompressed } = lengths;
      try {
        const l = publicKey.length;
        if (isCompressed === true && l !== comp)
          return false;
        if (isCompressed === false && l !== publicKeyUncompressed)
          return false;
        return !!Point.fromBytes(publicKey);
      } catch (error) {
        return false;
      }
    }
    function randomSecretKey(seed = randomBytes_(lengths.seed)) {
      return mapHashToField(abytes(seed, lengths.seed, "seed"), Fn.ORDER);
    }
    function getPublicKey(secretKey, isCompressed = true) {
      return Point.BASE.multiply(Fn.fromBytes(secretKey)).toBytes(isCompressed);
    }
    function isProbPub(item) {
      const { secretKey, publicKey, publicKeyUncompressed } = lengths;
      if (!isBytes(item))
        return void 0;
      if ("_lengths" in Fn && Fn._lengths || secretKey === publicKey)
        return void 0;
      const l = abytes(item, void 0, "key").length;
      return l === publicKey || l === publicKeyUncompressed;
    }
    function getSharedSecret(secretKeyA, publicKeyB, isCompressed = true) {
      if (isProbPub(secretKeyA) === true)
        throw new Error("first arg must be private key");
      if (isProbPub(publicKeyB) === false)
        throw new Error("second arg must be public key");
      const s = Fn.fromBytes(secretKeyA);
      const b = Point.fromBytes(publicKeyB);
      return b.multiply(s).toBytes(isCompressed);
    }
    const utils = {
      isValidSecretKey,
      isValidPublicKey,
      randomSecretKey
    };
    const keygen = createKeygen(randomSecretKey, getPublicKey);
    return Object.freeze({ getPublicKey, getSharedSecret, keygen, Point, utils, lengths });
  }
  function ecdsa(Point, hash, ecdsaOpts = {}) {
    ahash(hash);
    validateObject(ecdsaOpts, {}, {
      hmac: "function",
      lowS: "boolean",
      randomBytes: "function",
      bits2int: "function",
      bits2int_modN: "function"
    });
    ecdsaOpts = Object.assign({}, ecdsaOpts);
    const randomBytes2 = ecdsaOpts.randomBytes || randomBytes;
    const hmac2 = ecdsaOpts.hmac || ((key, msg) => hmac(hash, key, msg));
    const { Fp, Fn } = Point;
    const { ORDER: CURVE_ORDER, BITS: fnBits } = Fn;
    const { keygen, getPublicKey, getSharedSecret, utils, lengths } = ecdh(Point, ecdsaOpts);
    const defaultSigOpts = {
      prehash: true,
      lowS: typeof ecdsaOpts.lowS === "boolean" ? ecdsaOpts.lowS : true,
      format: "compact",
      extraEntropy: false
    };
    const hasLargeCofactor = CURVE_ORDER * _2n3 < Fp.ORDER;
    function isBiggerThanHalfOrder(number) {
      const HALF = CURVE_ORDER >> _1n5;
      return number > HALF;
    }
    function validateRS(title, num) {
      if (!Fn.isValidNot0(num))
        throw new Error(`invalid signature ${title}: out of range 1..Point.Fn.ORDER`);
      return num;
    }
    function assertSmallCofactor() {
      if (hasLargeCofactor)
        throw new Error('"recovered" sig type is not supported for cofactor >2 curves');
    }
    function validateSigLength(bytes, format) {
      validateSigFormat(format);
      const size = lengths.signature;
      const sizer = format === "compact" ? size : format === "recovered" ? size + 1 : void 0;
      return abytes(bytes, sizer);
    }
    class Signature {
      constructor(r, s, recovery) {
        __publicField(this, "r");
        __publicField(this, "s");
        __publicField(this, "recovery");
        this.r = validateRS("r", r);
        this.s = validateRS("s", s);
        if (recovery != null) {
          assertSmallCofactor();
          if (![0, 1, 2, 3].includes(recovery))
            throw new Error("invalid recovery id");
          this.recovery = recovery;
        }
        Object.freeze(this);
      }
      static fromBytes(bytes, format = defaultSigOpts.format) {
        validateSigLength(bytes, format);
        let recid;
        if (format === "der") {
          const { r: r2, s: s2 } = DER.toSig(abytes(bytes));
          return new Signature(r2, s2);
        }
        if (format === "recovered") {
          recid = bytes[0];
          format = "compact";
          bytes = bytes.subarray(1);
        }
        const L = lengths.signature / 2;
        const r = bytes.subarray(0, L);
        const s = bytes.subarray(L, L * 2);
        return new Signature(Fn.fromBytes(r), Fn.fromBytes(s), recid);
      }
      static fromHex(hex2, format) {
        return this.fromBytes(hexToBytes(hex2), format);
      }
      assertRecovery() {
        const { recovery } = this;
        if (recovery == null)
          throw new Error("invalid recovery id: must be present");
        return recovery;
      }
      addRecoveryBit(recovery) {
        return new Signature(this.r, this.s, recovery);
      }
      recoverPublicKey(messageHash) {
        const { r, s } = this;
        const recovery = this.assertRecovery();
        const radj = recovery === 2 || recovery === 3 ? r + CURVE_ORDER : r;
        if (!Fp.isValid(radj))
          throw new Error("invalid recovery id: sig.r+curve.n != R.x");
        const x = Fp.toBytes(radj);
        const R = Point.fromBytes(concatBytes(pprefix((recovery & 1) === 0), x));
        const ir = Fn.inv(radj);
        const h = bits2int_modN(abytes(messageHash, void 0, "msgHash"));
        const u1 = Fn.create(-h * ir);
        const u2 = Fn.create(s * ir);
        const Q = Point.BASE.multiplyUnsafe(u1).add(R.multiplyUnsafe(u2));
        if (Q.is0())
          throw new Error("invalid recovery: point at infinify");
        Q.assertValidity();
        return Q;
      }
      // Signatures should be low-s, to prevent malleability.
      hasHighS() {
        return isBiggerThanHalfOrder(this.s);
      }
      toBytes(format = defaultSigOpts.format) {
        validateSigFormat(format);
        if (format === "der")
          return hexToBytes(DER.hexFromSig(this));
        const { r, s } = this;
        const rb = Fn.toBytes(r);
        const sb = Fn.toBytes(s);
        if (format === "recovered") {
          assertSmallCofactor();
          return concatBytes(Uint8Array.of(this.assertRecovery()), rb, sb);
        }
        return concatBytes(rb, sb);
      }
      toHex(format) {
        return bytesToHex(this.toBytes(format));
      }
    }
    const bits2int = ecdsaOpts.bits2int || function bits2int_def(bytes) {
      if (bytes.length > 8192)
        throw new Error("input is too large");
      const num = bytesToNumberBE(bytes);
      const delta = bytes.length * 8 - fnBits;
      return delta > 0 ? num >> BigInt(delta) : num;
    };
    const bits2int_modN = ecdsaOpts.bits2int_modN || function bits2int_modN_def(bytes) {
      return Fn.create(bits2int(bytes));
    };
    const ORDER_MASK = bitMask(fnBits);
    function int2octets(num) {
      aInRange("num < 2^" + fnBits, num, _0n5, ORDER_MASK);
      return Fn.toBytes(num);
    }
    function validateMsgAndHash(message, prehash) {
      abytes(message, void 0, "message");
      return prehash ? abytes(hash(message), void 0, "prehashed message") : message;
    }
    function prepSig(message, secretKey, opts) {
      const { lowS, prehash, extraEntropy } = validateSigOpts(opts, defaultSigOpts);
      message = validateMsgAndHash(message, prehash);
      const h1int = bits2int_modN(message);
      const d = Fn.fromBytes(secretKey);
      if (!Fn.isValidNot0(d))
        throw new Error("invalid private key");
      const seedArgs = [int2octets(d), int2octets(h1int)];
      if (extraEntropy != null && extraEntropy !== false) {
        const e = extraEntropy === true ? randomBytes2(lengths.secretKey) : extraEntropy;
        seedArgs.push(abytes(e, void 0, "extraEntropy"));
      }
      const seed = concatBytes(...seedArgs);
      const m = h1int;
      function k2sig(kBytes) {
        const k = bits2int(kBytes);
        if (!Fn.isValidNot0(k))
          return;
        const ik = Fn.inv(k);
        const q = Point.BASE.multiply(k).toAffine();
        const r = Fn.create(q.x);
        if (r === _0n5)
          return;
        const s = Fn.create(ik * Fn.create(m + r * d));
        if (s === _0n5)
          return;
        let recovery = (q.x === r ? 0 : 2) | Number(q.y & _1n5);
        let normS = s;
        if (lowS && isBiggerThanHalfOrder(s)) {
          normS = Fn.neg(s);
          recovery ^= 1;
        }
        return new Signature(r, normS, hasLargeCofactor ? void 0 : recovery);
      }
      return { seed, k2sig };
    }
    function sign(message, secretKey, opts = {}) {
      const { seed, k2sig } = prepSig(message, secretKey, opts);
      const drbg = createHmacDrbg(hash.outputLen, Fn.BYTES, hmac2);
      const sig = drbg(seed, k2sig);
      return sig.toBytes(opts.format);
    }
    function verify(signature, message, publicKey, opts = {}) {
      const { lowS, prehash, format } = validateSigOpts(opts, defaultSigOpts);
      publicKey = abytes(publicKey, void 0, "publicKey");
      message = validateMsgAndHash(message, prehash);
      if (!isBytes(signature)) {
        const end = signature instanceof Signature ? ", use sig.toBytes()" : "";
        throw new Error("verify expects Uint8Array signature" + end);
      }
      validateSigLength(signature, format);
      try {
        const sig = Signature.fromBytes(signature, format);
        const P = Point.fromBytes(publicKey);
        if (lowS && sig.hasHighS())
          return false;
        const { r, s } = sig;
        const h = bits2int_modN(message);
        const is = Fn.inv(s);
        const u1 = Fn.create(h * is);
        const u2 = Fn.create(r * is);
        const R = Point.BASE.multiplyUnsafe(u1).add(P.multiplyUnsafe(u2));
        if (R.is0())
          return false;
        const v = Fn.create(R.x);
        return v === r;
      } catch (e) {
        return false;
      }
    }
    function recoverPublicKey(signature, message, opts = {}) {
      const { prehash } = validateSigOpts(opts, defaultSigOpts);
      message = validateMsgAndHash(message, prehash);
      return Signature.fromBytes(signature, "recovered").recoverPublicKey(message).toBytes();
    }
    return Object.freeze({
      keygen,
      getPublicKey,
      getSharedSecret,
      utils,
      lengths,
      Point,
      sign,
      verify,
      recoverPublicKey,
      Signature,
      hash
    });
  }

  // node_modules/@noble/curves/secp256k1.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  var secp256k1_CURVE = {
    p: BigInt("0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f"),
    n: BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"),
    h: BigInt(1),
    a: BigInt(0),
    b: BigInt(7),
    Gx: BigInt("0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"),
    Gy: BigInt("0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")
  };
  var secp256k1_ENDO = {
    beta: BigInt("0x7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501ee"),
    basises: [
      [BigInt("0x3086d221a7d46bcde86c90e49284eb15"), -BigInt("0xe4437ed6010e88286f547fa90abfe4c3")],
      [BigInt("0x114ca50f7a8e2f3f657c1108d9d44cfd8"), BigInt("0x3086d221a7d46bcde86c90e49284eb15")]
    ]
  };
  var _2n4 = /* @__PURE__ */ BigInt(2);
  function sqrtMod(y) {
    const P = secp256k1_CURVE.p;
    const _3n3 = BigInt(3), _6n = BigInt(6), _11n = BigInt(11), _22n = BigInt(22);
    const _23n = BigInt(23), _44n = BigInt(44), _88n = BigInt(88);
    const b2 = y * y * y % P;
    const b3 = b2 * b2 * y % P;
    const b6 = pow2(b3, _3n3, P) * b3 % P;
    const b9 = pow2(b6, _3n3, P) * b3 % P;
    const b11 = pow2(b9, _2n4, P) * b2 % P;
    const b22 = pow2(b11, _11n, P) * b11 % P;
    const b44 = pow2(b22, _22n, P) * b22 % P;
    const b88 = pow2(b44, _44n, P) * b44 % P;
    const b176 = pow2(b88, _88n, P) * b88 % P;
    const b220 = pow2(b176, _44n, P) * b44 % P;
    const b223 = pow2(b220, _3n3, P) * b3 % P;
    const t1 = pow2(b223, _23n, P) * b22 % P;
    const t2 = pow2(t1, _6n, P) * b2 % P;
    const root = pow2(t2, _2n4, P);
    if (!Fpk1.eql(Fpk1.sqr(root), y))
      throw new Error("Cannot find square root");
    return root;
  }
  var Fpk1 = Field(secp256k1_CURVE.p, { sqrt: sqrtMod });
  var Pointk1 = /* @__PURE__ */ weierstrass(secp256k1_CURVE, {
    Fp: Fpk1,
    endo: secp256k1_ENDO
  });
  var secp256k1 = /* @__PURE__ */ ecdsa(Pointk1, sha256);

  // src/receipt.mjs
  var RECEIPT_FORMAT = "ledger-anchor-ingest-receipt/1";
  var DOMAIN = { name: "ledger-anchor ingest receipts", version: "1" };
  var DOMAIN_TYPE = "EIP712Domain(string name,string version)";
  var RECEIPT_TYPE = "IngestReceipt(bytes32 loadRoot,uint64 firstSeq,uint64 count,uint64 ingestedAt,uint64 deadline)";
  var KEYS3 = ["format", "recordId", "leaf", "seq", "ingestedAt", "deadline", "load", "signer", "signature"];
  var LOAD_KEYS = ["root", "firstSeq", "count", "proof"];
  var H322 = /^0x[0-9a-f]{64}$/;
  var ADDR2 = /^0x[0-9a-f]{40}$/;
  var SIG = /^0x[0-9a-f]{130}$/;
  var U642 = (1n << 64n) - 1n;
  var MAX_RECEIPT_BYTES = 1 << 16;
  var N = secp256k1.Point.CURVE().n;
  var ReceiptError = class extends Error {
    constructor(kind, step, detail) {
      super(detail);
      this.kind = kind;
      this.step = step;
      this.detail = detail;
    }
  };
  var bad = (msg) => new ReceiptError("format", "format", `receipt: ${msg}`);
  function obj(v, where, keys) {
    if (!isObject(v)) throw bad(`${where || "the receipt"} must be an object`);
    for (const k of keys) if (!(k in v)) throw bad(`missing field ${where ? where + "." : ""}${k}`);
    for (const k of Object.keys(v)) if (!keys.includes(k)) throw bad(`unknown field ${where ? where + "." : ""}${k}`);
    return v;
  }
  function u642(v, where) {
    if (typeof v !== "bigint" || v < 0n || v > U642) throw bad(`${where} must be an unsigned 64-bit integer`);
    return v;
  }
  function hex(v, where, re) {
    if (typeof v !== "string" || !re.test(v)) throw bad(`${where}: malformed hex`);
    return v;
  }
  function parseReceipt(text) {
    if (typeof text !== "string") throw bad("not text");
    const top = parseDocument(text, MAX_RECEIPT_BYTES, bad);
    if (!isObject(top) || top.format !== RECEIPT_FORMAT) {
      const fmt = isObject(top) ? top.format : void 0;
      throw bad(`unknown format ${JSON.stringify(fmt === void 0 ? null : fmt)} (expected '${RECEIPT_FORMAT}')`);
    }
    obj(top, "", KEYS3);
    const rid = top.recordId;
    if (typeof rid !== "string" || rid.length === 0 || rid.length > 128) throw bad("recordId must be a string of 1 to 128 characters");
    const load = obj(top.load, "load", LOAD_KEYS);
    if (!Array.isArray(load.proof) || load.proof.length > 64) throw bad("load.proof must be an array of at most 64 hashes");
    if (typeof top.signer !== "string" || !ADDR2.test(top.signer)) throw bad("signer: malformed address (0x and 40 lowercase hex digits)");
    return {
      recordId: rid,
      leaf: hex(top.leaf, "leaf", H322),
      seq: u642(top.seq, "seq"),
      ingestedAt: u642(top.ingestedAt, "ingestedAt"),
      deadline: u642(top.deadline, "deadline"),
      loadRoot: hex(load.root, "load.root", H322),
      firstSeq: u642(load.firstSeq, "load.firstSeq"),
      count: u642(load.count, "load.count"),
      proof: load.proof.map((p, i) => hex(p, `load.proof[${i}]`, H322)),
      signer: top.signer,
      signature: hex(top.signature, "signature", SIG)
    };
  }
  function receiptLeaf(recordId, leaf, seq) {
    return leafHash(abiEncode(["uint8", "uint16", "string", "uint64", "bytes32"], [255n, 1n, recordId, seq, leaf]));
  }
  function loadDigest(root, firstSeq, count, ingestedAt, deadline) {
    const k = (b) => keccak_256(b);
    const domain = k(concat(k(enc.encode(DOMAIN_TYPE)), k(enc.encode(DOMAIN.name)), k(enc.encode(DOMAIN.version))));
    const struct = k(concat(k(enc.encode(RECEIPT_TYPE)), hexToBytes2(root), word(firstSeq), word(count), word(ingestedAt), word(deadline)));
    return k(concat(new Uint8Array([25, 1]), domain, struct));
  }
  function recoverAddress(digest, signatureHex) {
    const sig = hexToBytes2(signatureHex);
    let v = sig[64];
    if (v >= 27) v -= 27;
    if (v !== 0 && v !== 1) return null;
    const s = BigInt(bytesToHex2(sig.slice(32, 64)));
    if (s > N / 2n) return null;
    try {
      const pub = secp256k1.Signature.fromBytes(sig.slice(0, 64), "compact").addRecoveryBit(v).recoverPublicKey(digest);
      return "0x" + keccakHex(pub.toBytes(false).slice(1)).slice(-40);
    } catch (e) {
      return null;
    }
  }
  function verifyReceipt(text, pinnedSigner) {
    const r = parseReceipt(text);
    const signer = String(pinnedSigner || "").trim().toLowerCase();
    if (!/^0x[0-9a-f]{40}$/.test(signer)) {
      throw new ReceiptError("unusable", "input", "type the receipt signer address the exchange publishes (0x and 40 hex digits), never the receipt's own");
    }
    const invalid2 = (step, detail) => new ReceiptError("invalid", step, detail);
    if (processProof(receiptLeaf(r.recordId, r.leaf, r.seq), r.proof) !== r.loadRoot) {
      throw invalid2("receipt_path", "the record's path does not lead to the signed load root");
    }
    if (!(r.firstSeq <= r.seq && r.seq < r.firstSeq + r.count)) throw invalid2("receipt_seq", `seq ${r.seq} is outside the signed load`);
    if (r.deadline < r.ingestedAt) throw invalid2("receipt_deadline", "the deadline is before the ingest time");
    const got = recoverAddress(loadDigest(r.loadRoot, r.firstSeq, r.count, r.ingestedAt, r.deadline), r.signature);
    if (got === null) throw invalid2("receipt_signature", "not a valid secp256k1 signature");
    if (got !== signer) throw invalid2("receipt_signer", `signed by ${got}, not by the receipt signer you pinned ${signer}`);
    return { recordId: r.recordId, seq: r.seq, ingestedAt: r.ingestedAt, deadline: r.deadline, signer: got, leaf: r.leaf };
  }
  function receiptVerdict(text, signer) {
    try {
      verifyReceipt(text, signer);
      return { verdict: "valid", step: null };
    } catch (e) {
      if (e instanceof ReceiptError) return { verdict: e.kind, step: e.step, detail: e.detail };
      return { verdict: "crash", step: null, detail: String(e && e.stack ? e.stack : e) };
    }
  }

  // src/anchors.mjs
  var unusable = (detail) => new VerifyError("unusable", "input", detail);
  var int = (v, what) => {
    if (typeof v !== "string" || !/^0x[0-9a-fA-F]+$/.test(v)) throw unusable(`RPC returned a malformed ${what}`);
    return BigInt(v);
  };
  async function readAnchors({ rpc, registry, fromBlock = 0n, chainId = null, range = 10000n, codeHash = PUBLISHED_CODE_HASH }) {
    const address = String(registry || "").trim().toLowerCase();
    if (!/^0x[0-9a-f]{40}$/.test(address)) throw unusable("type the registry address you pinned (0x and 40 hex digits)");
    const served = int(await rpc("eth_chainId", []), "chain id");
    if (chainId !== null && served !== BigInt(chainId)) {
      throw unusable(`wrong chain: the RPC serves chain ${served}, the registry is on chain ${chainId}`);
    }
    const code = await rpc("eth_getCode", [address, "latest"]);
    if (typeof code !== "string" || code === "0x") throw new VerifyError("invalid", "contract", `no contract at ${address} on chain ${served}`);
    const bytes = hexToBytes2(code.toLowerCase());
    for (const [start, length] of IMMUTABLE_RANGES) if (start + length <= bytes.length) bytes.fill(0, start, start + length);
    const actual = keccakHex(bytes);
    if (actual !== codeHash) throw new VerifyError("invalid", "code", `code at ${address} is not the published ${CONTRACT_NAME} (code hash ${actual})`);
    const latest = int(await rpc("eth_blockNumber", []), "block number");
    const topic0 = keccakHex(enc.encode(ANCHORED_EVENT));
    const logs = [];
    for (let start = BigInt(fromBlock); start <= latest; start += range) {
      const end = start + range - 1n < latest ? start + range - 1n : latest;
      const got = await rpc("eth_getLogs", [{ address, topics: [topic0], fromBlock: "0x" + start.toString(16), toBlock: "0x" + end.toString(16) }]);
      if (!Array.isArray(got)) throw unusable("RPC returned malformed logs");
      logs.push(...got);
    }
    const times = /* @__PURE__ */ new Map();
    const anchors = [];
    const seen = /* @__PURE__ */ new Set();
    for (const log of logs) {
      if (!log || !Array.isArray(log.topics) || log.topics.length !== 3) continue;
      const batchId = int(log.topics[1], "batch id");
      if (seen.has(batchId)) continue;
      seen.add(batchId);
      const blockNumber = int(log.blockNumber, "log block number");
      if (!times.has(blockNumber)) {
        const blk = await rpc("eth_getBlockByNumber", ["0x" + blockNumber.toString(16), false]);
        times.set(blockNumber, blk ? Number(int(blk.timestamp, "block timestamp")) : null);
      }
      anchors.push({
        batchId,
        root: String(log.topics[2]).toLowerCase(),
        leafCount: int(log.data, "leaf count"),
        txHash: String(log.transactionHash).toLowerCase(),
        blockNumber,
        blockHash: String(log.blockHash).toLowerCase(),
        blockTime: times.get(blockNumber)
      });
    }
    return { chainId: served, latest, codeHash: actual, anchors };
  }

  // src/verify.mjs
  var ANCHORED_EVENT = "Anchored(uint64,bytes32,uint64)";
  var DEFAULT_FALLBACK_DEPTH = 64;
  var VerifyError = class extends Error {
    constructor(kind, step, detail) {
      super(kind === "invalid" ? `invalid: ${step}: ${detail}` : detail);
      this.kind = kind;
      this.step = step;
      this.detail = detail;
    }
  };
  var invalid = (step, detail) => new VerifyError("invalid", step, detail);
  var unusable2 = (detail) => new VerifyError("unusable", "input", detail);
  function parse(text) {
    try {
      return parseBundle(text);
    } catch (e) {
      if (e instanceof FormatError) throw new VerifyError("format", "format", e.message);
      throw e;
    }
  }
  function verifyMath(text) {
    const b = parse(text);
    const r = b.record;
    const types = leafTypes(r.schema);
    if (JSON.stringify(types) !== JSON.stringify(b.leafEncoding)) {
      throw invalid("leaf_encoding", `leafEncoding is not the schema of ${r.kind} v${r.version}`);
    }
    for (const acc of b.accounts) {
      if (accountCommitment(acc.accountId, acc.salt) !== r.fields[acc.field]) {
        throw invalid("commitment", `account and salt disclosed for '${acc.field}' do not give the record's commitment`);
      }
    }
    const values = leafValues(r, b.seq);
    if (JSON.stringify(leafValuesJson(values)) !== JSON.stringify(b.value)) {
      throw invalid("value", "value does not match the record and seq");
    }
    const leaf = leafHash(abiEncode(types, values));
    if (leaf !== b.leaf) throw invalid("leaf", `record and seq give leaf ${leaf}, bundle says ${b.leaf}`);
    const root = processProof(leaf, b.proof);
    if (root !== b.root) throw invalid("root", `the proof path leads to ${root}, bundle says ${b.root}`);
    if (computedChecksum(b) !== b.checksum) throw invalid("checksum", "the bundle was altered after it was made");
    return { bundle: b, root };
  }
  var selector = (sig) => keccakHex(enc.encode(sig)).slice(0, 10);
  var topic = (sig) => keccakHex(enc.encode(sig));
  var hexWord = (n) => [...word(BigInt(n))].map((x) => x.toString(16).padStart(2, "0")).join("");
  function hexInt(v, what) {
    if (typeof v !== "string" || !/^0x[0-9a-fA-F]+$/.test(v)) throw unusable2(`RPC returned a malformed quantity for ${what}`);
    return BigInt(v);
  }
  function hexData(v, what) {
    if (typeof v !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(v)) throw unusable2(`RPC returned malformed data for ${what}`);
    return v.toLowerCase();
  }
  function httpRpc(url, { timeoutMs = 1e4 } = {}) {
    if (!/^https?:\/\//.test(url)) throw unusable2("the RPC URL must start with http:// or https://");
    let id = 0;
    return async (method, params) => {
      let resp;
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), timeoutMs);
      try {
        resp = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
          signal: ctl.signal
        });
      } catch (e) {
        throw unusable2(`RPC unreachable (${e.name === "AbortError" ? "timeout" : "connection failed"})`);
      } finally {
        clearTimeout(timer);
      }
      if (!resp.ok) throw unusable2(`RPC answered HTTP ${resp.status}`);
      let body;
      try {
        body = await resp.json();
      } catch (e) {
        throw unusable2("RPC did not answer JSON");
      }
      if (body === null || typeof body !== "object") throw unusable2("RPC answered a non-object");
      if (body.error) {
        const err = new VerifyError("unusable", "rpc", `RPC ${method} failed: ${String(body.error.message || body.error).slice(0, 200)}`);
        err.rpcError = true;
        throw err;
      }
      if (!("result" in body)) throw unusable2("RPC answered without a result");
      return body.result;
    };
  }
  function providerRpc(provider) {
    return async (method, params) => {
      try {
        return await provider.request({ method, params });
      } catch (e) {
        const err = new VerifyError("unusable", "rpc", `wallet RPC ${method} failed: ${String(e && e.message ? e.message : e).slice(0, 200)}`);
        err.rpcError = true;
        throw err;
      }
    };
  }
  async function verifyOnline(text, { rpc, pinned = [], codeHash = PUBLISHED_CODE_HASH, finalityDepth = null, fallbackDepth = DEFAULT_FALLBACK_DEPTH, chains = null, require: require2 = null } = {}) {
    const { bundle: b, root } = verifyMath(text);
    if (b.format === FORMAT_V2 || chains !== null) {
      return verifyAnchors(b, root, { chains: chains ?? [{ rpc, pinned }], require: require2, codeHash, finalityDepth, fallbackDepth });
    }
    const a = b.anchor;
    if (a.txHash === null || a.chainId === null || a.contract === null || a.blockNumber === null || a.blockHash === null) {
      throw invalid("anchor", `the bundle is not anchored yet (status ${a.status}): nothing to check on chain`);
    }
    const pins = pinList(pinned);
    const chainId = hexInt(await rpc("eth_chainId", []), "eth_chainId");
    if (chainId !== a.chainId) {
      throw unusable2(`wrong chain: the RPC serves chain ${chainId}, the bundle was anchored on chain ${a.chainId}; use an RPC of chain ${a.chainId}`);
    }
    if (pins.length === 0) throw new VerifyError("unpinned", "pin", `registry not pinned for chain ${chainId}`);
    const res = await checkAnchor(b, root, a, { rpc, pins, codeHash, finalityDepth, fallbackDepth });
    return {
      ...res,
      valid: true,
      recordId: b.record.recordId,
      kind: b.record.kind,
      batchId: b.batchId,
      root,
      summary: `valid: record ${b.record.recordId} (${b.record.kind}) is in batch ${b.batchId}, root ${root}, anchored in registry ${res.contract} (pinned by you; code = the published ${CONTRACT_NAME}) on chain ${res.chainId} in block ${res.blockNumber}, final (${res.finalityRule})`
    };
  }
  function pinList(pinned) {
    const pins = [];
    for (const p of pinned) {
      if (typeof p !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(p.trim())) throw unusable2(`pinned registry '${p}' is not 0x followed by 40 hex digits`);
      pins.push(p.trim().toLowerCase());
    }
    return pins;
  }
  async function checkAnchor(b, root, a, { rpc, pins, codeHash = PUBLISHED_CODE_HASH, finalityDepth = null, fallbackDepth = DEFAULT_FALLBACK_DEPTH }) {
    const chainId = a.chainId;
    if (!pins.includes(a.contract)) {
      throw invalid("contract", `the bundle names registry ${a.contract}, which is not the registry you pinned for chain ${chainId} (${pins.join(", ")})`);
    }
    const address = a.contract;
    const code = hexData(await rpc("eth_getCode", [address, "latest"]), "eth_getCode");
    if (code === "0x") throw invalid("contract", `no contract at ${address} on chain ${chainId}`);
    const codeBytes = hexToBytes2(code);
    for (const [start, length] of IMMUTABLE_RANGES) if (start + length <= codeBytes.length) codeBytes.fill(0, start, start + length);
    const actual = keccakHex(codeBytes);
    if (actual !== codeHash) {
      throw invalid("code", `code at ${address} is not the published ${CONTRACT_NAME} (code hash ${actual}, published ${codeHash})`);
    }
    const ret = hexData(await rpc("eth_call", [{ to: address, data: selector("rootOf(uint64)") + hexWord(b.batchId) }, "latest"]), "eth_call");
    if (ret.length !== 66) throw invalid("contract", `${address} did not answer rootOf(uint64) properly`);
    if (BigInt(ret) === 0n) throw invalid("chain_root", `batch ${b.batchId} is not anchored in contract ${address}`);
    if (ret !== root) throw invalid("chain_root", `the contract holds root ${ret} for batch ${b.batchId}; the proof leads to ${root}`);
    const call = selector("verify(uint64,bytes32[],bytes32)") + hexWord(b.batchId) + hexWord(96) + b.leaf.slice(2) + hexWord(b.proof.length) + b.proof.map((p) => p.slice(2)).join("");
    const ok = hexData(await rpc("eth_call", [{ to: address, data: call }, "latest"]), "eth_call");
    if (ok.length !== 66 || BigInt(ok) !== 1n) throw invalid("contract_verify", "the contract's verify() rejects the proof");
    const rcpt = await rpc("eth_getTransactionReceipt", [a.txHash]);
    if (rcpt === null) throw invalid("receipt", `transaction ${a.txHash} not found on chain ${chainId} (dropped or reorged out?)`);
    if (typeof rcpt !== "object") throw unusable2("RPC returned a malformed receipt");
    if (hexInt(rcpt.status, "receipt status") !== 1n) throw invalid("receipt", `transaction ${a.txHash} reverted`);
    const rBlock = hexInt(rcpt.blockNumber, "receipt blockNumber");
    const rHash = hexData(rcpt.blockHash, "receipt blockHash");
    if (rBlock !== a.blockNumber || rHash !== a.blockHash) {
      throw invalid("receipt", `the transaction is in block ${rBlock} (${rHash}); the bundle says block ${a.blockNumber} (${a.blockHash})`);
    }
    const want = [topic(ANCHORED_EVENT), "0x" + hexWord(b.batchId), root];
    if (!Array.isArray(rcpt.logs)) throw unusable2("RPC returned a receipt without logs");
    const found = rcpt.logs.some((log) => log && String(log.address || "").toLowerCase() === address && Array.isArray(log.topics) && log.topics.length === 3 && log.topics.every((t, k) => String(t).toLowerCase() === want[k]));
    if (!found) throw invalid("event", `the transaction has no Anchored(batchId=${b.batchId}, root) event from ${address}`);
    const blk = await rpc("eth_getBlockByNumber", ["0x" + rBlock.toString(16), false]);
    if (blk === null) throw invalid("canonical", `block ${rBlock} does not exist on this chain`);
    const now = hexData(blk.hash, "block hash");
    if (now !== rHash) throw invalid("canonical", `block ${rBlock} is now ${now}, not the receipt's ${rHash} (reorg)`);
    const blockTime = Number(hexInt(blk.timestamp, "block timestamp"));
    let fin;
    let rule;
    if (finalityDepth !== null) {
      fin = hexInt(await rpc("eth_blockNumber", []), "eth_blockNumber") - BigInt(finalityDepth);
      rule = `${finalityDepth} blocks deep`;
    } else {
      let fb;
      try {
        fb = await rpc("eth_getBlockByNumber", ["finalized", false]);
        fin = fb === null ? -1n : hexInt(fb.number, "finalized block number");
        rule = `finalized block ${fin}`;
      } catch (e) {
        if (!e.rpcError) throw e;
        fin = hexInt(await rpc("eth_blockNumber", []), "eth_blockNumber") - BigInt(fallbackDepth);
        rule = `no finalized tag: ${fallbackDepth} blocks deep`;
      }
    }
    if (rBlock > fin) throw invalid("finality", `block ${rBlock} is not final yet (final up to block ${fin}; ${rule})`);
    return { chainId, contract: address, codeHash: actual, blockNumber: rBlock, blockHash: rHash, blockTime, finalizedBlock: fin, finalityRule: rule };
  }
  function mathVerdict(text) {
    try {
      verifyMath(text);
      return { verdict: "valid", step: null };
    } catch (e) {
      if (e instanceof VerifyError) return { verdict: e.kind, step: e.step, detail: e.detail };
      return { verdict: "crash", step: null, detail: String(e && e.stack ? e.stack : e) };
    }
  }
  return __toCommonJS(verify_exports);
})();

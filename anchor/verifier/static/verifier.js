var ledgerAnchorVerifier = (() => {
  var __defProp = Object.defineProperty;
  var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
  var __getOwnPropNames = Object.getOwnPropertyNames;
  var __hasOwnProp = Object.prototype.hasOwnProperty;
  var __defNormalProp = (obj, key, value) => key in obj ? __defProp(obj, key, { enumerable: true, configurable: true, writable: true, value }) : obj[key] = value;
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
  var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);
  var __publicField = (obj, key, value) => __defNormalProp(obj, typeof key !== "symbol" ? key + "" : key, value);

  // src/verify.mjs
  var verify_exports = {};
  __export(verify_exports, {
    ANCHORED_EVENT: () => ANCHORED_EVENT,
    CONTRACT_NAME: () => CONTRACT_NAME,
    DEFAULT_FALLBACK_DEPTH: () => DEFAULT_FALLBACK_DEPTH,
    PUBLISHED_CODE_HASH: () => PUBLISHED_CODE_HASH,
    VerifyError: () => VerifyError,
    concat: () => concat,
    httpRpc: () => httpRpc,
    mathVerdict: () => mathVerdict,
    providerRpc: () => providerRpc,
    verifyMath: () => verifyMath,
    verifyOnline: () => verifyOnline
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
        const obj = /* @__PURE__ */ Object.create(null);
        ws();
        if (text[i] === "}") {
          i++;
          return obj;
        }
        for (; ; ) {
          ws();
          if (text[i] !== '"') fail2("expected a member name");
          const k = str();
          if (Object.prototype.hasOwnProperty.call(obj, k)) throw new FormatError(`duplicate key '${k}'`);
          ws();
          if (text[i] !== ":") fail2("expected ':'");
          i++;
          obj[k] = value(depth + 1);
          ws();
          if (text[i] === ",") {
            i++;
            continue;
          }
          if (text[i] === "}") {
            i++;
            return obj;
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
  function createHasher(hashCons, info = {}) {
    const hashC = (msg, opts) => hashCons(opts).update(msg).digest();
    const tmp = hashCons(void 0);
    hashC.outputLen = tmp.outputLen;
    hashC.blockLen = tmp.blockLen;
    hashC.create = (opts) => hashCons(opts);
    Object.assign(hashC, info);
    return Object.freeze(hashC);
  }

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
  function hexToBytes(h) {
    const s = h.slice(2);
    const out = new Uint8Array(s.length / 2);
    for (let k = 0; k < out.length; k++) out[k] = parseInt(s.slice(2 * k, 2 * k + 2), 16);
    return out;
  }
  function bytesToHex(b) {
    let s = "0x";
    for (const x of b) s += x.toString(16).padStart(2, "0");
    return s;
  }
  function keccakHex(bytes) {
    return bytesToHex(keccak_256(bytes));
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
        head.push(hexToBytes(v));
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
    return keccakHex(concat(hexToBytes(saltHex), enc.encode(accountId)));
  }
  function hashPair(a, b) {
    return keccakHex(a <= b ? concat(hexToBytes(a), hexToBytes(b)) : concat(hexToBytes(b), hexToBytes(a)));
  }
  function processProof(leaf, proof) {
    return proof.reduce((acc, p) => hashPair(acc, p), leaf);
  }

  // src/bundle.mjs
  var FORMAT = "ledger-anchor-proof/1";
  var MAX_BUNDLE_BYTES = 1 << 20;
  var MAX_PROOF_LEN = 64;
  var U64 = (1n << 64n) - 1n;
  var KEYS = ["format", "batchId", "seq", "record", "accounts", "leafEncoding", "value", "leaf", "proof", "root", "anchor", "checksum"];
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
    if (top.format !== FORMAT) {
      if (typeof top.format === "string" && top.format.startsWith("ledger-anchor-proof/")) throw fail(`unsupported format version '${top.format}' (this verifier reads '${FORMAT}')`);
      throw fail(`unknown format (expected '${FORMAT}')`);
    }
    exactKeys(top, "", KEYS);
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
    const an = exactKeys(top.anchor, "anchor", ANCHOR_KEYS);
    if (an.contract !== null && (typeof an.contract !== "string" || !ADDR.test(an.contract))) throw fail("anchor.contract: malformed address (expected 0x and 40 lowercase hex digits)");
    if (!STATUSES.includes(an.status)) throw fail(`anchor.status: must be one of ${STATUSES.join(", ")}`);
    const anchor = {
      chainId: u64(an.chainId, "anchor.chainId", true),
      contract: an.contract,
      txHash: h32(an.txHash, "anchor.txHash", true),
      blockNumber: u64(an.blockNumber, "anchor.blockNumber", true),
      blockHash: h32(an.blockHash, "anchor.blockHash", true),
      status: an.status
    };
    if (anchor.status !== "pending" && [anchor.chainId, anchor.contract, anchor.txHash, anchor.blockNumber, anchor.blockHash].includes(null)) {
      throw fail(`anchor: status '${anchor.status}' needs chainId, contract, txHash, blockNumber and blockHash`);
    }
    const checksum = h32(top.checksum, "checksum");
    const bundle = { batchId, seq, record, accounts, leafEncoding, value, leaf, proof, root, anchor, checksum };
    const where = firstDifference(top, canonicalObj(bundle, true));
    if (where !== null) throw fail(`${where} is not in canonical form (the bundle may be pretty-printed, but no member may be written differently)`);
    return bundle;
  }
  function canonicalObj(b, withChecksum) {
    const obj = {
      format: FORMAT,
      batchId: b.batchId,
      seq: b.seq,
      record: canonicalRecordObj(b.record),
      accounts: b.accounts.map((a) => ({ field: a.field, accountId: a.accountId, salt: a.salt })),
      leafEncoding: [...b.leafEncoding],
      value: [...b.value],
      leaf: b.leaf,
      proof: [...b.proof],
      root: b.root,
      anchor: { ...b.anchor }
    };
    if (withChecksum) obj.checksum = b.checksum;
    return obj;
  }
  function computedChecksum(b) {
    return keccakHex(enc.encode(dumps(canonicalObj(b, false)) + "\n"));
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
  var unusable = (detail) => new VerifyError("unusable", "input", detail);
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
    if (typeof v !== "string" || !/^0x[0-9a-fA-F]+$/.test(v)) throw unusable(`RPC returned a malformed quantity for ${what}`);
    return BigInt(v);
  }
  function hexData(v, what) {
    if (typeof v !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(v)) throw unusable(`RPC returned malformed data for ${what}`);
    return v.toLowerCase();
  }
  function httpRpc(url, { timeoutMs = 1e4 } = {}) {
    if (!/^https?:\/\//.test(url)) throw unusable("the RPC URL must start with http:// or https://");
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
        throw unusable(`RPC unreachable (${e.name === "AbortError" ? "timeout" : "connection failed"})`);
      } finally {
        clearTimeout(timer);
      }
      if (!resp.ok) throw unusable(`RPC answered HTTP ${resp.status}`);
      let body;
      try {
        body = await resp.json();
      } catch (e) {
        throw unusable("RPC did not answer JSON");
      }
      if (body === null || typeof body !== "object") throw unusable("RPC answered a non-object");
      if (body.error) {
        const err = new VerifyError("unusable", "rpc", `RPC ${method} failed: ${String(body.error.message || body.error).slice(0, 200)}`);
        err.rpcError = true;
        throw err;
      }
      if (!("result" in body)) throw unusable("RPC answered without a result");
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
  async function verifyOnline(text, { rpc, pinned = [], codeHash = PUBLISHED_CODE_HASH, finalityDepth = null, fallbackDepth = DEFAULT_FALLBACK_DEPTH } = {}) {
    const { bundle: b, root } = verifyMath(text);
    const a = b.anchor;
    if (a.txHash === null || a.chainId === null || a.contract === null || a.blockNumber === null || a.blockHash === null) {
      throw invalid("anchor", `the bundle is not anchored yet (status ${a.status}): nothing to check on chain`);
    }
    const pins = [];
    for (const p of pinned) {
      if (typeof p !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(p.trim())) throw unusable(`pinned registry '${p}' is not 0x followed by 40 hex digits`);
      pins.push(p.trim().toLowerCase());
    }
    const chainId = hexInt(await rpc("eth_chainId", []), "eth_chainId");
    if (chainId !== a.chainId) {
      throw unusable(`wrong chain: the RPC serves chain ${chainId}, the bundle was anchored on chain ${a.chainId}; use an RPC of chain ${a.chainId}`);
    }
    if (pins.length === 0) throw new VerifyError("unpinned", "pin", `registry not pinned for chain ${chainId}`);
    if (!pins.includes(a.contract)) {
      throw invalid("contract", `the bundle names registry ${a.contract}, which is not the registry you pinned for chain ${chainId} (${pins.join(", ")})`);
    }
    const address = a.contract;
    const code = hexData(await rpc("eth_getCode", [address, "latest"]), "eth_getCode");
    if (code === "0x") throw invalid("contract", `no contract at ${address} on chain ${chainId}`);
    const codeBytes = hexToBytes(code);
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
    if (typeof rcpt !== "object") throw unusable("RPC returned a malformed receipt");
    if (hexInt(rcpt.status, "receipt status") !== 1n) throw invalid("receipt", `transaction ${a.txHash} reverted`);
    const rBlock = hexInt(rcpt.blockNumber, "receipt blockNumber");
    const rHash = hexData(rcpt.blockHash, "receipt blockHash");
    if (rBlock !== a.blockNumber || rHash !== a.blockHash) {
      throw invalid("receipt", `the transaction is in block ${rBlock} (${rHash}); the bundle says block ${a.blockNumber} (${a.blockHash})`);
    }
    const want = [topic(ANCHORED_EVENT), "0x" + hexWord(b.batchId), root];
    if (!Array.isArray(rcpt.logs)) throw unusable("RPC returned a receipt without logs");
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
    return {
      valid: true,
      recordId: b.record.recordId,
      kind: b.record.kind,
      batchId: b.batchId,
      root,
      chainId,
      contract: address,
      codeHash: actual,
      blockNumber: rBlock,
      blockHash: rHash,
      blockTime,
      finalizedBlock: fin,
      finalityRule: rule,
      summary: `valid: record ${b.record.recordId} (${b.record.kind}) is in batch ${b.batchId}, root ${root}, anchored in registry ${address} (pinned by you; code = the published ${CONTRACT_NAME}) on chain ${chainId} in block ${rBlock}, final (${rule})`
    };
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

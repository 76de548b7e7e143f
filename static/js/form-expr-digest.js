/*
 * digest(data, algorithm[, encoding]) for form expressions on the phone: MD5, SHA-1, SHA-256, SHA-384
 * and SHA-512 of the UTF-8 bytes of `data`, in base64 (the default) or hex, computed synchronously
 * (crypto.subtle is asynchronous and absent on plain-http pages). The server uses Python's hashlib
 * (survey_app/formdefs/odk_library.py); tests/formdefs/expression_cases.json checks both agree.
 */

const rotl = (x, n) => (x << n) | (x >>> (32 - n));
const rotr = (x, n) => (x >>> n) | (x << (32 - n));

/* The message padded to whole blocks: `blockBytes` long, its bit length at the end (big or little endian). */
function pad(bytes, blockBytes, lengthBytes, littleEndian) {
  const total = Math.ceil((bytes.length + 1 + lengthBytes) / blockBytes) * blockBytes;
  const out = new Uint8Array(total);
  out.set(bytes);
  out[bytes.length] = 0x80;
  const bits = bytes.length * 8;
  for (let i = 0; i < 8; i += 1) {
    const byte = Math.floor(bits / 2 ** (8 * i)) & 0xff;
    out[littleEndian ? total - lengthBytes + i : total - 1 - i] = byte;
  }
  return out;
}

function words(bytes, littleEndian) {
  const view = new DataView(bytes.buffer);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getUint32(i * 4, littleEndian));
}

function toBytes(ws, littleEndian) {
  const out = new Uint8Array(ws.length * 4);
  const view = new DataView(out.buffer);
  ws.forEach((w, i) => view.setUint32(i * 4, w >>> 0, littleEndian));
  return out;
}

const MD5_S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const MD5_K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

function md5(bytes) {
  const m = words(pad(bytes, 64, 8, true), true);
  let [a0, b0, c0, d0] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  for (let block = 0; block < m.length; block += 16) {
    let [a, b, c, d] = [a0, b0, c0, d0];
    for (let i = 0; i < 64; i += 1) {
      let f; let g;
      if (i < 16) { f = (b & c) | (~b & d); g = i; }
      else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) % 16; }
      else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) % 16; }
      else { f = c ^ (b | ~d); g = (7 * i) % 16; }
      const s = MD5_S[(i >> 4) * 4 + (i % 4)];
      const next = (b + rotl((a + f + MD5_K[i] + m[block + g]) | 0, s)) | 0;
      a = d; d = c; c = b; b = next;
    }
    a0 = (a0 + a) | 0; b0 = (b0 + b) | 0; c0 = (c0 + c) | 0; d0 = (d0 + d) | 0;
  }
  return toBytes([a0, b0, c0, d0], true);
}

function sha1(bytes) {
  const m = words(pad(bytes, 64, 8, false), false);
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const w = new Array(80);
  for (let block = 0; block < m.length; block += 16) {
    for (let i = 0; i < 80; i += 1) w[i] = i < 16 ? m[block + i] : rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    let [a, b, c, d, e] = h;
    for (let i = 0; i < 80; i += 1) {
      let f; let k;
      if (i < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
      else if (i < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
      else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc; }
      else { f = b ^ c ^ d; k = 0xca62c1d6; }
      const t = (rotl(a, 5) + f + e + k + w[i]) | 0;
      e = d; d = c; c = rotl(b, 30); b = a; a = t;
    }
    [a, b, c, d, e].forEach((v, i) => { h[i] = (h[i] + v) | 0; });
  }
  return toBytes(h, false);
}

const SHA256_K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
];

function sha256(bytes) {
  const m = words(pad(bytes, 64, 8, false), false);
  const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  const w = new Array(64);
  for (let block = 0; block < m.length; block += 16) {
    for (let i = 0; i < 64; i += 1) {
      if (i < 16) { w[i] = m[block + i]; continue; }
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i += 1) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + SHA256_K[i] + w[i]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    [a, b, c, d, e, f, g, hh].forEach((v, i) => { h[i] = (h[i] + v) | 0; });
  }
  return toBytes(h, false);
}

const MASK = (1n << 64n) - 1n;
const rotr64 = (x, n) => ((x >> n) | (x << (64n - n))) & MASK;
/* SHA-512's constants: the first 64 bits of the fractional parts of the cube roots of the first 80 primes. */
const SHA512_K = (() => {
  const primes = [];
  for (let n = 2; primes.length < 80; n += 1) if (primes.every((p) => n % p)) primes.push(n);
  return primes.map((p) => fractionBits(p, 3n));
})();

/* The first 64 bits of the fractional part of the `root`-th root of `p`, exactly (integer arithmetic). */
function fractionBits(p, root) {
  const target = BigInt(p) << (64n * root);
  let lo = 0n;
  let hi = 1n << 72n;
  while (lo < hi) {
    const mid = (lo + hi + 1n) >> 1n;
    if (mid ** root <= target) lo = mid; else hi = mid - 1n;
  }
  return lo & MASK;
}

function sha512(bytes, length) {
  const padded = pad(bytes, 128, 16, false);
  const view = new DataView(padded.buffer);
  const primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89];
  const h = length === 48 ? primes.slice(8, 16).map((p) => fractionBits(p, 2n)) : primes.slice(0, 8).map((p) => fractionBits(p, 2n));
  const w = new Array(80);
  for (let block = 0; block < padded.length; block += 128) {
    for (let i = 0; i < 80; i += 1) {
      if (i < 16) { w[i] = view.getBigUint64(block + i * 8, false); continue; }
      const s0 = rotr64(w[i - 15], 1n) ^ rotr64(w[i - 15], 8n) ^ (w[i - 15] >> 7n);
      const s1 = rotr64(w[i - 2], 19n) ^ rotr64(w[i - 2], 61n) ^ (w[i - 2] >> 6n);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) & MASK;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 80; i += 1) {
      const t1 = (hh + (rotr64(e, 14n) ^ rotr64(e, 18n) ^ rotr64(e, 41n)) + ((e & f) ^ (~e & MASK & g)) + SHA512_K[i] + w[i]) & MASK;
      const t2 = ((rotr64(a, 28n) ^ rotr64(a, 34n) ^ rotr64(a, 39n)) + ((a & b) ^ (a & c) ^ (b & c))) & MASK;
      hh = g; g = f; f = e; e = (d + t1) & MASK; d = c; c = b; b = a; a = (t1 + t2) & MASK;
    }
    [a, b, c, d, e, f, g, hh].forEach((v, i) => { h[i] = (h[i] + v) & MASK; });
  }
  const out = new Uint8Array(64);
  const outView = new DataView(out.buffer);
  h.forEach((v, i) => outView.setBigUint64(i * 8, v, false));
  return out.slice(0, length);
}

const ALGORITHMS = {
  MD5: md5, "SHA-1": sha1, "SHA-256": sha256, "SHA-384": (b) => sha512(b, 48), "SHA-512": (b) => sha512(b, 64),
};

function encode(bytes, encoding) {
  if (encoding === "hex") return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  let binary = "";
  bytes.forEach((b) => { binary += String.fromCharCode(b); });
  return btoa(binary);
}

/** The hash of the UTF-8 bytes of `text`, in base64 or hex; "" for an unknown algorithm or encoding. */
export function digest(text, algorithm, encoding = "base64") {
  const hash = Object.prototype.hasOwnProperty.call(ALGORITHMS, algorithm) ? ALGORITHMS[algorithm] : null;
  if (hash === null || (encoding !== "base64" && encoding !== "hex")) return "";
  return encode(hash(new TextEncoder().encode(text)), encoding);
}

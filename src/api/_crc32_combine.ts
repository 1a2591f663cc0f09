/**
 * CRC-32 (IEEE, the gzip polynomial) of a concatenation from the CRCs of its parts, in O(log n)
 * (zlib's `crc32_combine`, by multiplication modulo the polynomial): the render worker gzips the
 * exposition as pieces compressed apart, and the gzip trailer needs the CRC of the whole.
 *
 * @example
 * ```ts
 * import { crc32Combine } from "./_crc32_combine.ts";
 * import { crc32 } from "node:zlib";
 * const a = new TextEncoder().encode("hello "), b = new TextEncoder().encode("world");
 * crc32Combine(crc32(a), crc32(b), b.length) === crc32(new TextEncoder().encode("hello world")); // true
 * ```
 * @module
 */

const POLY = 0xedb88320;

/** a(x) · b(x) mod p(x), in the reflected bit order of CRC-32. */
function multModP(a: number, b: number): number {
  let m = 1 << 31;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) mod p(x). */
const X2N = new Uint32Array(32);
X2N[0] = 1 << 30; // x^1
for (let k = 1; k < 32; k++) X2N[k] = multModP(X2N[k - 1], X2N[k - 1]);

/** x^(n · 2^k) mod p(x). */
function x2nModP(n: number, k: number): number {
  let p = 1 << 31; // x^0
  while (n > 0) {
    if (n % 2 === 1) p = multModP(X2N[k & 31], p);
    n = Math.floor(n / 2);
    k++;
  }
  return p >>> 0;
}

/**
 * The CRC-32 of A followed by B, from `crcA`, `crcB` and B's length in bytes.
 *
 * @example
 * ```ts
 * import { crc32Combine } from "./_crc32_combine.ts";
 * crc32Combine(0, 0x1234abcd, 10); // 0x1234abcd: an empty A changes nothing
 * ```
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModP(x2nModP(lengthB, 3), crcA) ^ crcB) >>> 0;
}

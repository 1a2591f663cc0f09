/**
 * CRC-32 (IEEE 802.3, the zlib/gzip/PNG polynomial), table-driven. We use the IEEE variant rather
 * than CRC-32C so that anyone can check a log line by hand with `python3 -c 'import zlib'`.
 *
 * Two entry points: {@link crc32} over bytes (slicing-by-8: eight table lookups per 8 bytes,
 * used on replay where whole segments are in memory) and {@link crc32String} over a JS string
 * as its UTF-8 bytes (used on append, so a record's checksum is computed before the batch is
 * encoded, without a TextEncoder call per record).
 *
 * @example
 * ```ts
 * import { crc32, crc32String } from "./_crc32.ts";
 * crc32(new TextEncoder().encode("123456789")).toString(16); // "cbf43926"
 * crc32String("123456789") === 0xcbf43926; // true
 * ```
 * @module
 */

/** Eight 256-entry tables, one after the other: T[k*256+n] is n shifted k extra bytes. */
const T = /* @__PURE__ */ (() => {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[(k - 1) * 256 + n];
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff];
    }
  }
  return t;
})();

/**
 * CRC-32 of `bytes[start, end)`, continuing from `crc` (the result of a previous call, 0 to
 * start). Returns an unsigned 32-bit number.
 *
 * @example
 * ```ts
 * import { crc32 } from "./_crc32.ts";
 * const b = new TextEncoder().encode("123456789");
 * crc32(b, 4, 9, crc32(b, 0, 4)) === crc32(b); // true: it continues
 * ```
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  let c = ~crc;
  let i = start;
  // Slicing-by-8: fold 8 bytes per iteration with eight independent lookups.
  const last8 = end - 8;
  while (i <= last8) {
    const a = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c = T[1792 + (a & 0xff)] ^ T[1536 + ((a >>> 8) & 0xff)] ^ T[1280 + ((a >>> 16) & 0xff)] ^
      T[1024 + (a >>> 24)] ^ T[768 + bytes[i + 4]] ^ T[512 + bytes[i + 5]] ^
      T[256 + bytes[i + 6]] ^ T[bytes[i + 7]];
    i += 8;
  }
  while (i < end) c = T[(c ^ bytes[i++]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * CRC-32 of the UTF-8 encoding of `s` (lone surrogates count as U+FFFD, as TextEncoder writes
 * them), continuing from `crc`.
 *
 * @example
 * ```ts
 * import { crc32, crc32String } from "./_crc32.ts";
 * crc32String("héllo") === crc32(new TextEncoder().encode("héllo")); // true
 * ```
 */
export function crc32String(s: string, crc = 0): number {
  let c = ~crc;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let u = s.charCodeAt(i);
    if (u < 0x80) {
      c = T[(c ^ u) & 0xff] ^ (c >>> 8);
      continue;
    }
    if (u < 0x800) {
      c = T[(c ^ (0xc0 | (u >> 6))) & 0xff] ^ (c >>> 8);
      c = T[(c ^ (0x80 | (u & 0x3f))) & 0xff] ^ (c >>> 8);
      continue;
    }
    if (u >= 0xd800 && u <= 0xdbff && i + 1 < n) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        const cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        i++;
        c = T[(c ^ (0xf0 | (cp >> 18))) & 0xff] ^ (c >>> 8);
        c = T[(c ^ (0x80 | ((cp >> 12) & 0x3f))) & 0xff] ^ (c >>> 8);
        c = T[(c ^ (0x80 | ((cp >> 6) & 0x3f))) & 0xff] ^ (c >>> 8);
        c = T[(c ^ (0x80 | (cp & 0x3f))) & 0xff] ^ (c >>> 8);
        continue;
      }
    }
    if (u >= 0xd800 && u <= 0xdfff) u = 0xfffd;
    c = T[(c ^ (0xe0 | (u >> 12))) & 0xff] ^ (c >>> 8);
    c = T[(c ^ (0x80 | ((u >> 6) & 0x3f))) & 0xff] ^ (c >>> 8);
    c = T[(c ^ (0x80 | (u & 0x3f))) & 0xff] ^ (c >>> 8);
  }
  return ~c >>> 0;
}

/**
 * Continues `crc` over one byte (used to add the record's closing `}` after the slice).
 *
 * @example
 * ```ts
 * import { crc32, crc32Byte } from "./_crc32.ts";
 * crc32Byte(crc32(new TextEncoder().encode("{}"), 0, 1), 0x7d) === crc32(new TextEncoder().encode("{}")); // true
 * ```
 */
export function crc32Byte(crc: number, byte: number): number {
  const c = ~crc;
  return ~(T[(c ^ byte) & 0xff] ^ (c >>> 8)) >>> 0;
}

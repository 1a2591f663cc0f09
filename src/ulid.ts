/**
 * ULIDs for run ids: 48-bit millisecond time + 80 random bits, Crockford base32, sortable by
 * time, monotonic within one millisecond (the random part is incremented).
 *
 * @example
 * ```ts
 * import { ulid } from "./ulid.ts";
 * ulid(Date.now()).length; // 26
 * ```
 * @module
 */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
let lastTime = -1;
let lastPrefix = "";
const lastRandom = new Uint8Array(16); // 16 base32 digits, 5 bits each
let prefixTime = -1;
// All 1,024 two-digit base32 strings: eight lookups build the random part.
const PAIRS: string[] = Array.from({ length: 1024 }, (_, i) => ALPHABET[i >> 5] + ALPHABET[i & 31]);
const pool = new Uint8Array(1024);
let poolAt = pool.length;

function refill(): void {
  crypto.getRandomValues(pool);
  poolAt = 0;
}

/**
 * A new ULID for time `ms`. Within the same millisecond ids keep increasing.
 *
 * @example
 * ```ts
 * import { ulid } from "./ulid.ts";
 * const a = ulid(1000), b = ulid(1000);
 * a < b; // true
 * ```
 */
export function ulid(ms: number): string {
  if (ms === lastTime) {
    // Increment the random part as a 80-bit base32 number.
    let i = 15;
    while (i >= 0 && lastRandom[i] === 31) lastRandom[i--] = 0;
    if (i >= 0) lastRandom[i]++;
  } else {
    lastTime = ms;
    if (poolAt + 16 > pool.length) refill();
    for (let i = 0; i < 16; i++) lastRandom[i] = pool[poolAt++] & 31;
  }
  let out = lastPrefix;
  if (ms !== prefixTime) {
    // The time part only changes once per millisecond: compute it once.
    let t = ms;
    out = "";
    for (let i = 0; i < 10; i++) {
      out = ALPHABET[t % 32] + out;
      t = Math.floor(t / 32);
    }
    lastPrefix = out;
    prefixTime = ms;
  }
  const r = lastRandom;
  return out + PAIRS[r[0] << 5 | r[1]] + PAIRS[r[2] << 5 | r[3]] + PAIRS[r[4] << 5 | r[5]] +
    PAIRS[r[6] << 5 | r[7]] + PAIRS[r[8] << 5 | r[9]] + PAIRS[r[10] << 5 | r[11]] +
    PAIRS[r[12] << 5 | r[13]] + PAIRS[r[14] << 5 | r[15]];
}

/**
 * The millisecond timestamp inside a ULID.
 *
 * @example
 * ```ts
 * import { ulid, ulidTime } from "./ulid.ts";
 * ulidTime(ulid(123456)); // 123456
 * ```
 */
export function ulidTime(id: string): number {
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + ALPHABET.indexOf(id[i]);
  return t;
}

/**
 * Generators of hostile input for the hostile_input case: strings that are almost valid, far
 * from valid, huge, binary, unicode, path traversals; values of every JSON and TOML type.
 * Everything is drawn from one seeded {@link Rng}.
 *
 * @example
 * ```ts
 * import { Rng } from "./_common.ts";
 * import { hostileString } from "./_fuzz.ts";
 * hostileString(new Rng(1));
 * ```
 * @module
 */
import type { Rng } from "./_common.ts";
import { randomCron } from "./cron_crosscheck.ts";

const WEIRD = [
  "",
  " ",
  "\t",
  "\n",
  "\r\n",
  "\0",
  "\u0000\u0001\u001f",
  "\u00a0",
  "\u2028",
  "\u202e", // right-to-left override
  "\ufeff",
  "\ud800", // lone surrogate
  "é",
  "e\u0301",
  "日本語",
  "🙂",
  "👨‍👩‍👧",
  "𝔘𝔫𝔦",
  "../",
  "../../etc/passwd",
  "..\\..\\",
  "%2e%2e%2f",
  "%00",
  "/",
  "\\",
  ".",
  "..",
  "~",
  "$HOME",
  "$(id)",
  "`id`",
  ";",
  "|",
  "&&",
  "'",
  '"',
  "\\u0000",
  "{",
  "}",
  "[",
  "]",
  "<script>",
  "NaN",
  "Infinity",
  "-1",
  "0",
  "1e309",
  "9007199254740993",
  "-9999999999999999999",
  "0x1f",
  "1_000",
  "null",
  "true",
  "__proto__",
  "constructor",
  "prototype",
];

/**
 * A hostile string: weird fragments, random bytes, repetitions, sometimes very long.
 *
 * @example
 * ```ts
 * import { Rng } from "./_common.ts";
 * import { hostileString } from "./_fuzz.ts";
 * typeof hostileString(new Rng(2)); // "string"
 * ```
 */
export function hostileString(rng: Rng, maxParts = 4): string {
  const r = rng.next();
  if (r < 0.05) return rng.pick(WEIRD).repeat(rng.int(1000, 20000));
  if (r < 0.1) return "a".repeat(rng.int(60, 70));
  if (r < 0.15) {
    let s = "";
    const n = rng.int(1, 40);
    for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(0, 0xffff));
    return s;
  }
  let s = "";
  const n = rng.int(1, maxParts);
  for (let i = 0; i < n; i++) {
    s += rng.chance(0.5) ? rng.pick(WEIRD) : randomWord(rng);
  }
  return s;
}

function randomWord(rng: Rng): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-*/,?#LW@";
  let s = "";
  const n = rng.int(1, 12);
  for (let i = 0; i < n; i++) s += alphabet[rng.int(0, alphabet.length - 1)];
  return s;
}

/**
 * A mutation of `text`: characters inserted, deleted, replaced, duplicated; fragments spliced.
 *
 * @example
 * ```ts
 * import { Rng } from "./_common.ts";
 * import { mutate } from "./_fuzz.ts";
 * mutate(new Rng(3), "0 2 * * *");
 * ```
 */
export function mutate(rng: Rng, text: string): string {
  let s = text;
  const n = rng.int(1, 4);
  for (let i = 0; i < n; i++) {
    const at = rng.int(0, s.length);
    switch (rng.int(0, 5)) {
      case 0:
        s = s.slice(0, at) + s.slice(at + rng.int(1, 3));
        break;
      case 1:
        s = s.slice(0, at) + rng.pick(WEIRD) + s.slice(at);
        break;
      case 2:
        s = s.slice(0, at) + String.fromCharCode(rng.int(32, 126)) + s.slice(at + 1);
        break;
      case 3:
        s = s.slice(0, at) + s.slice(at, at + rng.int(1, 8)).repeat(rng.int(2, 50)) + s.slice(at);
        break;
      case 4:
        s = s.slice(0, at) + String(rng.pick([-1, 0, 60, 99999, 2 ** 31, 2 ** 53, 1e21])) +
          s.slice(at);
        break;
      default:
        s = s.slice(0, at) + randomWord(rng) + s.slice(at);
    }
  }
  return s;
}

/**
 * A hostile cron expression: a mutated valid one, a structural oddity, or garbage.
 *
 * @example
 * ```ts
 * import { Rng } from "./_common.ts";
 * import { hostileCron } from "./_fuzz.ts";
 * hostileCron(new Rng(4));
 * ```
 */
export function hostileCron(rng: Rng): string {
  const r = rng.next();
  if (r < 0.45) return mutate(rng, randomCron(rng));
  if (r < 0.6) {
    return rng.pick([
      "*/0 * * * *",
      "*/-1 * * * *",
      "5-3 * * * *",
      "0 0 31 2 *",
      "0 0 30 2 *",
      "* * * * * * *",
      "* * * *",
      "0 0 0 0 0",
      "60 * * * *",
      "* 24 * * *",
      "* * 32 * *",
      "* * * 13 *",
      "* * * * 8",
      "0 0 L-40 * *",
      "0 0 * * 5#6",
      "0 0 * * 5#0",
      "0 0 LW * *",
      "0 0 32W * *",
      "@reboot",
      "@every 5m",
      "@yearly extra",
      "0 0 * * MON-SUN-TUE",
      "1,2,3,,4 * * * *",
      "1-2-3 * * * *",
      "*/1000000 * * * *",
      "0 0 1-31/31 * *",
      "0 0 29 2 MON",
      "0 0 ? ? *",
      "0 0 * * +MON",
      "+ + + + +",
    ]);
  }
  if (r < 0.7) {
    // A very long list.
    const n = rng.int(100, 5000);
    return `${Array.from({ length: n }, (_, i) => i % 60).join(",")} * * * *`;
  }
  return hostileString(rng, 8);
}

/**
 * A hostile duration: a string or a number.
 *
 * @example
 * ```ts
 * import { Rng } from "./_common.ts";
 * import { hostileDuration } from "./_fuzz.ts";
 * hostileDuration(new Rng(5));
 * ```
 */
export function hostileDuration(rng: Rng): string | number {
  const r = rng.next();
  if (r < 0.2) {
    return rng.pick([
      NaN,
      Infinity,
      -Infinity,
      -1,
      -0,
      0,
      0.5,
      1e15,
      1e16,
      1e300,
      2 ** 53,
      Number.MAX_VALUE,
      8.64e15,
    ]);
  }
  if (r < 0.55) {
    const units = [
      "ms",
      "s",
      "m",
      "h",
      "d",
      "w",
      "y",
      "us",
      "ns",
      "S",
      "M",
      "H",
      "D",
      "min",
      "sec",
      "",
    ];
    let s = "";
    const n = rng.int(1, 4);
    for (let i = 0; i < n; i++) {
      s += String(rng.pick([0, 1, 2, 5, 30, 59, 60, 90, 1000, 99999999, 1e21, -3, 1.5, 0.001])) +
        rng.pick(units);
    }
    return rng.chance(0.2) ? ` ${s} ` : s;
  }
  if (r < 0.8) return mutate(rng, rng.pick(["30m", "1h30m", "250ms", "1d", "1w", "2h", "10s"]));
  return hostileString(rng);
}

/**
 * A hostile job name.
 *
 * @example
 * ```ts
 * import { Rng } from "./_common.ts";
 * import { hostileName } from "./_fuzz.ts";
 * hostileName(new Rng(6));
 * ```
 */
export function hostileName(rng: Rng): string {
  const r = rng.next();
  if (r < 0.25) {
    // Valid-looking names with tricky dots and dashes (many of them valid).
    const alphabet = "aZ09._-";
    let s = rng.pick(["a", "Z", "0", "9", ".", "-", "_"]);
    const n = rng.int(0, rng.chance(0.1) ? 70 : 10);
    for (let i = 0; i < n; i++) s += alphabet[rng.int(0, alphabet.length - 1)];
    return s;
  }
  if (r < 0.5) {
    return rng.pick([
      "..",
      ".",
      "../etc",
      "a/../../b",
      "..%2f..%2f",
      "a\0b",
      "\0",
      "a\nb",
      "a b",
      "a".repeat(64),
      "a".repeat(65),
      "a".repeat(100_000),
      "CON",
      "nul",
      "job\u202etxt.exe",
      "jöb",
      "🙂",
      "a\\b",
      "a/b",
      "-rf",
      "--help",
      "~root",
      "$(reboot)",
    ]);
  }
  return hostileString(rng);
}

/**
 * A hostile JSON-ish value of any type, nested up to `depth`.
 *
 * @example
 * ```ts
 * import { Rng } from "./_common.ts";
 * import { hostileValue } from "./_fuzz.ts";
 * hostileValue(new Rng(7), 2);
 * ```
 */
export function hostileValue(rng: Rng, depth = 2): unknown {
  const r = rng.next();
  if (r < 0.3) return hostileString(rng);
  if (r < 0.45) return rng.pick([0, -1, 1, 1.5, 1e21, -1e21, NaN, Infinity, 2 ** 53 + 1, 3]);
  if (r < 0.5) return rng.chance(0.5);
  if (r < 0.55) return null;
  if (r < 0.6) return undefined;
  if (r < 0.65) return () => {};
  if (r < 0.68) return new Date(rng.int(-1e13, 1e13));
  if (r < 0.7) return new Date(NaN);
  if (depth <= 0) return hostileString(rng);
  if (r < 0.85) return Array.from({ length: rng.int(0, 4) }, () => hostileValue(rng, depth - 1));
  const o: Record<string, unknown> = {};
  const n = rng.int(0, 4);
  for (let i = 0; i < n; i++) {
    o[
      rng.chance(0.2) ? rng.pick(["__proto__", "constructor", "toString"]) : hostileString(rng, 2)
    ] = hostileValue(rng, depth - 1);
  }
  return o;
}

/** A deeply nested JSON text (parsers that recurse may overflow their stack on it). */
export function deepJson(rng: Rng): string {
  const n = rng.int(1000, 200_000);
  return "[".repeat(n) + "]".repeat(rng.chance(0.5) ? n : rng.int(0, n));
}

/**
 * One log record = one line: the event as JSON with `seq`, `time` and `type` first and a CRC-32
 * member last, e.g. `{"seq":1,"time":"…","type":"RUNTIME_STOPPED","crc":"1a2b3c4d"}` + `\n`.
 *
 * The checksum covers the record exactly as it reads without its `,"crc":"…"` member, i.e. the
 * line's bytes up to the last 18 (`,"crc":"hhhhhhhh"}`) followed by `}`. Verification is
 * therefore a slice + CRC, never a re-serialisation, and the covered text is itself valid JSON.
 *
 * @example
 * ```ts
 * import { encodeRecord, verifyRecord } from "./_record.ts";
 * const line = encodeRecord({ type: "RUNTIME_STOPPED", time: "2025-01-01T00:00:00.000Z", seq: 1 });
 * const bytes = new TextEncoder().encode(line);
 * verifyRecord(bytes, 0, bytes.length); // null (valid)
 * ```
 * @module
 */
import type { KronEvent } from "../events/mod.ts";
import { crc32, crc32Byte, crc32String } from "./_crc32.ts";
import { fastBody } from "./_fast_record.ts";

/**
 * Length in bytes of the `,"crc":"hhhhhhhh"}` tail of every record.
 *
 * @example
 * ```ts
 * ',"crc":"0123abcd"}'.length === CRC_SUFFIX_BYTES; // true
 * ```
 */
export const CRC_SUFFIX_BYTES = 18;

const HEX = "0123456789abcdef";
/** `,"crc":"` as bytes: what the record must hold at `end - 18`. */
const SUFFIX_HEAD = [0x2c, 0x22, 0x63, 0x72, 0x63, 0x22, 0x3a, 0x22];
const QUOTE = 0x22;
const CLOSE = 0x7d;

function hex8(n: number): string {
  return HEX[(n >>> 28) & 15] + HEX[(n >>> 24) & 15] + HEX[(n >>> 20) & 15] +
    HEX[(n >>> 16) & 15] + HEX[(n >>> 12) & 15] + HEX[(n >>> 8) & 15] + HEX[(n >>> 4) & 15] +
    HEX[n & 15];
}

/**
 * Serialises an event (which must have `seq`) to its log line, without the newline.
 *
 * @example
 * ```ts
 * import { encodeRecord } from "./_record.ts";
 * encodeRecord({ type: "RUNTIME_STOPPED", time: "2025-01-01T00:00:00.000Z", seq: 7 });
 * // '{"seq":7,"time":"2025-01-01T00:00:00.000Z","type":"RUNTIME_STOPPED","crc":"…"}'
 * ```
 */
export function encodeRecord(event: KronEvent): string {
  // The two events of every run take a specialised path with byte-identical output.
  const fast = fastBody(event);
  if (fast !== null) return fast.slice(0, -1) + ',"crc":"' + hex8(crc32String(fast)) + '"}';
  // Spreading after the three leading keys keeps their position (JSON.stringify follows
  // insertion order) and costs less than a replacer function.
  let body = JSON.stringify({
    seq: event.seq,
    time: event.time,
    type: event.type,
    ...(event as object),
  });
  if ("crc" in event || "prev" in event) {
    // An event read back from a log carries its old checksum (and link): never serialise twice.
    const { crc: _crc, prev: _prev, ...rest } = event as KronEvent & {
      crc?: unknown;
      prev?: unknown;
    };
    body = JSON.stringify({ seq: rest.seq, time: rest.time, type: rest.type, ...(rest as object) });
  }
  return body.slice(0, -1) + ',"crc":"' + hex8(crc32String(body)) + '"}';
}

const UNSEALED = ',"crc":"00000000"}';

/**
 * Like {@link encodeRecord}, but with a placeholder checksum (`00000000`) that
 * {@link sealRecords} fills in later over the encoded bytes: the log writer checksums a whole
 * batch at once (slicing-by-8 over bytes) instead of each record's string on append.
 *
 * @example
 * ```ts
 * import { encodeRecord, encodeUnsealed, sealRecords } from "./_record.ts";
 * const e = { type: "RUNTIME_STOPPED", time: "2025-01-01T00:00:00.000Z", seq: 7 } as const;
 * const bytes = new TextEncoder().encode(encodeUnsealed({ ...e }) + "\n");
 * sealRecords(bytes);
 * new TextDecoder().decode(bytes) === encodeRecord({ ...e }) + "\n"; // true
 * ```
 */
export function encodeUnsealed(event: KronEvent): string {
  const fast = fastBody(event, UNSEALED);
  if (fast !== null) return fast;
  let body = JSON.stringify({
    seq: event.seq,
    time: event.time,
    type: event.type,
    ...(event as object),
  });
  if ("crc" in event || "prev" in event) {
    // Read back from a log: its checksum and link are the writer's to add.
    const { crc: _crc, prev: _prev, ...rest } = event as KronEvent & {
      crc?: unknown;
      prev?: unknown;
    };
    body = JSON.stringify({ seq: rest.seq, time: rest.time, type: rest.type, ...(rest as object) });
  }
  return body.slice(0, -1) + UNSEALED;
}

const HEX_BYTES = new TextEncoder().encode(HEX);

/**
 * Fills in the checksums of newline-terminated records made by {@link encodeUnsealed}, in
 * place. `bytes` must hold whole lines only.
 *
 * @example
 * ```ts
 * import { encodeUnsealed, sealRecords, verifyRecord } from "./_record.ts";
 * const b = new TextEncoder().encode(encodeUnsealed({ type: "RUNTIME_STOPPED", time: "t", seq: 1 }) + "\n");
 * sealRecords(b);
 * verifyRecord(b, 0, b.length - 1); // null
 * ```
 */
export function sealRecords(bytes: Uint8Array): void {
  let start = 0;
  const n = bytes.length;
  while (start < n) {
    const end = bytes.indexOf(0x0a, start);
    if (end < 0) throw new Error("sealRecords: a record without its newline");
    const s = end - CRC_SUFFIX_BYTES;
    const c = crc32Byte(crc32(bytes, start, s), CLOSE);
    const h = s + 8;
    for (let k = 0; k < 8; k++) bytes[h + k] = HEX_BYTES[(c >>> (28 - 4 * k)) & 15];
    start = end + 1;
  }
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

/**
 * Checks the record in `bytes[start, end)` (the line without its newline). Returns null when it
 * is valid, else a short reason (`bad checksum`, `no checksum`).
 *
 * @example
 * ```ts
 * import { verifyRecord } from "./_record.ts";
 * verifyRecord(new TextEncoder().encode("{}"), 0, 2); // "no checksum"
 * ```
 */
export function verifyRecord(bytes: Uint8Array, start: number, end: number): string | null {
  const s = end - CRC_SUFFIX_BYTES;
  if (s <= start || bytes[end - 1] !== CLOSE || bytes[end - 2] !== QUOTE) return "no checksum";
  for (let k = 0; k < 8; k++) if (bytes[s + k] !== SUFFIX_HEAD[k]) return "no checksum";
  let want = 0;
  for (let k = s + 8; k < s + 16; k++) {
    const v = hexValue(bytes[k]);
    if (v < 0) return "no checksum";
    want = (want << 4) | v;
  }
  const got = crc32Byte(crc32(bytes, start, s), CLOSE);
  return got === want >>> 0 ? null : "bad checksum";
}

/**
 * A record that passed its checksum and parsed; `crc` is still on it.
 *
 * @example
 * ```ts
 * import { parseRecord } from "./_record.ts";
 * declare const line: string;
 * const r = parseRecord(line);
 * if (typeof r !== "string") r.seq;
 * ```
 */
export type ParsedRecord = KronEvent & { seq: number };

/**
 * Parses a verified line. Returns the event, or a reason string when the JSON is not a record.
 *
 * @example
 * ```ts
 * import { parseRecord } from "./_record.ts";
 * typeof parseRecord('{"seq":1,"time":"t","type":"RUNTIME_STOPPED","crc":"0"}'); // "object"
 * parseRecord("{"); // "bad JSON"
 * ```
 */
export function parseRecord(line: string): ParsedRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return "bad JSON";
  }
  return checkRecord(value);
}

/**
 * Checks that a parsed value has the shape of a record. Returns it, or a reason string.
 *
 * @example
 * ```ts
 * import { checkRecord } from "./_record.ts";
 * checkRecord({ seq: 0, type: "X", time: "t" }); // "no valid seq"
 * ```
 */
export function checkRecord(value: unknown): ParsedRecord | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not a record";
  const r = value as Record<string, unknown>;
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1) return "no valid seq";
  if (typeof r.type !== "string" || typeof r.time !== "string") return "no type or time";
  return value as ParsedRecord;
}

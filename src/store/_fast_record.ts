/**
 * Specialised serializers for the hottest events, RUN_STARTED and RUN_SUCCEEDED (two per run;
 * at 1,000 runs due together they were a fifth of the engine's CPU) and the RUN_DUE recorded
 * ahead of each scheduled run on a durable store. Each builds the exact
 * text `JSON.stringify({ seq, time, type, ...event })` would produce, by concatenation, and
 * returns null for anything it cannot prove byte-identical: a key it does not expect or in an
 * unexpected order, a value of an unexpected type, a string that JSON would escape. The caller
 * then uses the generic path. tests/store/fast_record_test.ts compares both on random events.
 *
 * @example
 * ```ts
 * import { fastBody } from "./_fast_record.ts";
 * fastBody({ type: "RUNTIME_STOPPED", time: "t", seq: 1 }); // null: not a hot type
 * ```
 * @module
 */
import type { KronEvent } from "../events/mod.ts";

// JSON.stringify escapes `"`, `\`, controls and lone surrogates; plain text is copied as is.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

// The keys after `seq`, `time` and `type` (which the generic path puts first wherever they are).
const STARTED_KEYS = [
  "job",
  "runId",
  "attempt",
  "scheduledAt",
  "idempotencyKey",
  "trigger",
  "jitterMs",
];
const SUCCEEDED_KEYS = ["job", "runId", "attempt", "durationMs", "exitCode"];
const DUE_KEYS = ["job", "scheduledAt", "jitterMs", "ahead"];

/** True when `event`'s own keys other than seq/time/type are exactly `keys`, in that order. */
function hasKeys(event: object, keys: string[]): boolean {
  let i = 0;
  for (const k in event) {
    // `for…in` also walks inherited enumerable keys, which the spread would not copy: bail out.
    if (!Object.hasOwn(event, k)) return false;
    if (k === "seq" || k === "time" || k === "type") continue;
    if (keys[i++] !== k) return false;
  }
  return i === keys.length;
}

function str(s: unknown): string | null {
  return typeof s === "string" && !NEEDS_ESCAPE.test(s) ? s : null;
}

function int(n: unknown): string | null {
  // Safe integers print the same through String() and JSON.stringify (-0 prints "0" in both).
  return Number.isSafeInteger(n) ? String(n) : null;
}

/**
 * The JSON body (without checksum) of a RUN_STARTED, RUN_SUCCEEDED or RUN_DUE (`ahead: true`)
 * event, or null when the event is of another type or not in the exact shape the engine emits. `tail` replaces the closing
 * `}` (the log writer passes its checksum placeholder, sparing a slice and a copy per record).
 *
 * @example
 * ```ts
 * import { fastBody } from "./_fast_record.ts";
 * const e = { type: "RUN_SUCCEEDED", time: "2026-01-01T00:00:00.000Z", job: "a", runId: "r",
 *   attempt: 1, durationMs: 3, exitCode: null, seq: 9 } as const;
 * const { seq, time, type, ...rest } = e;
 * fastBody({ ...e }) === JSON.stringify({ seq, time, type, ...rest }); // true
 * ```
 */
export function fastBody(event: KronEvent, tail = "}"): string | null {
  const e = event as unknown as Record<string, unknown>;
  const seq = int(e.seq);
  const time = str(e.time);
  if (seq === null || time === null) return null;
  if (e.type === "RUN_STARTED") {
    const job = str(e.job), runId = str(e.runId), at = str(e.scheduledAt);
    const key = str(e.idempotencyKey), trigger = str(e.trigger);
    const attempt = int(e.attempt), jitter = int(e.jitterMs);
    if (
      job === null || runId === null || at === null || key === null || trigger === null ||
      attempt === null || jitter === null || !hasKeys(e, STARTED_KEYS)
    ) return null;
    return '{"seq":' + seq + ',"time":"' + time + '","type":"RUN_STARTED","job":"' + job +
      '","runId":"' + runId + '","attempt":' + attempt + ',"scheduledAt":"' + at +
      '","idempotencyKey":"' + key + '","trigger":"' + trigger + '","jitterMs":' + jitter + tail;
  }
  if (e.type === "RUN_SUCCEEDED") {
    const job = str(e.job), runId = str(e.runId);
    const attempt = int(e.attempt), duration = int(e.durationMs);
    const exit = e.exitCode === null ? "null" : int(e.exitCode);
    if (
      job === null || runId === null || attempt === null || duration === null || exit === null ||
      !hasKeys(e, SUCCEEDED_KEYS)
    ) return null;
    return '{"seq":' + seq + ',"time":"' + time + '","type":"RUN_SUCCEEDED","job":"' + job +
      '","runId":"' + runId + '","attempt":' + attempt + ',"durationMs":' + duration +
      ',"exitCode":' + exit + tail;
  }
  if (e.type === "RUN_DUE") {
    const job = str(e.job), at = str(e.scheduledAt), jitter = int(e.jitterMs);
    if (
      job === null || at === null || jitter === null || e.ahead !== true || !hasKeys(e, DUE_KEYS)
    ) {
      return null;
    }
    return '{"seq":' + seq + ',"time":"' + time + '","type":"RUN_DUE","job":"' + job +
      '","scheduledAt":"' + at + '","jitterMs":' + jitter + ',"ahead":true' + tail;
  }
  return null;
}

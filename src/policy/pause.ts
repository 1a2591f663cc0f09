/**
 * When a pause ends: `for` a duration from now, or `until` a time (the later option wins when
 * both are given, as the API has always read them). The engine and the cluster both pause by
 * this rule.
 *
 * @example
 * ```ts
 * import { pauseUntil } from "./pause.ts";
 * pauseUntil({ for: "10m" }, 0); // 600_000
 * pauseUntil({}, 0); // null: paused until resumed
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import { type Duration, parseDuration } from "../schedule/mod.ts";

/** How long a pause lasts (both absent: until resumed). */
export interface PauseSpan {
  /** Pause for this long, then resume by itself. */
  for?: Duration;
  /** Pause until this time, then resume by itself. */
  until?: Date | string | number;
}

/**
 * When a pause ends (epoch ms), or null for a pause until resumed. Throws `invalid_option` for
 * a bad duration or date.
 *
 * @example
 * ```ts
 * import { pauseUntil } from "./pause.ts";
 * pauseUntil({ until: "2026-03-01T00:00:00Z" }, Date.now()); // 1772323200000
 * ```
 */
export function pauseUntil(span: PauseSpan, now: number): number | null {
  let until: number | null = null;
  if (span.for !== undefined) until = now + parseDuration(span.for, "for");
  if (span.until !== undefined) {
    until = new Date(span.until).getTime();
    if (Number.isNaN(until)) {
      throw new KronError("invalid_option", `until: ${String(span.until)} is not a date`);
    }
  }
  return until;
}

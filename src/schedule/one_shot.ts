/**
 * One-shot schedules: `after = "10s"` and `at = <date-time>`. Both run once, at their anchor: the
 * absolute due time computed at first registration and persisted, so a restart does not move it.
 *
 * @example
 * ```ts
 * import { OneShotSchedule } from "./one_shot.ts";
 * const s = new OneShotSchedule("after", "once, 10s after registration");
 * s.next(null, 5000); // 5000
 * s.next(5000, 5000); // null: it already ran
 * ```
 * @module
 */
import type { CompiledSchedule } from "./types.ts";

/**
 * A compiled one-shot. It needs nothing but its anchor, which the job passes in; it keeps only its
 * description.
 *
 * @example
 * ```ts
 * import { OneShotSchedule } from "./one_shot.ts";
 * const s = new OneShotSchedule("at", "once at 2026-12-24T18:00:00.000Z");
 * s.latest(2_000, 0, 1_000); // 1000
 * ```
 */
export class OneShotSchedule implements CompiledSchedule {
  /** `"after"` or `"at"`. */
  readonly kind: "after" | "at";
  readonly #description: string;

  /** Creates the schedule with its description (see describe.ts). */
  constructor(kind: "after" | "at", description: string) {
    this.kind = kind;
    this.#description = description;
  }

  /** The anchor while it is after the cursor (or with no cursor), else null. */
  next(cursorMs: number | null, anchorMs: number): number | null {
    return cursorMs === null || anchorMs > cursorMs ? anchorMs : null;
  }

  /** The anchor when it lies in `(sinceMs, atMs]`, else null. */
  latest(atMs: number, sinceMs: number, anchorMs: number): number | null {
    return anchorMs > sinceMs && anchorMs <= atMs ? anchorMs : null;
  }

  /** `"once, 10s after registration"` or `"once at 2026-…Z"`. */
  describe(): string {
    return this.#description;
  }
}

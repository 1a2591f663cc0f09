/**
 * Waiting for a quiet moment on the scheduler's thread: work that must run in one synchronous
 * stretch (a compaction serialises the whole state at once, ~13–17 µs a job: 130–170 ms at 10,000
 * jobs under the load torture) starts when no timer of the engine falls due for twice as long,
 * so that no occurrence waits behind it. A CPU profile of the load case showed one such stretch
 * land on a group of interval jobs and start ~900 of them ~90 ms late.
 *
 * @example
 * ```ts
 * import { FakeClock } from "./clock.ts";
 * import { quietMoment } from "./quiet.ts";
 * const clock = new FakeClock("2026-01-01T00:00:00Z");
 * const due = clock.now() + 100; // the engine's next wake-up
 * const waited = quietMoment(clock, () => (clock.now() < due ? due : Infinity), 50);
 * await clock.advance(101);
 * await waited; // resolved once the wake-up at +100 ms had passed
 * ```
 * @module
 */
import type { Clock } from "./clock.ts";

/** The longest {@link quietMoment} waits before it lets the work go anyway (milliseconds). */
export const QUIET_WAIT_MAX_MS = 30_000;

/**
 * Resolves when nothing is due within `needMs` of the clock's now, per `nextWakeAt()` (when the
 * engine's timer next fires, Infinity for never), or after `maxMs` (a runtime
 * with work due every few milliseconds has no quiet moment: the work then goes as before), or
 * once `stop()` is true. Resolves to the milliseconds waited. It looks again right after each
 * wake-up it lets pass, so a gap that opens is taken at its start.
 *
 * @example
 * ```ts
 * import { FakeClock } from "./clock.ts";
 * import { quietMoment } from "./quiet.ts";
 * const clock = new FakeClock("2026-01-01T00:00:00Z");
 * await quietMoment(clock, () => Infinity, 500); // 0: nothing is due
 * ```
 */
export async function quietMoment(
  clock: Clock,
  nextWakeAt: () => number,
  needMs: number,
  stop: () => boolean = () => false,
  maxMs: number = QUIET_WAIT_MAX_MS,
): Promise<number> {
  const start = clock.now();
  for (;;) {
    const now = clock.now();
    const waited = now - start;
    if (stop() || waited >= maxMs) return waited;
    const next = nextWakeAt();
    if (next - now >= needMs) return waited;
    // Past the wake-up (1 ms after it: its timer fires first), never beyond the cap.
    const until = Math.max(next, now) + 1;
    const ms = Math.min(until - now, maxMs - waited);
    await new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
  }
}

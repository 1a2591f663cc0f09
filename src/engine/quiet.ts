/**
 * Waiting for a quiet moment on the scheduler's thread: work that must run in one synchronous
 * stretch (a compaction serialises the whole state at once, ~13–17 µs a job: 130–170 ms at 10,000
 * jobs under the load torture) starts when no timer of the engine falls due for twice as long,
 * so that no occurrence waits behind it. The store asks for a compaction when a flush takes the log
 * past its threshold, which is most often while a crowd's records are written: in a CPU profile of
 * the load case one started 12 ms into a stretch of interval groups falling due and held the thread
 * for 478 ms (169 ms of it serialising).
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
import type { Store } from "../store/mod.ts";
import type { Journal } from "./journal.ts";
import type { TimerQueue } from "./timer_queue.ts";
import { requireRunning } from "./guards.ts";
import type { Core } from "./_handles.ts";

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

/** Serialising the state costs about this much a job (the load torture: 13–17 µs) until measured. */
const SERIALIZE_MS_PER_JOB = 0.02;
/** A serialisation expected to take less is not worth waiting for a quiet moment (timer noise). */
const QUIET_MIN_MS = 5;

/**
 * The engine's compactions (Engine.compact): each waits for a quiet moment as long as twice the
 * last one's serialisation of the state (which the store makes synchronously, before its first
 * await).
 *
 * @example
 * ```ts
 * import { Compactions } from "./quiet.ts";
 * const compactions = new Compactions(); // one per engine
 * ```
 */
export class Compactions {
  #msPerJob = SERIALIZE_MS_PER_JOB;

  /**
   * Compacts `store` to `core`'s state once no timer falls due (per `timers`) for twice the
   * expected serialisation (at once when that is under {@link QUIET_MIN_MS}), and keeps what
   * the store's synchronous part cost a job as the next estimate.
   */
  async compact(core: Core, journal: Journal, timers: TimerQueue, store: Store): Promise<void> {
    requireRunning(core.phase);
    // A state holding events the log does not have yet must never become a snapshot.
    if (journal.ioError !== null) throw journal.refusal("compact");
    const expectMs = core.state.jobs.size * this.#msPerJob;
    if (expectMs >= QUIET_MIN_MS) {
      const stopped = () => core.phase !== "running";
      await quietMoment(core.clock, () => timers.nextWakeAt, 2 * expectMs, stopped);
      requireRunning(core.phase);
    }
    await journal.lastCommit;
    if (journal.ioError !== null) throw journal.refusal("compact");
    const state = core.state;
    const start = performance.now();
    const done = store.compact(state);
    if (state.jobs.size > 0) this.#msPerJob = (performance.now() - start) / state.jobs.size;
    await done;
  }
}

/**
 * Clocks: the engine never reads time or arms timers except through a {@link Clock}, so tests
 * drive it with a {@link FakeClock} deterministically.
 *
 * @example
 * ```ts
 * import { FakeClock } from "./clock.ts";
 * const clock = new FakeClock(Date.parse("2026-01-01T00:00:00Z"));
 * clock.setTimeout(() => console.log("fired"), 1000);
 * await clock.advance(1000); // prints "fired"
 * ```
 * @module
 */

/** Time and one-shot timers. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` after about `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): number;
  /** Cancels a timer (no-op for a fired or unknown handle). */
  clearTimeout(handle: number): void;
  /**
   * Optional: blocks the thread until `at` (epoch ms), for the last few ms before a due time.
   * Timers fire ~1–2 ms late; the engine sets its timer a little early and waits out the rest
   * here. Clocks without it (a FakeClock) fire on their timers alone.
   */
  waitUntil?(at: number): void;
}

// Atomics.wait on a cell nobody notifies: a sleep with sub-millisecond resolution and no CPU.
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * The real clock. Its timers are unref'd-free plain `setTimeout`s: an armed kron timer keeps the
 * process alive, as a scheduler should.
 *
 * @example
 * ```ts
 * import { systemClock } from "./clock.ts";
 * systemClock.now() > 0; // true
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number,
  clearTimeout: (handle) => clearTimeout(handle),
  waitUntil(at) {
    // Never longer than the gap seen now (+1 ms) of monotonic time: a wall clock stepped back
    // meanwhile must not hold the thread.
    const start = performance.now();
    const limit = Math.max(0, at - Date.now()) + 1;
    for (;;) {
      const left = at - Date.now();
      const spent = performance.now() - start;
      if (left <= 0 || spent >= limit) return;
      // Date.now() is whole ms: sleep to the last ms, then in 50 µs steps until it turns.
      Atomics.wait(sleepCell, 0, 0, Math.min(left > 1 ? left - 1 : 0.05, limit - spent));
    }
  },
};

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. `advance` fires due timers in time order and lets the
 * promises they start settle between firings, so async engine code behaves as it would live.
 *
 * @example
 * ```ts
 * import { FakeClock } from "./clock.ts";
 * const clock = new FakeClock(0);
 * let n = 0;
 * clock.setTimeout(() => n++, 10);
 * await clock.advance(5); // n === 0
 * await clock.advance(5); // n === 1
 * ```
 */
export class FakeClock implements Clock {
  #now: number;
  #timers: FakeTimer[] = [];
  #nextId = 1;

  /** Starts at `start` epoch ms (a Date or ISO string also works). */
  constructor(start: number | Date | string = 0) {
    this.#now = typeof start === "number" ? start : new Date(start).getTime();
  }

  /** Current fake time. */
  now(): number {
    return this.#now;
  }

  /** Registers a timer due at now + ms. */
  setTimeout(fn: () => void, ms: number): number {
    const id = this.#nextId++;
    this.#timers.push({ id, at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  /** Removes a timer. */
  clearTimeout(handle: number): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Number of armed timers (the engine should keep exactly one). */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in order, and
   * letting pending promises settle after each.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const due = this.#timers.filter((t) =>
        t.at <= target
      ).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** Moves time to `at` (no-op if it is in the past). */
  advanceTo(at: number | Date | string): Promise<void> {
    const t = typeof at === "number" ? at : new Date(at).getTime();
    return this.advance(Math.max(0, t - this.#now));
  }

  /** Jumps the wall clock without firing anything on the way (a suspended machine; NTP step). */
  jump(ms: number): void {
    this.#now += ms;
  }
}

/** Lets pending promise chains run: many microtask turns, then one macrotask turn. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
}

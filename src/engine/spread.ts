/**
 * Spreads the work a restart finds waiting (recovery re-runs of abandoned runs, the catch-up
 * of jobs whose next occurrence passed while kron was down) over time instead of starting it
 * all at once, ahead of the work that falls due now.
 *
 * Each slice starts as many deferred starts as leave the engine below {@link SPREAD_IN_FLIGHT}
 * runs in flight (at least {@link SPREAD_MIN_SLICE}, at most {@link SPREAD_MAX_SLICE}), and
 * the next slice follows {@link SPREAD_SPACING_MS} later. An idle machine drains hundreds of
 * them in a fraction of a second; a busy one still makes steady progress, and the due work of
 * every instant is never queued behind them. Why it matters: under a crash loop, a restart that
 * spawned every re-run at once spent its short life on them and recorded no success before the
 * next kill, which then abandoned them again (issue 20).
 *
 * @example
 * ```ts
 * import { Spreader } from "./spread.ts";
 * import { systemClock } from "./clock.ts";
 * let inFlight = 0;
 * const spread = new Spreader(systemClock, () => inFlight);
 * for (let i = 0; i < 100; i++) spread.defer(() => inFlight++);
 * spread.drain(); // starts the first slice now, the rest every 10 ms
 * ```
 * @module
 */
import type { Clock } from "./clock.ts";

/** Runs in flight above which a slice starts only {@link SPREAD_MIN_SLICE}. */
export const SPREAD_IN_FLIGHT = 64;
/** Starts per slice when the engine is busy. */
export const SPREAD_MIN_SLICE = 4;
/** Starts per slice at most. */
export const SPREAD_MAX_SLICE = 64;
/** Time between two slices. */
export const SPREAD_SPACING_MS = 10;

/** A queue of deferred starts, released in slices (see the module docs). */
export class Spreader {
  readonly #clock: Clock;
  readonly #inFlight: () => number;
  readonly #onError: (error: unknown) => void;
  #queue: (() => void)[] = [];
  #head = 0;
  #timer: number | null = null;

  /**
   * `inFlight` tells how many runs the engine has in flight now; `onError` hears of a start
   * that threw (the others still start).
   */
  constructor(clock: Clock, inFlight: () => number, onError: (error: unknown) => void = () => {}) {
    this.#clock = clock;
    this.#inFlight = inFlight;
    this.#onError = onError;
  }

  /** Starts waiting. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** Queues a start; {@link drain} releases it. */
  defer(start: () => void): void {
    this.#queue.push(start);
  }

  /** Releases one slice now and arms the timer of the next while any are left. */
  drain(): void {
    this.#timer = null;
    const room = SPREAD_IN_FLIGHT - this.#inFlight();
    let n = Math.min(SPREAD_MAX_SLICE, Math.max(SPREAD_MIN_SLICE, room));
    while (n-- > 0 && this.#head < this.#queue.length) {
      const start = this.#queue[this.#head++];
      try {
        start();
      } catch (e) {
        this.#onError(e);
      }
    }
    if (this.#head >= this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
      return;
    }
    this.#timer ??= this.#clock.setTimeout(() => this.drain(), SPREAD_SPACING_MS);
  }

  /** Drops what is left (shutdown). */
  stop(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#queue = [];
    this.#head = 0;
  }
}

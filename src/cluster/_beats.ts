/**
 * One timer for the heartbeats of all a worker's runs. A timer of its own per run (set when the
 * run starts, cleared when its outcome is delivered) cost a worker ~16% of its CPU on short
 * tasks, which finish long before their first heartbeat; here a run costs a Map entry, and the
 * timer is re-armed only when it must fire earlier.
 *
 * @example
 * ```ts
 * import { Beats } from "./_beats.ts";
 * const beats = new Beats();
 * beats.add("run-1", 10_000, () => console.log("heartbeat"));
 * beats.delete("run-1");
 * ```
 * @module
 */

interface Beat {
  every: number;
  next: number;
  fn: () => void;
}

/**
 * Calls each entry's function every `every` ms until it is deleted. Entries due within a tenth
 * of their period of a firing beat with it (early, never late), so runs started close together
 * share firings.
 *
 * @example
 * ```ts
 * import { Beats } from "./_beats.ts";
 * const beats = new Beats();
 * beats.add("a", 50, () => {});
 * setTimeout(() => beats.delete("a"), 200);
 * ```
 */
export class Beats {
  readonly #beats = new Map<string, Beat>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #at = Infinity;

  /** Starts calling `fn` every `every` ms (the first call `every` ms from now). */
  add(key: string, every: number, fn: () => void): void {
    const next = Date.now() + every;
    this.#beats.set(key, { every, next, fn });
    if (next < this.#at) this.#arm(next);
  }

  /** Stops an entry's calls. */
  delete(key: string): void {
    this.#beats.delete(key);
    if (this.#beats.size === 0 && this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
      this.#at = Infinity;
    }
  }

  #arm(at: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#at = at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - Date.now()));
  }

  #fire(): void {
    this.#timer = null;
    this.#at = Infinity;
    const now = Date.now();
    for (const [key, b] of [...this.#beats]) {
      // An earlier call of this firing may have deleted (or replaced) the entry.
      if (this.#beats.get(key) === b && b.next <= now + b.every / 10) {
        b.next = now + b.every;
        b.fn();
      }
    }
    // The calls may have added or deleted entries: the timer follows those left.
    let earliest = Infinity;
    for (const b of this.#beats.values()) earliest = Math.min(earliest, b.next);
    if (earliest < Infinity && earliest < this.#at) this.#arm(earliest);
  }
}

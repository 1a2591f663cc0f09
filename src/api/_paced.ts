/**
 * Work done in turns of a few milliseconds with a timer between them, for the front thread
 * (_front_views.ts): applying the feeds of a crowded instant and building pages of summaries.
 * Whoever has such work hands it over as a step (one small piece per call); the steps of all
 * the work waiting take turns, and a turn ends once it has run {@link Paced.turnMs}. Between
 * turns the event loop polls the sockets, so a request that needs no such work (a scrape
 * answered with the last body, `/healthz`, a page kept as text) is answered after one turn at
 * most, not after everything that came before it.
 *
 * Why a timer: only a timer lets Deno's event loop poll the sockets between two pieces of work.
 * Ten messages of work from another thread, handled back to back, held a test server in a worker
 * for ~90 ms (requests p99 91 ms); the same work in timer-paced turns of 4 ms: p99 6 ms. A message
 * to ourselves (MessageChannel) does not do it: requests that came during 200 ms of work paused
 * by messages every 16 pieces waited 25 ms at the median, 64 at most; paused by timers every 4
 * ms, 0.3 and 8.
 *
 * @example
 * ```ts
 * import { Paced } from "./_paced.ts";
 * const paced = new Paced(4);
 * let i = 0;
 * await paced.run(() => ++i === 1000); // one piece a call, in turns of up to 4 ms
 * i; // 1000
 * ```
 * @module
 */

interface Work {
  step: () => boolean;
  done: () => void;
}

/**
 * A queue of work done in timer-paced turns; the pieces of different works alternate (work run
 * `first` before the rest), each work's own pieces run in order.
 *
 * @example
 * ```ts
 * import { Paced } from "./_paced.ts";
 * const paced = new Paced(0); // one piece a turn
 * const order: string[] = [];
 * let a = 0, b = 0;
 * await Promise.all([
 *   paced.run(() => (order.push("a"), ++a === 2)),
 *   paced.run(() => (order.push("b"), ++b === 2)),
 * ]);
 * order.join(""); // "abab"
 * ```
 */
export class Paced {
  #queue: Work[] = [];
  #first: Work[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** Turns of at least one piece and at most `turnMs` milliseconds (past the piece that ends it). */
  constructor(readonly turnMs: number) {}

  /**
   * Calls `step` in the turns until it returns true, then resolves. Work run `first` has its
   * pieces run before any other's in every turn (what the others wait for: the feeds).
   */
  run(step: () => boolean, { first = false } = {}): Promise<void> {
    return new Promise((done) => {
      (first ? this.#first : this.#queue).push({ step, done });
      this.#soon();
    });
  }

  #soon(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.#turn();
    }, 0);
  }

  #turn(): void {
    const started = performance.now();
    for (;;) {
      const queue = this.#first.length > 0 ? this.#first : this.#queue;
      const work = queue.shift();
      if (work === undefined) break;
      if (work.step()) work.done();
      else queue.push(work);
      if (performance.now() - started >= this.turnMs) break;
    }
    if (this.#first.length > 0 || this.#queue.length > 0) this.#soon();
  }
}

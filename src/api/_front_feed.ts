/**
 * The scheduler's side of the front's copy of the state (_front_views.ts): every event folded
 * here is counted for its job in shared memory at once, and sent to the front with the next
 * feed (at the end of the turn, or before any forwarded answer, so that what a client did
 * through the API shows in its next read). A change the state does not hold (definitions, the
 * engine's phase) or a job the copy does not know starts a new copy (a reset). The cost here is
 * one counter per event and its share of a JSON text per feed: the views are built there.
 *
 * @example
 * ```ts ignore
 * const feed = new ViewFeed(kron, ctrl, (m) => worker.postMessage(m));
 * feed.flush(); // sends what was folded since the last feed
 * feed.close();
 * ```
 * @module
 */
import type { KronEvent } from "../events/mod.ts";
import type { AdminHost } from "./host.ts";
import { jobNamesFor } from "./_job_names.ts";
import { CTRL, type Feed, type Inputs, type Reset } from "./_front_wire.ts";

/**
 * Events per feed message when a turn folded more (ViewFeed's timer; flush() sends them all).
 *
 * @example
 * ```ts
 * import { FEED_SLICE } from "./_front_feed.ts";
 * FEED_SLICE; // 1000
 * ```
 */
export const FEED_SLICE = 1_000;

/** Sends the folded events of a Kron to the front thread. */
export class ViewFeed {
  readonly #kron: AdminHost;
  readonly #engine: AdminHost["engine"];
  readonly #ctrl: Int32Array<SharedArrayBuffer>;
  readonly #send: (m: Reset | Feed) => void;
  readonly #off: () => void;
  #slots = new Map<string, number>();
  #versions = new Int32Array(new SharedArrayBuffer(4));
  #gen = -1;
  #events: KronEvent[] = [];
  #touched = new Set<number>();
  #reset = true;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** Starts counting `kron`'s folds in `ctrl`; `send` posts to the front. */
  constructor(
    kron: AdminHost,
    ctrl: Int32Array<SharedArrayBuffer>,
    send: (m: Reset | Feed) => void,
  ) {
    this.#kron = kron;
    this.#engine = kron.engine;
    this.#ctrl = ctrl;
    this.#send = send;
    this.#off = this.#engine.onFold((event) => this.#folded(event));
    Atomics.add(ctrl, CTRL.namesGen, 1);
    this.#soon();
  }

  #folded(event: KronEvent | null): void {
    if (!this.#reset) {
      const slot = event !== null && "job" in event && event.type !== "JOB_DEFINED" &&
          event.type !== "JOB_REMOVED"
        ? this.#slots.get(event.job)
        : undefined;
      if (slot === undefined) {
        // A new job, a job gone, a definition or the phase: the copy starts over.
        this.#reset = true;
        this.#events = [];
        this.#touched.clear();
        Atomics.add(this.#ctrl, CTRL.namesGen, 1);
      } else {
        Atomics.add(this.#versions, slot, 1);
        this.#events.push(event!);
        this.#touched.add(slot);
      }
    }
    this.#soon();
  }

  #soon(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      if (this.#reset || this.#events.length <= FEED_SLICE) return this.flush();
      this.#sendSlice();
      this.#soon();
    }, 0);
  }

  /** Sends what was folded since the last feed (or a new copy), now. */
  flush(): void {
    if (this.#reset) return this.#sendReset();
    if (this.#events.length === 0) return;
    const inputs: Inputs[] = [];
    for (const slot of this.#touched) inputs.push(this.#inputs(slot, this.#nameOf(slot)));
    const events = this.#events;
    this.#events = [];
    this.#touched.clear();
    this.#send({ t: "feed", gen: this.#gen, ...encoded(events), inputs });
  }

  /**
   * Sends the first {@link FEED_SLICE} events folded since the last feed, with the inputs of the
   * jobs none of whose later events wait (the front serves a job once it applied all of its
   * events: its inputs must be there by then). A crowded instant folds 10,000 events in a turn;
   * copying them in one message took the scheduler's thread ~30 ms, with other runs due.
   */
  #sendSlice(): void {
    const events = this.#events;
    const last = new Map<number, number>();
    for (let i = 0; i < events.length; i++) {
      last.set(this.#slots.get((events[i] as { job: string }).job)!, i);
    }
    const inputs: Inputs[] = [];
    this.#touched.clear();
    for (const [slot, i] of last) {
      if (i < FEED_SLICE) inputs.push(this.#inputs(slot, this.#nameOf(slot)));
      else this.#touched.add(slot);
    }
    this.#events = events.slice(FEED_SLICE);
    this.#send({ t: "feed", gen: this.#gen, ...encoded(events.slice(0, FEED_SLICE)), inputs });
  }

  #names: string[] = [];

  #nameOf(slot: number): string {
    return this.#names[slot];
  }

  #inputs(slot: number, name: string): Inputs {
    const i = this.#engine.viewInputs(name);
    return [slot, i.defined, i.nextRunAt, i.lateness];
  }

  #sendReset(): void {
    const engine = this.#engine;
    const running = engine.running;
    const gen = Atomics.load(this.#ctrl, CTRL.namesGen);
    const names = running ? [...jobNamesFor(this.#kron).all()] : [];
    this.#names = names;
    this.#slots = new Map(names.map((n, i) => [n, i]));
    this.#versions = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, names.length)));
    this.#gen = gen;
    this.#reset = false;
    this.#events = [];
    this.#touched.clear();
    const inputs = names.map((name, slot) => this.#inputs(slot, name));
    this.#send({
      t: "reset",
      gen,
      running,
      ioError: engine.ioError?.message ?? null,
      names,
      versions: this.#versions,
      // Structured clone copies it: the copy owes nothing to this thread's objects.
      state: running ? engine.state : { seq: 0, jobs: new Map() },
      inputs,
    });
  }

  /** Stops counting and sending. */
  close(): void {
    this.#off();
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

/** A feed's events as sent ({@link Feed.events}: JSON, the form the log keeps them in too). */
function encoded(events: KronEvent[]): Pick<Feed, "events" | "count"> {
  return { events: JSON.stringify(events), count: events.length };
}

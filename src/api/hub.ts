/**
 * The API's view of a Kron's event stream: one subscription per Kron (shared by the socket and
 * TCP apps), a ring of recent committed events already framed for SSE, and fan-out to live
 * SSE clients. Framing once here means a hundred dashboards cost one `JSON.stringify` per event.
 *
 * @example
 * ```ts
 * import { hubFor } from "./hub.ts";
 * import { Kron } from "../kron/mod.ts";
 * const kron = new Kron({ store: "memory" });
 * const hub = hubFor(kron);
 * const stop = hub.subscribe((e) => console.log(e.seq, e.event.type));
 * stop();
 * ```
 * @module
 */
import type { AdminHost } from "./host.ts";
import type { KronEvent } from "../store/mod.ts";
import { perHost } from "./_per_host.ts";

/**
 * A committed event with its SSE frame.
 *
 * @example
 * ```ts
 * import type { FramedEvent } from "./hub.ts";
 * const write = (e: FramedEvent, out: string[]) => out.push(e.frame);
 * ```
 */
export interface FramedEvent {
  seq: number;
  event: KronEvent;
  /** `id: <seq>\nevent: <TYPE>\ndata: <json>\n\n` */
  frame: string;
}

/**
 * Default number of recent events kept for SSE resume (older ones are read from the log).
 *
 * @example
 * ```ts
 * import { DEFAULT_RING_SIZE } from "./hub.ts";
 * DEFAULT_RING_SIZE; // 4096
 * ```
 */
export const DEFAULT_RING_SIZE = 4096;

/**
 * The SSE frame of an event.
 *
 * @example
 * ```ts
 * import { frameEvent } from "./hub.ts";
 * frameEvent({ seq: 3, type: "RUNTIME_STOPPED", time: "2026-01-01T00:00:00.000Z" });
 * // 'id: 3\nevent: RUNTIME_STOPPED\ndata: {"seq":3,…}\n\n'
 * ```
 */
export function frameEvent(event: KronEvent): string {
  // JSON.stringify never emits a raw newline, so the data is always a single `data:` line.
  // Keys in the log's order (seq, time, type first), whether the event comes live or from disk.
  const head: Record<string, unknown> = { seq: event.seq, time: event.time, type: event.type };
  const data = JSON.stringify(Object.assign(head, event));
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${data}\n\n`;
}

/**
 * Recent events and live fan-out for one Kron.
 *
 * @example
 * ```ts
 * import { EventHub } from "./hub.ts";
 * import { Kron } from "../kron/mod.ts";
 * const hub = new EventHub(new Kron({ store: "memory" }), 100);
 * hub.since(0).events.length; // 0
 * ```
 */
export class EventHub {
  readonly #ring: (FramedEvent | undefined)[];
  #next = 0;
  #count = 0;
  readonly #subscribers = new Set<(e: FramedEvent) => void>();
  #lastSeq = 0;

  /** Subscribes to `kron`'s committed events and keeps the last `ringSize` of them. */
  constructor(kron: AdminHost, ringSize: number = DEFAULT_RING_SIZE) {
    this.#ring = new Array(Math.max(1, ringSize));
    kron.onEvent((event) => this.#push(event));
  }

  /** Seq of the newest committed event seen (0 before any). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  #push(event: KronEvent): void {
    if (event.seq === undefined) return;
    // Framed when first read (an SSE client, a resume): most events are never sent.
    const framed: FramedEvent = new LazyFrame(event.seq, event);
    this.#ring[this.#next] = framed;
    this.#next = (this.#next + 1) % this.#ring.length;
    if (this.#count < this.#ring.length) this.#count++;
    if (event.seq > this.#lastSeq) this.#lastSeq = event.seq;
    for (const s of this.#subscribers) {
      try {
        s(framed);
      } catch {
        // One broken client must not stop the others (nor the engine that called us).
      }
    }
  }

  /** Calls `fn` with every event committed from now on; returns the unsubscribe function. */
  subscribe(fn: (e: FramedEvent) => void): () => void {
    this.#subscribers.add(fn);
    return () => this.#subscribers.delete(fn);
  }

  /** Number of live subscribers (SSE clients, metrics). */
  get subscribers(): number {
    return this.#subscribers.size;
  }

  /**
   * Ring events with seq > `after`, oldest first, and the oldest seq the ring holds (null when
   * empty): if that is above `after + 1`, older events must come from the log.
   */
  since(after: number): { events: FramedEvent[]; oldest: number | null } {
    const out: FramedEvent[] = [];
    const start = (this.#next - this.#count + this.#ring.length) % this.#ring.length;
    let oldest: number | null = null;
    for (let i = 0; i < this.#count; i++) {
      const e = this.#ring[(start + i) % this.#ring.length]!;
      if (oldest === null) oldest = e.seq;
      if (e.seq > after) out.push(e);
    }
    return { events: out, oldest };
  }
}

/** A {@link FramedEvent} whose frame is built on first read, then kept. */
class LazyFrame implements FramedEvent {
  #frame: string | null = null;
  constructor(readonly seq: number, readonly event: KronEvent) {}
  get frame(): string {
    return this.#frame ??= frameEvent(this.event);
  }
}

/**
 * The hub of a Kron, created (and subscribed) on first use; `ringSize` applies only then.
 *
 * @example
 * ```ts
 * import { hubFor } from "./hub.ts";
 * import { Kron } from "../kron/mod.ts";
 * const kron = new Kron({ store: "memory" });
 * hubFor(kron) === hubFor(kron); // true
 * ```
 */
export const hubFor: (kron: AdminHost, ringSize?: number) => EventHub = perHost((
  kron,
  ringSize?: number,
) => new EventHub(kron, ringSize));

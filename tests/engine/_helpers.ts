// Shared fixtures for engine tests: a fake clock, a memory store and an event recorder.
import { Engine, type EngineOptions } from "../../src/engine/engine.ts";
import { FakeClock } from "../../src/engine/clock.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import type { KronEvent } from "../../src/events/mod.ts";

export const T0 = Date.parse("2026-03-02T10:00:00.000Z");

export interface Rig {
  clock: FakeClock;
  store: MemoryStore;
  engine: Engine;
  events: KronEvent[];
  /** Events of one type, in order. */
  of<T extends KronEvent["type"]>(type: T): Extract<KronEvent, { type: T }>[];
  /** Starts a new engine on the same store, as after a crash or restart. */
  restart(options?: Partial<EngineOptions>): Engine;
}

export function rig(start = T0, options: Partial<EngineOptions> = {}): Rig {
  const clock = new FakeClock(start);
  const store = new MemoryStore();
  const events: KronEvent[] = [];
  const make = (o: Partial<EngineOptions>) => {
    const engine = new Engine({ store, clock: r.clock, random: () => 0.5, ...options, ...o });
    engine.onEvent((e) => events.push(e));
    return engine;
  };
  const r: Rig = {
    clock,
    store,
    engine: undefined as unknown as Engine,
    events,
    of: <T extends KronEvent["type"]>(type: T) =>
      events.filter((e) => e.type === type) as Extract<KronEvent, { type: T }>[],
    restart(o = {}) {
      // A fresh clock at the same time: the old engine's timers never fire again, as after a
      // crash (or a clean stop) of its process.
      r.clock = new FakeClock(r.clock.now());
      r.engine = make(o);
      return r.engine;
    },
  };
  r.engine = make({});
  return r;
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

/** Resolves when `signal` aborts (a job that honours its signal). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/**
 * The late/down watcher: for every defined job with a `grace`, a timer at the time its lateness
 * changes next (src/policy/lateness.ts decides), and the transitions recorded as events
 * (`JOB_LATE`, `JOB_DOWN`, `JOB_RECOVERED`) through the engine's journal. It reads only the
 * fold, so what it records after a restart follows from the log and the clock: a job that went
 * late or down while kron was down gets its event at start.
 *
 * One timer on the engine's clock for all jobs (a min-heap of their next changes), like the
 * engine's own; a job's entry is replaced whenever an event may change its lateness.
 *
 * @example
 * ```ts
 * import { LatenessWatcher } from "./lateness.ts";
 * import { FakeClock } from "./clock.ts";
 * import { emptyState } from "../store/mod.ts";
 * const state = emptyState();
 * const watcher = new LatenessWatcher({
 *   clock: new FakeClock(0), state: () => state, schedule: () => null, emit: () => {},
 * });
 * watcher.start();
 * watcher.stop();
 * ```
 * @module
 */
import type { CompiledSchedule } from "../schedule/mod.ts";
import type { JobRecoveredEvent, KronEvent } from "../events/mod.ts";
import { assessLateness, type LatenessAssessment } from "../policy/mod.ts";
import type { JobState, KronState } from "../store/mod.ts";
import type { Clock } from "./clock.ts";
import { MinHeap } from "./heap.ts";

/**
 * What the watcher needs from its engine.
 *
 * @example
 * ```ts
 * import type { LatenessHost } from "./lateness.ts";
 * import { systemClock } from "./clock.ts";
 * import { emptyState } from "../store/mod.ts";
 * const host: LatenessHost = {
 *   clock: systemClock, state: () => emptyState(), schedule: () => null, emit: () => {},
 * };
 * ```
 */
export interface LatenessHost {
  /** The engine's clock. */
  clock: Clock;
  /** The folded state. */
  state(): KronState;
  /** The compiled schedule of a job defined in this process, else null (orphans are not watched). */
  schedule(job: string): CompiledSchedule | null;
  /** Records an event through the engine's journal (folded at once). */
  emit(event: KronEvent): void;
}

interface Entry {
  at: number;
  job: string;
  live: boolean;
}

/** Long waits are cut so a stepped clock is noticed (as the engine's own timer does). */
const MAX_WAIT_MS = 60_000;

/** Events after which a job's lateness may have changed, and why it would be back to normal. */
const CAUSES: Partial<Record<KronEvent["type"], JobRecoveredEvent["reason"]>> = {
  RUN_SUCCEEDED: "success",
  JOB_DEFINED: "redefined",
  JOB_PAUSED: "paused",
  JOB_RESUMED: "resumed",
};

/**
 * Watches the graced jobs of one engine. The engine calls {@link LatenessWatcher.observe} with
 * each event it folds, {@link LatenessWatcher.start} once running, {@link LatenessWatcher.stop}
 * at shutdown.
 *
 * @example
 * ```ts
 * import { LatenessWatcher } from "./lateness.ts";
 * import { systemClock } from "./clock.ts";
 * import { emptyState } from "../store/mod.ts";
 * const w = new LatenessWatcher({
 *   clock: systemClock, state: emptyState, schedule: () => null, emit: () => {},
 * });
 * w.observe({ type: "RUNTIME_STOPPED", time: new Date().toISOString() }); // ignored
 * ```
 */
export class LatenessWatcher {
  readonly #host: LatenessHost;
  readonly #heap = new MinHeap<Entry>((e) => e.at);
  readonly #entries = new Map<string, Entry>();
  /**
   * Each watched job's last assessment: its times depend only on facts whose changes reach
   * #check (an event or the timer), so status reads (10k jobs listed) need not redo it.
   */
  readonly #assessed = new Map<string, LatenessAssessment>();
  #timer: number | null = null;
  #timerAt = Infinity;
  #running = false;
  #emitting = false;

  /** Creates a watcher; nothing is watched before {@link LatenessWatcher.start}. */
  constructor(host: LatenessHost) {
    this.#host = host;
  }

  /**
   * Starts watching: records, for every graced job, the lateness the log and the clock say it
   * has now (a job that went late while kron was down is late from this moment), and arms the
   * timers.
   */
  start(): void {
    this.#running = true;
    const now = this.#host.clock.now();
    for (const st of this.#host.state().jobs.values()) {
      if (st.lateness) this.#check(st.name, now, "redefined");
    }
    this.#arm();
  }

  /** Stops every timer. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== null) this.#host.clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
    this.#entries.clear();
    this.#assessed.clear();
    this.#heap.filter(() => false);
  }

  /** Re-decides a job's lateness now (a job defined again without a new definition event). */
  recheck(job: string): void {
    if (!this.#running) return;
    if (!this.#host.state().jobs.get(job)?.lateness) return;
    this.#check(job, this.#host.clock.now(), "redefined");
    this.#arm();
  }

  /** Told each event once folded: re-decides the job's lateness when the event may change it. */
  observe(event: KronEvent): void {
    if (!this.#running || this.#emitting) return;
    const cause = CAUSES[event.type];
    if (cause === undefined || !("job" in event)) return;
    const st = this.#host.state().jobs.get(event.job);
    // Jobs without a grace cost one lookup here, nothing else.
    if (!st?.lateness && !this.#entries.has(event.job)) return;
    this.#check(event.job, this.#host.clock.now(), cause);
    this.#arm();
  }

  /**
   * A graced job's lateness for status views, or null when not watched: while running, the
   * health is the one recorded (the events are the truth; the timer may be a moment behind).
   */
  assess(job: string): LatenessAssessment | null {
    const st = this.#host.state().jobs.get(job);
    const schedule = this.#host.schedule(job);
    if (!st?.lateness || schedule === null) return null;
    if (!this.#running) return assessOf(st, schedule, this.#host.clock.now());
    const a = this.#assessed.get(job) ?? assessOf(st, schedule, this.#host.clock.now());
    return a.health === st.lateness.health ? a : { ...a, health: st.lateness.health };
  }

  #check(name: string, now: number, cause: JobRecoveredEvent["reason"]): void {
    const old = this.#entries.get(name);
    if (old) old.live = false;
    this.#entries.delete(name);
    this.#assessed.delete(name);
    const st = this.#host.state().jobs.get(name);
    const schedule = this.#host.schedule(name);
    if (!st?.lateness || schedule === null) return;
    const a = assessOf(st, schedule, now);
    this.#assessed.set(name, a);
    const folded = st.lateness;
    if (a.health !== folded.health) {
      const lastSuccessAt = folded.lastSuccessAt === null ? null : iso(folded.lastSuccessAt);
      const time = iso(now);
      this.#emitting = true;
      try {
        if (a.health === "ok") {
          this.#host.emit({
            type: "JOB_RECOVERED",
            time,
            job: name,
            scheduledAt: folded.scheduledAt === null ? null : iso(folded.scheduledAt),
            lastSuccessAt,
            reason: cause,
          });
        } else {
          this.#host.emit({
            type: a.health === "late" ? "JOB_LATE" : "JOB_DOWN",
            time,
            job: name,
            scheduledAt: iso(a.expectedAt!),
            lastSuccessAt,
          });
        }
      } finally {
        this.#emitting = false;
      }
    }
    if (a.nextChangeAt === null) return;
    const entry: Entry = { at: a.nextChangeAt, job: name, live: true };
    this.#entries.set(name, entry);
    this.#heap.push(entry);
  }

  #arm(): void {
    if (!this.#running) return;
    let top = this.#heap.peek();
    while (top && !top.live) {
      this.#heap.pop();
      top = this.#heap.peek();
    }
    const at = top ? top.at : Infinity;
    if (at === this.#timerAt && this.#timer !== null) return;
    if (this.#timer !== null) this.#host.clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = at;
    if (at === Infinity) return;
    const delay = Math.min(Math.max(0, at - this.#host.clock.now()), MAX_WAIT_MS);
    this.#timer = this.#host.clock.setTimeout(() => this.#wake(), delay);
  }

  #wake(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    if (!this.#running) return;
    const now = this.#host.clock.now();
    for (let top = this.#heap.peek(); top && top.at <= now; top = this.#heap.peek()) {
      this.#heap.pop();
      if (top.live && this.#entries.get(top.job) === top) this.#check(top.job, now, "success");
    }
    this.#arm();
  }
}

/**
 * A graced job's lateness at `now` from its folded state and compiled schedule.
 *
 * @example
 * ```ts
 * import { assessOf } from "./lateness.ts";
 * // assessOf(state.jobs.get("backup")!, compiledSchedule, Date.now()).health
 * ```
 */
export function assessOf(
  st: JobState,
  schedule: CompiledSchedule,
  now: number,
): LatenessAssessment {
  const l = st.lateness;
  return assessLateness({
    graceMs: st.def.policy.graceMs ?? null,
    downAfterMs: st.def.policy.downAfterMs ?? null,
    schedule,
    anchorAt: st.anchorAt,
    paused: st.paused,
    coveredUntil: l?.coveredUntil ?? null,
    lastSuccessAt: l?.lastSuccessAt ?? null,
    watchFrom: l?.watchFrom ?? null,
  }, now);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

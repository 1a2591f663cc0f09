/**
 * The timer queue: every timed thing the engine waits for (a job's next occurrence, a retry, a
 * jitter start, a timed resume, a run's timeout) is an entry in one min-heap, and one timer —
 * the engine's only one — is set for the earliest. Occurrences already recorded ahead wait
 * outside the heap, grouped by due time ({@link AheadGroup}). At a wake-up everything due is
 * handed, in order, to the {@link WakeHandler} (dispatch.ts).
 *
 * The words: an entry is *queued* (`push`, or `queueJob` / `queueNext` for what a job's state
 * calls for) and *killed* (`kill`, `unqueueJob`); the timer is *set* (`setTimer`) and *wakes*.
 *
 * @example
 * ```ts
 * import { TimerQueue } from "./timer_queue.ts";
 * import { FakeClock } from "./clock.ts";
 * import { emptyState } from "../store/mod.ts";
 * import { getLogger } from "@logtape/logtape";
 * const core = {
 *   clock: new FakeClock(0), random: Math.random, log: getLogger(["kron"]), leadMs: 0,
 *   jobs: new Map(), state: emptyState(), phase: "running" as const,
 * };
 * const timers = new TimerQueue(core);
 * timers.handler = { fire: (entry) => console.log(entry.type), fireAhead() {}, afterWake() {} };
 * ```
 * @module
 */
import type { JobState } from "../store/mod.ts";
import { backoffDue } from "../policy/mod.ts";
import { MinHeap } from "./heap.ts";
import { CROWD_SLICE, Crowds } from "./crowds.ts";
import type { AheadGroup, Core, EntryType, Registered, RunHandle, TimerEntry } from "./_handles.ts";

/** Killed entries stay in the heap until this many (and half of it) are dead. */
const GC_DEAD_ENTRIES = 4096;
/** Timers fire ~1–2 ms late: the timer of an occurrence is set this much early… */
const WAKE_EARLY_MS = 3;
/** …and the rest waited out (Clock.waitUntil), within a budget of 1 % of the time. */
const WAIT_BUDGET_PER_S = 10;
const WAIT_BUDGET_MAX = 50;

/** Who is given what falls due at a wake-up (the engine's dispatch). */
export interface WakeHandler {
  /** The occurrences recorded ahead for `group.at` are due. */
  fireAhead(group: AheadGroup, now: number): void;
  /** A heap entry is due (it is no longer live). */
  fire(entry: TimerEntry, now: number): void;
  /** Everything due at this wake-up was handed over. */
  afterWake(): void;
}

/** The engine's one timer over its entries (see the module docs). */
export class TimerQueue {
  readonly #core: Core;
  readonly #heap = new MinHeap<TimerEntry>((e) => e.at);
  /** Live "due" entries per time: crowded times are recorded early (crowds.ts). */
  readonly #crowds = new Crowds();
  /** Occurrences recorded ahead, grouped by due time (ascending): out of the heap. */
  #ahead: AheadGroup[] = [];
  /** Set by the engine before start: who gets what falls due. */
  handler: WakeHandler | null = null;
  /** The "due" entry being fired: reused for the job's next due time (one object less a run). */
  spare: TimerEntry | null = null;
  #dead = 0;
  #timer: number | null = null;
  #timerAt = Infinity;
  #waking = false;
  /** Milliseconds the thread may still block in Clock.waitUntil, and when that was counted. */
  #waitBudget = WAIT_BUDGET_MAX;
  #waitBudgetAt = 0;

  /** Where {@link TimerQueue.nextAheadAt} is published for other threads (Engine.shareNextAhead). */
  readonly aheadCells: Set<Float64Array> = new Set();

  constructor(core: Core) {
    this.#core = core;
  }

  /** Writes {@link TimerQueue.nextAheadAt} to the shared cells, on the wall clock's scale. */
  publishAhead(): void {
    if (this.aheadCells.size === 0) return;
    const ahead = this.nextAheadAt;
    const at = ahead === Infinity ? Infinity : Date.now() + (ahead - this.#core.clock.now());
    for (const cell of this.aheadCells) cell[0] = at;
  }

  /** When the first group of occurrences recorded ahead is due (Infinity: none). */
  get nextAheadAt(): number {
    return this.#ahead.length > 0 ? this.#ahead[0].at : Infinity;
  }

  /**
   * When the timer fires next (Infinity: no timer): the next time this thread has scheduled
   * work, recording ahead included (quiet.ts).
   */
  get nextWakeAt(): number {
    return this.#timerAt;
  }

  /** Queues an entry; a "due" one reuses {@link TimerQueue.spare} when it is the job's. */
  push(
    job: Registered,
    type: EntryType,
    at: number,
    scheduledAt = at,
    run: RunHandle | null = null,
  ): TimerEntry {
    let entry = this.spare;
    if (entry !== null && type === "due" && entry.job === job) {
      this.spare = null;
      entry.at = at;
      entry.type = type;
      entry.live = true;
    } else if (type === "due") {
      entry = { at, type, job, live: true };
    } else {
      entry = { at, type, job, live: true, scheduledAt, run };
    }
    this.#heap.push(entry);
    if (type === "due") this.#crowds.add(at);
    // While waking, the timer is set once at the end instead of once per push.
    if (!this.#waking && at < this.#timerAt) this.setTimer();
    return entry;
  }

  /** Kills an entry (it stays in the heap, dead, until popped or collected); returns null. */
  kill(entry: TimerEntry | null): null {
    if (entry && entry.live) {
      entry.live = false;
      if (entry.type === "ahead") return null; // in #ahead, not in the heap
      if (entry.type === "due") this.#crowds.remove(entry.at);
      if (++this.#dead > GC_DEAD_ENTRIES && this.#dead > this.#heap.size / 2) {
        this.#heap.filter((e) => e.live);
        this.#dead = 0;
      }
    }
    return null;
  }

  /**
   * Queues an occurrence recorded ahead (an "ahead" entry, with its run made ahead) whose record
   * has log sequence `seq`.
   */
  queueAhead(entry: TimerEntry, run: RunHandle, seq: number): void {
    const at = entry.at;
    const ahead = this.#ahead;
    let i = ahead.length;
    while (i > 0 && ahead[i - 1].at > at) i--;
    let group = i > 0 && ahead[i - 1].at === at ? ahead[i - 1] : null;
    if (group === null) {
      group = { at, entries: [], runs: [], seq };
      ahead.splice(i, 0, group);
      if (i === 0) this.publishAhead();
      if (!this.#waking && at < this.#timerAt) this.setTimer();
    }
    group.entries.push(entry);
    group.runs.push(run);
    group.seq = Math.max(group.seq, seq);
  }

  /** Stops the timer and forgets the occurrences recorded ahead (shutdown). */
  stop(): void {
    this.#clearTimer();
    this.#ahead = [];
    this.#crowds.clear();
    this.publishAhead();
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.#core.clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
  }

  /** Sets the one timer for the earliest live entry. */
  setTimer(): void {
    if (this.#core.phase !== "running") return;
    let top = this.#heap.peek();
    while (top && !top.live) {
      this.#heap.pop();
      this.#dead = Math.max(0, this.#dead - 1);
      top = this.#heap.peek();
    }
    const aheadAt = this.nextAheadAt;
    this.publishAhead();
    const next = top && top.at < aheadAt ? top.at : aheadAt;
    const at = Math.min(next, this.#crowds.wakeAt());
    if (at === Infinity) {
      this.#clearTimer();
      return;
    }
    if (at === this.#timerAt && this.#timer !== null) return;
    this.#clearTimer();
    this.#timerAt = at;
    const clock = this.#core.clock;
    const now = clock.now();
    let delay = at - now;
    // An occurrence's timer is set early; #wake waits out the rest precisely.
    if (this.#precise(at) && this.#budget(now) >= WAKE_EARLY_MS) delay -= WAKE_EARLY_MS;
    // Long delays are capped so the timer never overflows and clock steps are noticed.
    this.#timer = clock.setTimeout(() => this.#wake(), Math.min(Math.max(0, delay), 60_000));
  }

  /**
   * True when `at` is the due time of an occurrence (not a retry, a jitter, a timeout) and the
   * clock can wait precisely.
   */
  #precise(at: number): boolean {
    if (this.#core.clock.waitUntil === undefined) return false;
    if (this.#ahead.length > 0 && this.#ahead[0].at === at) return true;
    const top = this.#heap.peek();
    return this.#core.leadMs === 0 && top !== undefined && top.at === at && top.type === "due";
  }

  /** Fires everything due from one wake-up (a burst of separate timers is much slower). */
  #wake(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    let now = this.#core.clock.now();
    const top = this.#heap.peek();
    const aheadAt = this.nextAheadAt;
    const at = top && top.at < aheadAt ? top.at : aheadAt;
    if (at > now && at - now <= WAKE_EARLY_MS && this.#precise(at)) now = this.#waitFor(at, now);
    this.#waking = true;
    try {
      this.#drain(now);
      this.handler!.afterWake();
    } finally {
      this.#waking = false;
    }
    this.setTimer();
  }

  /**
   * Blocks until `at` (a few ms at most) while the budget allows: 1 % of the time, so dense
   * schedules fall back to plain timers instead of holding the thread. Returns the new now.
   */
  #waitFor(at: number, now: number): number {
    if (this.#budget(now) < at - now) return now;
    const clock = this.#core.clock;
    clock.waitUntil!(at);
    const after = clock.now();
    this.#waitBudget -= after - now;
    this.#waitBudgetAt = after;
    return after;
  }

  /** The wait budget at `now`, refilled for the time since it was last counted. */
  #budget(now: number): number {
    const refill = Math.max(0, now - this.#waitBudgetAt) * WAIT_BUDGET_PER_S / 1000;
    this.#waitBudget = Math.min(WAIT_BUDGET_MAX, this.#waitBudget + refill);
    this.#waitBudgetAt = now;
    return this.#waitBudget;
  }

  /**
   * Fires the occurrences recorded ahead that are due by `now`, in the middle of a wake-up's
   * long work (Runs.runQuick): their jobs are called on time, not after it.
   */
  fireAheadDue(now: number): void {
    if (this.#fireAhead(now)) this.publishAhead();
  }

  /** Hands the groups recorded ahead that are due by `now` to the handler; true if any. */
  #fireAhead(now: number): boolean {
    const fired = this.#ahead.length > 0 && this.#ahead[0].at <= now;
    while (this.#ahead.length > 0 && this.#ahead[0].at <= now) {
      this.handler!.fireAhead(this.#ahead.shift()!, now);
    }
    return fired;
  }

  #drain(now: number): void {
    this.#fireAhead(now);
    // Timers may fire early (~1 ms): what is not due by `now` waits for the timer set below.
    for (let top = this.#popLive(now); top !== null; top = this.#popLive(now)) {
      this.#fireEntry(top, now);
    }
    const horizon = this.#crowds.horizon(now);
    if (horizon > now) this.#drainCrowd(horizon, now);
    this.setTimer();
  }

  /**
   * Fires the "due" entries up to `horizon`, a crowded time whose early recording has come
   * (crowds.ts), {@link CROWD_SLICE} at a time: the timer is set again at once for the rest.
   * Other entries on the way are due later: they go back into the heap.
   */
  #drainCrowd(horizon: number, now: number): void {
    const later: TimerEntry[] = [];
    for (let fired = 0; fired < CROWD_SLICE;) {
      const top = this.#popLive(horizon);
      if (top === null) break;
      if (top.type !== "due") {
        later.push(top);
        continue;
      }
      fired++;
      this.#fireEntry(top, now);
    }
    for (const entry of later) this.#heap.push(entry);
  }

  /** Takes the heap's next live entry due by `limit`, dropping dead ones on the way; or null. */
  #popLive(limit: number): TimerEntry | null {
    for (;;) {
      const top = this.#heap.peek();
      if (!top || top.at > limit) return null;
      this.#heap.pop();
      if (top.live) return top;
      this.#dead = Math.max(0, this.#dead - 1);
    }
  }

  /** Fires a live entry taken from the heap. */
  #fireEntry(entry: TimerEntry, now: number): void {
    entry.live = false;
    if (entry.type === "due") this.#crowds.remove(entry.at);
    this.fireSafely(entry, now);
  }

  /** Hands `entry` to the handler; a throw is logged, never strands the rest of the wake-up. */
  fireSafely(entry: TimerEntry, now: number): void {
    try {
      this.handler!.fire(entry, now);
    } catch (e) {
      this.#core.log.error("dispatch of {job} failed: {error}", {
        job: entry.job.name,
        error: String(e),
      });
    }
  }

  // ------------------------------------------------------------ what a job's state calls for

  /** Queues the job's next occurrence, pending retry, jitter start and timed resume. */
  queueJob(job: Registered): void {
    const st = this.#core.state.jobs.get(job.name);
    if (!st || this.#core.phase !== "running") return;
    if (st.paused && st.pausedUntil !== null && !job.resume) {
      job.resume = this.push(job, "resume", st.pausedUntil);
    }
    if (st.paused || st.stopped) return;
    if (st.pendingDue && !st.pendingDue.ahead && !job.start) {
      job.start = this.push(job, "start", st.pendingDue.startAt, st.pendingDue.scheduledAt);
    }
    if (st.pendingRetry && !job.retry) {
      job.retry = this.push(job, "retry", st.pendingRetry.retryAt);
    }
    this.queueNext(job, st);
  }

  /** Queues the job's next occurrence (`next`: next(cursor), when the caller knows it). */
  queueNext(job: Registered, st: JobState, next?: number | null): void {
    job.due = this.kill(job.due);
    // Watched jobs are not run: their occurrences are only expected (lateness.ts).
    if (st.paused || st.stopped || job.def.kind === "watch") return;
    const at = this.nextDue(job, st, next);
    if (at !== null) job.due = this.push(job, "due", at - this.#core.leadMs);
  }

  /** Kills every entry of the job except its runs' timeouts. */
  unqueueJob(job: Registered): void {
    job.due = this.kill(job.due);
    job.retry = this.kill(job.retry);
    job.start = this.kill(job.start);
    job.resume = this.kill(job.resume);
  }

  /** The next nominal occurrence, delayed by `onError: "backoff"` while failing. */
  nextDue(job: Registered, st: JobState, known?: number | null): number | null {
    // `known`: the caller already computed next(cursor) (the hot path of a due occurrence).
    const next = known !== undefined ? known : job.schedule.next(st.cursorAt, st.anchorAt);
    if (next === null || job.def.policy.onError !== "backoff" || st.consecutiveFailures === 0) {
      return next;
    }
    return backoffDue({
      policy: job.def.policy,
      schedule: job.schedule,
      anchorAt: st.anchorAt,
      next,
      consecutiveFailures: st.consecutiveFailures,
      lastFinishedAt: st.lastFinishedAt,
    });
  }

  /**
   * When the job runs next, as queued (before start: as its state says). A watched job is never
   * queued: its next run is the next occurrence its pings are expected for, after now.
   */
  nextRunAt(job: Registered, st: JobState): number | null {
    if (job.def.kind === "watch") {
      if (st.paused) return null;
      const now = this.#core.clock.now();
      return job.schedule.next(Math.max(st.cursorAt ?? now, now), st.anchorAt);
    }
    if (this.#core.phase === "new") {
      return st.paused ? null : this.nextDue(job, st);
    }
    const due = job.due;
    let at = due === null ? null : due.type === "due" ? due.at + this.#core.leadMs : due.at;
    for (const e of [job.retry, job.start]) if (e && (at === null || e.at < at)) at = e.at;
    return at;
  }
}

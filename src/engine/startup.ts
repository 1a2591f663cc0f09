/**
 * What `Engine.start` does with the state the store opened with: records the runs a crash
 * left in flight as abandoned (and the ones to run again once, within `misfire_grace`),
 * notices occurrences recorded ahead that may have started before the crash, records new or
 * changed definitions (`JOB_DEFINED`), and queues every job, with recovery re-runs and the
 * catch-up of overdue occurrences spread over time (spread.ts) instead of all at once.
 *
 * @example
 * ```ts
 * // Folder-private: Engine.start calls findAbandoned, recordDefinition and queueAtStart.
 * import { Engine } from "./engine.ts";
 * import { MemoryStore } from "../store/mod.ts";
 * const engine = new Engine({ store: new MemoryStore() });
 * engine.define("tick", { every: "1s" }, () => Promise.resolve());
 * await engine.start(); // JOB_DEFINED recorded, the job queued
 * await engine.shutdown();
 * ```
 * @module
 */
import type { JobKind } from "../events/mod.ts";
import { anchorFor } from "../schedule/mod.ts";
import type { RunEntry } from "../store/mod.ts";
import type { Journal } from "./journal.ts";
import type { Runs } from "./runs.ts";
import type { Spreader } from "./spread.ts";
import type { TimerQueue } from "./timer_queue.ts";
import { type Core, iso, type Registered } from "./_handles.ts";

/** What a start found a crash left behind. */
export interface Abandoned {
  /** Abandoned runs to run again once (within their grace). */
  reruns: RunEntry[];
  /** Occurrences recorded ahead with nothing after them: they may have started. */
  unsure: { job: string; at: number }[];
}

/**
 * Records `RUN_ABANDONED` for every run the state has in flight (calling `onAbandoned` for
 * each, all at once) and finds what to run again.
 */
export async function findAbandoned(
  core: Core,
  journal: Journal,
  now: number,
  onAbandoned: ((run: RunEntry, kind: JobKind) => void | Promise<void>) | undefined,
): Promise<Abandoned> {
  const reruns: RunEntry[] = [];
  const leftovers: Promise<void>[] = [];
  for (const st of core.state.jobs.values()) {
    // A watched job's open ping run is external work kron did not run: a restart leaves it.
    if (st.def.kind === "watch") continue;
    for (const run of [...st.inFlight]) {
      journal.emit({ type: "RUN_ABANDONED", time: iso(now), job: st.name, runId: run.id });
      core.log.warn("run {job} {runId} attempt {attempt} was abandoned by a crash", {
        job: st.name,
        runId: run.id,
        attempt: run.attempt,
        outcome: "abandoned",
      });
      // Leftover process trees are looked for all at once (one process-table read for all).
      if (onAbandoned) leftovers.push(Promise.resolve(onAbandoned(run, st.def.kind)));
      const graceFrom = run.trigger === "manual" ? run.startedAt : run.scheduledAt;
      // Run again once, whatever `retries` says, while within misfire_grace (DESIGN §4).
      if (run.trigger !== "recovery" && now - graceFrom <= st.def.policy.misfireGraceMs) {
        reruns.push(run);
      }
    }
  }
  await Promise.all(leftovers);
  // An occurrence recorded ahead with nothing after it may have started before the crash
  // (its run starts before its RUN_STARTED is durable): it runs again once, as if abandoned.
  const unsure: { job: string; at: number }[] = [];
  for (const st of core.state.jobs.values()) {
    const p = st.pendingDue;
    if (p?.ahead && p.scheduledAt <= now && now - p.scheduledAt <= st.def.policy.misfireGraceMs) {
      unsure.push({ job: st.name, at: p.scheduledAt });
    }
  }
  return { reruns, unsure };
}

/** Records a definition when new or changed (an unchanged one keeps its state). */
export function recordDefinition(core: Core, journal: Journal, job: Registered): void {
  const st = core.state.jobs.get(job.name);
  if (st && st.defHash === job.defHash) return;
  const now = core.clock.now();
  const scheduleChanged = !st ||
    JSON.stringify(st.def.schedule) !== JSON.stringify(job.def.schedule);
  journal.emit({
    type: "JOB_DEFINED",
    time: iso(now),
    job: job.name,
    def: job.def,
    defHash: job.defHash,
    anchorAt: iso(scheduleChanged ? anchorFor(job.def.schedule, now) : st!.anchorAt),
    paused: job.paused,
  });
}

/**
 * Queues every job once running: re-runs and catch-ups go through the spreader, a few at a
 * time, never all at once ahead of the work that falls due now.
 */
export function queueAtStart(
  core: Core,
  timers: TimerQueue,
  runs: Runs,
  spread: Spreader,
  found: Abandoned,
  now: number,
): void {
  const { state, jobs, clock } = core;
  for (const run of found.reruns) {
    spread.defer(() => {
      const job = jobs.get(run.job);
      const st = state.jobs.get(run.job);
      if (!job || !st || st.paused || st.stopped || core.phase !== "running") return;
      const graceFrom = run.trigger === "manual" ? run.startedAt : run.scheduledAt;
      if (clock.now() - graceFrom > st.def.policy.misfireGraceMs) return;
      runs.start(job, run.scheduledAt, run.attempt, "recovery", run.idempotencyKey, 0)
        .catch(() => {});
    });
  }
  for (const { job: name, at } of found.unsure) {
    const job = jobs.get(name);
    const st = state.jobs.get(name);
    if (!job || !st || st.paused || st.stopped || st.pendingDue?.scheduledAt !== at) continue;
    // Only while it is still the job's next occurrence (a redefinition or a failure's backoff
    // may have moved on).
    if (timers.nextDue(job, st) !== at) continue;
    core.log.warn(
      "run of {job} due {scheduledAt} may have started before a crash; running it again",
      { job: name, scheduledAt: iso(at), outcome: "abandoned" },
    );
    spread.defer(() => {
      if (jobs.get(name) !== job || st.paused || st.stopped) return;
      if (core.phase !== "running") return;
      runs.start(job, at, 1, "recovery", `${name}:${iso(at)}`, 0).catch(() => {});
    });
  }
  for (const job of jobs.values()) {
    timers.queueJob(job);
    // Overdue (kron was down when it fell due): its catch-up is decided when its turn comes.
    const due = job.due;
    if (due !== null && due.type === "due" && due.at + core.leadMs <= now) {
      job.due = timers.kill(due);
      spread.defer(() => {
        const st = state.jobs.get(job.name);
        if (jobs.get(job.name) !== job || job.due !== null || !st) return;
        if (core.phase === "running") timers.queueNext(job, st);
      });
    }
  }
  spread.drain();
  timers.setTimer();
}

/**
 * The host name when the app may read it; asked, never requested (a request prompts at a TTY).
 *
 * @example
 * ```ts
 * import { hostname } from "./startup.ts";
 * hostname().length > 0; // true ("unknown" without the permission)
 * ```
 */
export function hostname(): string {
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state !== "granted") {
      return "unknown";
    }
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

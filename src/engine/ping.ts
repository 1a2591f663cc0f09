/**
 * Pings of watched jobs (`watch = true`): external work kron does not run but hears from
 * (`kron ping`, `POST /v1/jobs/:name/ping`). A ping becomes the same run events a job kron runs
 * records, so history, durations, `on_failure`, late/down and alerts work alike:
 *
 * - `start`: `RUN_STARTED` (trigger `ping`); a start while one is open cancels the open one
 *   (`RUN_CANCELLED`, reason `replace`): the external job began again.
 * - `success`: ends the open run (`RUN_SUCCEEDED`, its duration start → now), or records a run
 *   started and succeeded at once (no duration).
 * - `fail` (or a non-zero exit code): the same with `RUN_FAILED`.
 *
 * A ping counts for the latest occurrence due at or before it (its `scheduledAt`; the ping's
 * time when none is due yet). Retries do not apply: the external work retries on its own.
 *
 * @example
 * ```ts
 * import { pingEvents } from "./ping.ts";
 * import { newJobState } from "../store/mod.ts";
 * import { compileSchedule } from "../schedule/mod.ts";
 * import { DEFAULT_POLICY } from "./definition.ts";
 * const def = {
 *   kind: "watch" as const, schedule: { every: "1h", startAt: null }, policy: DEFAULT_POLICY,
 *   description: null, command: null, envNames: [], envHash: null,
 * };
 * const st = newJobState("backup", def, "h", 0, false);
 * const { events } = pingEvents(st, compileSchedule(def.schedule), { kind: "success" }, 7_200_500);
 * events.map((e) => e.type); // ["RUN_STARTED", "RUN_SUCCEEDED"]
 * ```
 * @module
 */
import type { KronEvent } from "../events/mod.ts";
import type { CompiledSchedule } from "../schedule/mod.ts";
import type { JobState } from "../store/mod.ts";
import { ulid } from "../ulid.ts";
import type { Core } from "./_handles.ts";
import { mustBeRegistered, pingable, requireRunning } from "./guards.ts";
import type { Journal } from "./journal.ts";

/**
 * What a ping says.
 *
 * @example
 * ```ts
 * import type { Ping } from "./ping.ts";
 * const failed: Ping = { kind: "fail", exitCode: 3 };
 * ```
 */
export interface Ping {
  /** The external run started, succeeded, or failed. */
  kind: "start" | "success" | "fail";
  /** The external command's exit code, when known (non-zero with `fail`). */
  exitCode?: number | null;
}

/**
 * The events a ping records, and the id of the run it started or ended.
 *
 * @example
 * ```ts
 * import { pingEvents } from "./ping.ts";
 * // const { events, runId } = pingEvents(st, schedule, { kind: "start" }, Date.now());
 * ```
 */
export function pingEvents(
  st: JobState,
  schedule: CompiledSchedule,
  ping: Ping,
  now: number,
): { events: KronEvent[]; runId: string } {
  const time = iso(now);
  const events: KronEvent[] = [];
  const open = st.inFlight.findLast((r) => r.trigger === "ping");
  const exitCode = ping.exitCode ?? null;
  if (ping.kind === "start" || open === undefined) {
    if (ping.kind === "start" && open !== undefined) {
      events.push({
        type: "RUN_CANCELLED",
        time,
        job: st.name,
        runId: open.id,
        attempt: open.attempt,
        durationMs: now - open.startedAt,
        exitCode: null,
        reason: "replace",
      });
    }
    const runId = ulid(now);
    const due = schedule.latest(now, st.anchorAt - 1, st.anchorAt);
    const scheduledAt = due ?? now;
    events.push({
      type: "RUN_STARTED",
      time,
      job: st.name,
      runId,
      attempt: 1,
      scheduledAt: iso(scheduledAt),
      idempotencyKey: `${st.name}:ping:${runId}`,
      trigger: "ping",
      jitterMs: 0,
    });
    if (ping.kind === "start") return { events, runId };
    events.push(endEvent(st.name, runId, ping, exitCode, time, null));
    return { events, runId };
  }
  events.push(endEvent(st.name, open.id, ping, exitCode, time, now - open.startedAt));
  return { events, runId: open.id };
}

function endEvent(
  job: string,
  runId: string,
  ping: Ping,
  exitCode: number | null,
  time: string,
  durationMs: number | null,
): KronEvent {
  if (ping.kind === "success") {
    return { type: "RUN_SUCCEEDED", time, job, runId, attempt: 1, durationMs, exitCode };
  }
  return {
    type: "RUN_FAILED",
    time,
    job,
    runId,
    attempt: 1,
    durationMs,
    exitCode,
    error: exitCode === null ? "failed (reported by ping)" : `exited with code ${exitCode}`,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Records a ping of the watched job `name` (its events, in order) and resolves to its run id
 * once durable. Throws when the engine is not running or the job unknown; rejects for a job
 * that is not watched.
 *
 * @example
 * ```ts ignore
 * await recordPing(core, journal, "backup", { kind: "success" }); // "01J…"
 * ```
 */
export function recordPing(
  core: Core,
  journal: Journal,
  name: string,
  ping: Ping,
): Promise<string> {
  requireRunning(core.phase);
  const job = mustBeRegistered(core, name);
  try {
    pingable(journal, job);
  } catch (e) {
    return Promise.reject(e);
  }
  const st = core.state.jobs.get(name)!;
  const { events, runId } = pingEvents(st, job.schedule, ping, core.clock.now());
  let durable: Promise<void> = Promise.resolve();
  for (const event of events) durable = journal.emit(event);
  return durable.then(() => runId);
}

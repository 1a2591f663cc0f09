/**
 * What the `Engine`'s verbs check before they act: that it is running, that a job is defined
 * here (not unknown, not orphaned), why a trigger or a ping is refused. (When a pause ends is
 * a rule the cluster shares: `pauseUntil` in src/policy/pause.ts.)
 * Every refusal is a typed {@link KronError} with a message that says what to do.
 *
 * @example
 * ```ts
 * import { requireRunning } from "./guards.ts";
 * requireRunning("running"); // ok; "new" throws not_started, "stopped" shut_down
 * ```
 * @module
 */
import { KronError, TriggerRefusedError } from "../errors.ts";
import { decideOverlap } from "../policy/mod.ts";
import type { Journal } from "./journal.ts";
import { busy, type Core, type Phase, type Registered } from "./_handles.ts";

/** Throws unless the engine is running (`not_started` before, `shut_down` after). */
export function requireRunning(phase: Phase): void {
  if (phase !== "running") {
    const over = phase === "stopped" || phase === "stopping";
    throw new KronError(
      over ? "shut_down" : "not_started",
      over ? "kron has been shut down" : "kron is not started: call start() first",
    );
  }
}

/** The job defined here as `name`; throws for an orphaned (`conflict`) or unknown job. */
export function mustBeRegistered(core: Core, name: string): Registered {
  const job = core.jobs.get(name);
  if (job) return job;
  if (core.state.jobs.has(name)) {
    throw new KronError(
      "conflict",
      `job "${name}" is orphaned (in the log but not defined in this process)`,
    );
  }
  throw unknownJob(name);
}

/**
 * The job a manual trigger may start now; throws why not: orphaned or unknown, the log cannot
 * be written, a watched job (kron does not run it), or busy under `overlap: "skip"`.
 */
export function triggerable(core: Core, journal: Journal, name: string): Registered {
  const job = core.jobs.get(name);
  if (!job) {
    if (!core.state.jobs.has(name)) throw unknownJob(name);
    throw new TriggerRefusedError(
      `job "${name}" is orphaned (in the log but not defined in this process)`,
    );
  }
  if (journal.ioError !== null) throw journal.refusal("start a run");
  if (job.def.kind === "watch") {
    throw new TriggerRefusedError(`job "${name}" is watched: kron does not run it`);
  }
  const st = core.state.jobs.get(name)!;
  if (decideOverlap(job.def.policy.overlap, busy(st)) === "skip") {
    throw new TriggerRefusedError(
      `job "${name}" is already running and overlap is "skip"; try again when it finishes`,
    );
  }
  return job;
}

/** Throws unless `job` is watched and the log can be written (a ping records events). */
export function pingable(journal: Journal, job: Registered): void {
  if (job.def.kind !== "watch") {
    throw new KronError(
      "conflict",
      `job "${job.name}" is not watched (watch = true): kron runs it`,
    );
  }
  if (journal.ioError !== null) throw journal.refusal("record a ping");
}

/** The error of a verb naming a job that is neither defined nor in the state. */
export function unknownJob(name: string): KronError {
  return new KronError("unknown_job", `no job named "${name}"`);
}

/**
 * Shared test helpers: temp data dirs and event factories.
 *
 * @example
 * ```ts
 * import { started, tempDataDir } from "./_helpers.ts";
 * const dir = await tempDataDir();
 * const e = started("a", "r1");
 * ```
 * @module
 */
import type {
  JobDefinedEvent,
  KronEvent,
  RunStartedEvent,
  RunSucceededEvent,
} from "../../src/store/mod.ts";

/**
 * A fresh data dir path (not yet created) under a new temp dir.
 *
 * @example
 * ```ts
 * import { tempDataDir } from "./_helpers.ts";
 * const dir = await tempDataDir();
 * ```
 */
export async function tempDataDir(): Promise<string> {
  return `${await Deno.makeTempDir({ prefix: "kron-store-" })}/.kron`;
}

const T0 = Date.parse("2025-01-01T00:00:00.000Z");

/**
 * ISO time `i` seconds after a fixed origin.
 *
 * @example
 * ```ts
 * import { at } from "./_helpers.ts";
 * at(1); // "2025-01-01T00:00:01.000Z"
 * ```
 */
export function at(i: number): string {
  return new Date(T0 + i * 1000).toISOString();
}

/**
 * A JOB_DEFINED event for an `every` job.
 *
 * @example
 * ```ts
 * import { defined } from "./_helpers.ts";
 * defined("a").job; // "a"
 * ```
 */
export function defined(job: string, historyLimit = 200, i = 0): JobDefinedEvent {
  return {
    type: "JOB_DEFINED",
    time: at(i),
    job,
    def: {
      kind: "function",
      schedule: { every: "1m", startAt: null },
      policy: {
        timeoutMs: null,
        retries: 1,
        retryDelayMs: 1000,
        retryMaxDelayMs: 3600000,
        overlap: "skip",
        onError: "continue",
        maxFailures: 3,
        misfire: "run_once",
        misfireGraceMs: 3600000,
        jitterMs: 0,
        historyLimit,
      },
      description: 'a test job with ünïcode ✓ and "quotes"',
      command: null,
      envNames: [],
      envHash: null,
    },
    defHash: "h1",
    anchorAt: at(i),
    paused: false,
  };
}

/**
 * A RUN_STARTED event.
 *
 * @example
 * ```ts
 * import { started } from "./_helpers.ts";
 * started("a", "r1", 5).runId; // "r1"
 * ```
 */
export function started(job: string, runId: string, i = 1): RunStartedEvent {
  return {
    type: "RUN_STARTED",
    time: at(i),
    job,
    runId,
    attempt: 1,
    scheduledAt: at(i),
    idempotencyKey: `${job}:${at(i)}`,
    trigger: "schedule",
    jitterMs: 0,
  };
}

/**
 * A RUN_SUCCEEDED event.
 *
 * @example
 * ```ts
 * import { succeeded } from "./_helpers.ts";
 * succeeded("a", "r1", 6).type; // "RUN_SUCCEEDED"
 * ```
 */
export function succeeded(job: string, runId: string, i = 2): RunSucceededEvent {
  return {
    type: "RUN_SUCCEEDED",
    time: at(i),
    job,
    runId,
    attempt: 1,
    durationMs: 1000,
    exitCode: null,
  };
}

/**
 * A RUN_FAILED event.
 *
 * @example
 * ```ts
 * import { failed } from "./_helpers.ts";
 * failed("a", "r1").type; // "RUN_FAILED"
 * ```
 */
export function failed(job: string, runId: string, i = 2, attempt = 1): KronEvent {
  return {
    type: "RUN_FAILED",
    time: at(i),
    job,
    runId,
    attempt,
    durationMs: null,
    exitCode: 1,
    error: "boom: \u2028 line sep and emoji 🚀",
  };
}

/**
 * A RUNTIME_STOPPED event (the smallest event).
 *
 * @example
 * ```ts
 * import { stopped } from "./_helpers.ts";
 * stopped().type; // "RUNTIME_STOPPED"
 * ```
 */
export function stopped(i = 0): KronEvent {
  return { type: "RUNTIME_STOPPED", time: at(i) };
}

/**
 * Segment file names of a data dir, sorted.
 *
 * @example
 * ```ts
 * import { segmentFiles } from "./_helpers.ts";
 * await segmentFiles("/nonexistent").catch(() => []);
 * ```
 */
export async function segmentFiles(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dataDir}/log`)) out.push(e.name);
  return out.sort();
}

/**
 * A JSON-roundtripped, Map-aware copy of a state, for deep comparisons.
 *
 * @example
 * ```ts
 * import { plain } from "./_helpers.ts";
 * plain({ seq: 0, jobs: new Map() }); // { seq: 0, jobs: [] }
 * ```
 */
export function plain(state: { seq: number; jobs: Map<string, unknown> }): unknown {
  return JSON.parse(JSON.stringify({ seq: state.seq, jobs: [...state.jobs.values()] }));
}

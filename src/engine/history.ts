/**
 * A job's past attempts as the engine hands them out: read from the store (which may read the
 * log: its own index, O(limit)), turned into run records.
 *
 * @example
 * ```ts
 * import { historyPageOf } from "./history.ts";
 * import { MemoryStore } from "../store/mod.ts";
 * await historyPageOf(new MemoryStore(), "digest", { limit: 5 }); // { runs: [], next: null }
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import type { Store } from "../store/mod.ts";
import type { HistoryOptions, RunRecord } from "./types.ts";
import { toRunRecord } from "./views.ts";

/**
 * A page of `job`'s attempts, newest first, and the cursor of the next, older page (null when
 * none).
 *
 * @example
 * ```ts
 * import { historyPageOf } from "./history.ts";
 * import { MemoryStore } from "../store/mod.ts";
 * (await historyPageOf(new MemoryStore(), "digest")).next; // null
 * ```
 */
export async function historyPageOf(
  store: Store,
  job: string,
  options: HistoryOptions = {},
): Promise<{ runs: RunRecord[]; next: string | null }> {
  const limit = options.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new KronError("invalid_option", `limit ${limit} must be an integer ≥ 1`);
  }
  const query = options.before === undefined ? { limit } : { limit, before: options.before };
  const page = store.historyPage
    ? await store.historyPage(job, query)
    : { runs: await store.history(job, query), next: null };
  return { runs: page.runs.map(toRunRecord), next: page.next };
}

/**
 * One attempt by id, or an `unknown_run` error.
 *
 * @example
 * ```ts
 * import { runOf } from "./history.ts";
 * import { MemoryStore } from "../store/mod.ts";
 * await runOf(new MemoryStore(), "01J").catch((e) => e.code); // "unknown_run"
 * ```
 */
export async function runOf(store: Store, runId: string): Promise<RunRecord> {
  const run = await store.findRun(runId);
  if (!run) throw new KronError("unknown_run", `no run with id "${runId}"`);
  return toRunRecord(run);
}

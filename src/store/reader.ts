/**
 * Read-only replay of a data dir, for the CLI's offline view: no lock, no writes, safe while a
 * runtime is appending. A tail that is still being written is ignored (not cut), and a
 * compaction that replaces the snapshot or deletes segments mid-read just makes it read again.
 *
 * @example
 * ```ts
 * import { readDataDir } from "./reader.ts";
 * const view = await readDataDir(".kron");
 * console.log(view.state.jobs.size, view.report.lastSeq);
 * const runs = await view.history("digest", { limit: 10 });
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import type { RunEntry } from "./state.ts";
import { emptyState, type KronState } from "./state.ts";
import type { HistoryPage, HistoryQuery, RecoveryReport } from "./types.ts";
import { checkFormat } from "./data_dir.ts";
import { absolute, exists } from "./_fs.ts";
import { replay } from "./_replay.ts";
import { readSnapshot } from "./_snapshot.ts";
import { listSegments } from "./_segment.ts";
import { type LiveSegment, queryHistory, queryRun } from "./_query.ts";
import { corruptLogError } from "./_replay.ts";

/**
 * What the read-only replay found. `truncated` is always null: readers never cut.
 *
 * @example
 * ```ts
 * const { report } = await readDataDir(".kron");
 * if (report.ignoredTail) console.log("a write is in flight");
 * ```
 */
export interface ReadReport extends RecoveryReport {
  dataDir: string;
  /** False when there is no data dir (or an empty one): the state is empty. */
  exists: boolean;
  lastSeq: number;
  /** An unfinished tail that was ignored (a writer may be in the middle of it). */
  ignoredTail: { segment: string; offset: number; bytes: number } | null;
}

/**
 * A replayed data dir.
 *
 * @example
 * ```ts
 * const view = await readDataDir(".kron");
 * await view.history("digest", { limit: 5 });
 * ```
 */
export interface DataDirView {
  state: KronState;
  report: ReadReport;
  /** A job's runs, most recent first (reads the files again: sees newer events). */
  history(job: string, query?: HistoryQuery): Promise<RunEntry[]>;
  /** {@link DataDirView.history} with the next page's cursor (a run id), or null. */
  historyPage(job: string, query?: HistoryQuery): Promise<HistoryPage>;
  /** One run by id, or null. */
  findRun(runId: string): Promise<RunEntry | null>;
}

const ATTEMPTS = 5;

/** Retries `fn` when a concurrent compaction pulled a file from under it. */
async function retrying<T>(fn: (last: boolean) => Promise<T>): Promise<T> {
  for (let i = 1;; i++) {
    try {
      return await fn(i === ATTEMPTS);
    } catch (e) {
      const racy = e instanceof Deno.errors.NotFound ||
        (e instanceof KronError && e.code === "corrupt_log") || e instanceof SyntaxError;
      if (!racy || i === ATTEMPTS) throw e;
      await new Promise((r) => setTimeout(r, 5 * i));
    }
  }
}

async function liveView(root: string) {
  const snapshot = await readSnapshot(root, { state: false });
  const segments: LiveSegment[] = (await listSegments(root)).map((s) => ({
    path: s.path,
    size: Infinity,
    lastSeq: 0,
  }));
  return { snapshot, segments };
}

/**
 * Replays `dataDir` without locking or writing. Throws `unknown_format` and `corrupt_log` like
 * `FileStore.open()`; a missing or empty data dir reads as an empty state.
 *
 * @example
 * ```ts
 * import { readDataDir } from "./reader.ts";
 * (await readDataDir(Deno.makeTempDirSync())).report.exists; // false
 * ```
 */
export function readDataDir(dataDir: string): Promise<DataDirView> {
  const root = dataDir;
  const page = (job: string, query: HistoryQuery) =>
    retrying(async () => {
      const { snapshot, segments } = await liveView(root);
      return await queryHistory(
        root,
        snapshot,
        segments,
        job,
        query.limit ?? 20,
        query.before ?? null,
      );
    });
  const view = (state: KronState, report: ReadReport): DataDirView => ({
    state,
    report,
    history: async (job, query = {}) => (await page(job, query)).runs,
    historyPage: (job, query = {}) => page(job, query),
    findRun: (id) =>
      retrying(async () => {
        const { snapshot, segments } = await liveView(root);
        return queryRun(root, snapshot, segments, id);
      }),
  });
  return retrying(async () => {
    const base = {
      dataDir: absolute(root),
      snapshotSeq: 0,
      replayed: 0,
      truncated: null,
      lastSeq: 0,
      ignoredTail: null,
    };
    if (!(await exists(root)) || (await checkFormat(root, { create: false })) === "empty") {
      return view(emptyState(), { ...base, exists: false });
    }
    const r = await replay(root);
    if (r.corrupt) throw corruptLogError(r.corrupt);
    return view(r.state, {
      ...base,
      exists: true,
      snapshotSeq: r.snapshot?.seq ?? 0,
      replayed: r.replayed,
      lastSeq: r.lastSeq,
      ignoredTail: r.tail
        ? { segment: r.tail.segment.name, offset: r.tail.offset, bytes: r.tail.bytes }
        : null,
    });
  });
}

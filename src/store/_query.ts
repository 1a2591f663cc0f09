/**
 * History queries over a data dir's live segments (the part of the log after the snapshot).
 * A cheap text prefilter (`"job":"name"` or `"runId":"id"`) picks the lines worth parsing;
 * checksums were verified when the log was recovered, so queries only parse.
 *
 * @example
 * ```ts
 * import { linesWith } from "./_query.ts";
 * linesWith('{"a":1}\n{"job":"x"}\n', '"job":"x"'); // ['{"job":"x"}']
 * ```
 * @module
 */
import type { KronEvent } from "../events/mod.ts";
import type { RunEntry } from "./state.ts";
import type { HistoryPage } from "./types.ts";
import { isRunEvent, RunIndex } from "./_runs.ts";
import { findSnapshotRun, readSnapshotRuns, type SnapshotView } from "./_snapshot.ts";

/**
 * The segments a query reads: path, valid byte length, last seq.
 *
 * @example
 * ```ts
 * const seg: LiveSegment = { path: ".kron/log/000001.ndjson", size: 1024, lastSeq: 7 };
 * ```
 */
export interface LiveSegment {
  path: string;
  size: number;
  lastSeq: number;
}

const decoder = new TextDecoder();

/**
 * The complete lines of `text` that contain `needle`, in order.
 *
 * @example
 * ```ts
 * import { linesWith } from "./_query.ts";
 * linesWith("ab\ncd\nab", "ab"); // ["ab"]: the last line has no newline yet
 * ```
 */
export function linesWith(text: string, needle: string): string[] {
  const out: string[] = [];
  let at = text.indexOf(needle);
  while (at >= 0) {
    const start = text.lastIndexOf("\n", at) + 1;
    const end = text.indexOf("\n", at);
    if (end < 0) break; // an unfinished line (a write in flight): not a record yet
    out.push(text.slice(start, end));
    at = text.indexOf(needle, end);
  }
  return out;
}

async function readSegment(seg: LiveSegment): Promise<string> {
  const bytes = await Deno.readFile(seg.path);
  return decoder.decode(seg.size < bytes.length ? bytes.subarray(0, seg.size) : bytes);
}

/** Events of the live segments (seq > `afterSeq`) whose line contains `needle`. */
async function* matching(
  segments: LiveSegment[],
  afterSeq: number,
  needle: string,
): AsyncGenerator<KronEvent> {
  for (const seg of segments) {
    if (seg.size === 0 || (seg.lastSeq !== 0 && seg.lastSeq <= afterSeq)) continue;
    for (const line of linesWith(await readSegment(seg), needle)) {
      const event = JSON.parse(line) as KronEvent & { seq: number };
      if (event.seq > afterSeq && isRunEvent(event.type)) yield event;
    }
  }
}

/**
 * A page of a whole run list (oldest first): runs before `before` (a cursor or a run id; run
 * ids sort by time), most recent first; the next cursor is the last run's id.
 *
 * @example
 * ```ts
 * import { pageOf } from "./_query.ts";
 * pageOf([], 20, null); // { runs: [], next: null }
 * ```
 */
export function pageOf(
  list: readonly RunEntry[],
  limit: number,
  before: string | null,
): HistoryPage {
  let end = list.length;
  if (before !== null) {
    const id = before.split("~")[0];
    const i = list.findIndex((r) => r.id === id);
    if (i >= 0) end = i;
    else {
      end = 0;
      while (end < list.length && list[end].id < id) end++;
    }
  }
  const runs: RunEntry[] = [];
  for (let i = end - 1; i >= 0 && runs.length < limit; i--) runs.push(list[i]);
  const more = end - runs.length > 0;
  return { runs, next: more && runs.length > 0 ? runs[runs.length - 1].id : null };
}

/**
 * A job's runs, most recent first (in-flight included), from the snapshot's history plus the
 * live segments.
 *
 * @example
 * ```ts
 * import { queryHistory } from "./_query.ts";
 * await queryHistory(Deno.makeTempDirSync(), null, [], "digest", 20); // { runs: [], next: null }
 * ```
 */
export async function queryHistory(
  root: string,
  snapshot: SnapshotView | null,
  segments: LiveSegment[],
  job: string,
  limit: number,
  before: string | null = null,
): Promise<HistoryPage> {
  const idx = new RunIndex();
  if (snapshot) idx.seed(job, await readSnapshotRuns(root, snapshot, job));
  for await (const e of matching(segments, snapshot?.seq ?? 0, `"job":${JSON.stringify(job)}`)) {
    idx.add(e);
  }
  return pageOf(idx.runs(job), limit, before);
}

/**
 * One run by id, or null: live segments first (recent runs are asked about most), then the
 * snapshot's history when its start is older than the live log.
 *
 * @example
 * ```ts
 * import { queryRun } from "./_query.ts";
 * await queryRun(Deno.makeTempDirSync(), null, [], "01J…"); // null
 * ```
 */
export async function queryRun(
  root: string,
  snapshot: SnapshotView | null,
  segments: LiveSegment[],
  id: string,
): Promise<RunEntry | null> {
  const events: KronEvent[] = [];
  for await (const e of matching(segments, snapshot?.seq ?? 0, `"runId":${JSON.stringify(id)}`)) {
    events.push(e);
  }
  const idx = new RunIndex();
  if (events[0]?.type !== "RUN_STARTED" && snapshot) {
    const entry = await findSnapshotRun(root, snapshot, id);
    if (entry) idx.seed(entry.job, [entry]);
  }
  for (const e of events) idx.add(e);
  return idx.find(id);
}

/**
 * The first page of a job's history read from its folded state alone (its runs in flight and its
 * last finished ones), for the front thread (_front_views.ts), which has the state but not the
 * log: exact where the state can tell it as the log would, null where only the log can.
 *
 * @example
 * ```ts ignore
 * import { recentPage } from "./_recent_page.ts";
 * recentPage(state.jobs.get("digest")!, 5); // { runs: [newest, …], more: true } | null
 * ```
 * @module
 */
import type { JobState, RunEntry } from "../store/mod.ts";

/**
 * The first page of a job's history from its state alone (its runs in flight and its last few
 * finished ones), or null when the state cannot tell it exactly as the log would: runs that
 * may have overlapped (the log lists them by start, the state by end), fewer runs in the state than the
 * page and older ones in the log, or a watched job (pings end runs the state never saw start).
 * `more`: older runs exist (the page is cut).
 *
 * @example
 * ```ts ignore
 * recentPage(state.jobs.get("digest")!, 5); // { runs: [newest, …], more: true } | null
 * ```
 */
export function recentPage(
  st: JobState,
  limit: number,
): { runs: RunEntry[]; more: boolean } | null {
  if (st.def.kind === "watch") return null;
  const oldestFirst = st.recent.length === 0
    ? st.inFlight
    : st.inFlight.length === 0
    ? st.recent
    : [...st.recent, ...st.inFlight];
  // Under overlap "skip" a job never runs twice at once (triggers are refused meanwhile): its
  // runs end in the order they start. Otherwise the times must show it.
  for (let i = 1; i < oldestFirst.length && st.def.policy.overlap !== "skip"; i++) {
    const prev = oldestFirst[i - 1];
    const run = oldestFirst[i];
    if (prev.outcome === null) continue; // runs in flight are in start order
    if (prev.finishedAt === null || run.startedAt === null || prev.startedAt === null) return null;
    if (!(run.startedAt > prev.startedAt && run.startedAt >= prev.finishedAt)) return null;
  }
  const total = oldestFirst.length;
  let more: boolean;
  if (total > limit) more = true;
  else if (st.totalRuns === total) more = false; // every run the job ever had
  else if (total === limit && st.def.policy.historyLimit > limit) more = true; // older ones kept
  else return null;
  const runs: RunEntry[] = [];
  for (let i = total - 1; i >= 0 && runs.length < limit; i--) runs.push(oldestFirst[i]);
  return { runs, more };
}

/**
 * The front thread's copy of the folded state and the reads it answers from it:
 * `GET /v1/jobs` (a page of summaries) and `GET /v1/jobs/:name` (one job's detail). The copy
 * is a fold of the same events with the same reducer (store's `apply`), plus what a view takes
 * besides the state (next run, lateness, defined), sent by the scheduler's thread
 * (_front_feed.ts); the views are built by the engine's own view functions, so they read
 * exactly as the admin app's. Never stale: a job whose events folded on the scheduler's thread
 * outnumber those applied here (shared counters) waits for the next feed, and after
 * {@link STALE_WAIT_MS} the request is forwarded instead. Anything unusual (a parameter the
 * route would refuse, a job not in the copy, an engine not running) is left to the admin app:
 * {@link JobViews.answer} returns null and the request is forwarded, so every error reads as
 * before. Each view is kept as text until its job changes.
 *
 * @example
 * ```ts ignore
 * const views = new JobViews(ctrl);
 * views.reset(message); // then views.feed(message) for each feed
 * await views.answer(new URL("http://kron/v1/jobs?limit=10")); // Response | null
 * ```
 * @module
 */
import { toJobStatus, toJobSummary, toRunRecord } from "../engine/mod.ts";
import { JOB_NAME_RE, jobDetailText, jobSummary, limitParam } from "../http/mod.ts";
import {
  apply,
  type JobState,
  type KronState,
  type RunEntry,
  unshareEmptyRuns,
} from "../store/mod.ts";
import { CTRL, type Feed, type Inputs, type Reset } from "./_front_wire.ts";
import { KeptPages } from "./_front_pages.ts";

/**
 * Default and largest page of `GET /v1/jobs` (here: the front thread pages without the routes).
 *
 * @example
 * ```ts
 * import { JOBS_PAGE } from "./_front_views.ts";
 * JOBS_PAGE.default; // 100
 * ```
 */
export const JOBS_PAGE = { default: 100, max: 1000 } as const;

/** Default and largest `limit` of `GET /v1/jobs/:name/runs` (routes/jobs.ts's). */
export const RUNS_PAGE = { default: 20, max: 1000 } as const;

/** How long a read waits for the copy to catch up before it is forwarded. */
export const STALE_WAIT_MS = 250;

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

/**
 * Up to `limit` of the sorted `names` after `cursor` (exclusive), the index of the first, and
 * the next cursor (null on the last page): the paging of `GET /v1/jobs` on either thread.
 *
 * @example
 * ```ts
 * import { pageOf } from "./_front_views.ts";
 * pageOf(["a", "b", "c"], "a", 1); // { lo: 1, names: ["b"], next: "b" }
 * ```
 */
export function pageOf(
  names: string[],
  cursor: string | null,
  limit: number,
): { lo: number; names: string[]; next: string | null } {
  let lo = 0;
  if (cursor !== null) {
    let hi = names.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (names[mid] <= cursor) lo = mid + 1;
      else hi = mid;
    }
  }
  const page = names.slice(lo, lo + limit);
  const next = lo + limit < names.length && page.length > 0 ? page[page.length - 1] : null;
  return { lo, names: page, next };
}

interface Kept {
  change: number;
  text: string;
}

/** How many pages of `GET /v1/jobs` are kept as bytes (_front_pages.ts). */
const KEPT_PAGES = 16;

const encoder = new TextEncoder();

/** The front thread's copy of the state, and the job reads it answers. */
export class JobViews {
  readonly #ctrl: Int32Array<SharedArrayBuffer>;
  #copy: Reset | null = null;
  #index = new Map<string, number>();
  /** Events applied per slot (compared with the copy's shared versions). */
  #applied = new Int32Array(0);
  /** Changes per slot (events and inputs): kept texts are of one change. */
  #changes = new Int32Array(0);
  #inputs: (Inputs | undefined)[] = [];
  #summaries: (Kept | undefined)[] = [];
  #details: (Kept | undefined)[] = [];
  #pages = new KeptPages<Reset>(KEPT_PAGES);
  #waiting: (() => void)[] = [];

  /** A copy checked against `ctrl` (the shared control words). */
  constructor(ctrl: Int32Array<SharedArrayBuffer>) {
    this.#ctrl = ctrl;
  }

  /** Starts over from a new copy. */
  reset(m: Reset): void {
    unshareEmptyRuns(m.state);
    this.#copy = m;
    this.#index = new Map(m.names.map((n, i) => [n, i]));
    this.#applied = new Int32Array(m.names.length);
    this.#changes = new Int32Array(m.names.length);
    this.#inputs = [];
    for (const i of m.inputs) this.#inputs[i[0]] = i;
    this.#summaries = [];
    this.#details = [];
    this.#pages.clear();
    this.#wake();
  }

  /** Applies the events of a feed and the inputs of the jobs they touched. */
  feed(m: Feed): void {
    const copy = this.#copy;
    if (copy === null || m.gen !== copy.gen) return;
    const state: KronState = copy.state;
    for (const event of m.events) {
      apply(state, event);
      const slot = this.#index.get((event as { job: string }).job)!;
      this.#applied[slot]++;
      this.#changes[slot]++;
    }
    for (const i of m.inputs) {
      this.#inputs[i[0]] = i;
      this.#changes[i[0]]++;
    }
    this.#wake();
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) w();
  }

  /** The answer to a `GET` of `url` from the copy, or null: forward the request. */
  async answer(url: URL): Promise<Response | null> {
    const path = url.pathname;
    if (path === "/healthz") return await this.#health();
    if (path === "/v1/jobs") {
      const limit = limitOf(url, JOBS_PAGE);
      if (limit === null) return null;
      const cursor = url.searchParams.get("cursor");
      if (cursor !== null && !JOB_NAME_RE.test(cursor)) return null;
      return await this.#list(cursor, limit);
    }
    if (!path.startsWith("/v1/jobs/")) return null;
    const runs = path.endsWith("/runs");
    let name: string;
    try {
      name = decodeURIComponent(path.slice("/v1/jobs/".length, runs ? -"/runs".length : undefined));
    } catch {
      return null;
    }
    if (!JOB_NAME_RE.test(name)) return null;
    if (!runs) return await this.#detail(name);
    // Only first pages: older ones are read from the log by the scheduler's thread.
    if (url.searchParams.has("before")) return null;
    const limit = limitOf(url, RUNS_PAGE);
    if (limit === null) return null;
    return await this.#runs(name, limit);
  }

  /** Waits until the copy has every event folded for `names` (false: gave up, forward). */
  async #caughtUp(names: () => Iterable<number> | null): Promise<Reset | null> {
    const deadline = performance.now() + STALE_WAIT_MS;
    for (;;) {
      const copy = this.#copy;
      if (copy !== null && copy.gen === Atomics.load(this.#ctrl, CTRL.namesGen)) {
        if (!copy.running) return null;
        const slots = names();
        if (slots === null) return copy;
        let behind = false;
        for (const slot of slots) {
          if (this.#applied[slot] !== Atomics.load(copy.versions, slot)) {
            behind = true;
            break;
          }
        }
        if (!behind) return copy;
      }
      const left = deadline - performance.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** `{"status":"ok"}` while the copy says so (every other answer, with its reason: the app). */
  async #health(): Promise<Response | null> {
    const copy = await this.#caughtUp(() => null);
    if (copy === null || copy.ioError !== null) return null;
    return new Response('{"status":"ok"}', {
      headers: { "content-type": "application/json", "cache-control": "no-store" },
    });
  }

  async #list(cursor: string | null, limit: number): Promise<Response | null> {
    let page: ReturnType<typeof pageOf> | null = null;
    const copy = await this.#caughtUp(() => {
      page = pageOf(this.#copy!.names, cursor, limit);
      return page.names.map((_, i) => page!.lo + i);
    });
    if (copy === null || page === null) return null;
    const { lo, names, next } = page as ReturnType<typeof pageOf>;
    const key = `${limit} ${cursor ?? ""}`;
    const kept = this.#pages.get(key, copy, lo, names.length, this.#changes);
    if (kept !== undefined) return new Response(kept, { headers: JSON_HEADERS });
    const jobs: string[] = [];
    for (let i = 0; i < names.length; i++) {
      const text = this.#text(copy, lo + i, names[i], false);
      if (text === null) return null;
      jobs.push(text);
    }
    const bytes = encoder.encode(
      `{"jobs":[${jobs.join(",")}],"nextCursor":${JSON.stringify(next)}}`,
    );
    this.#pages.put(key, copy, lo, this.#changes.subarray(lo, lo + names.length), bytes);
    return new Response(bytes, { headers: JSON_HEADERS });
  }

  async #detail(name: string): Promise<Response | null> {
    const copy = await this.#caughtUp(() => {
      const slot = this.#index.get(name);
      return slot === undefined ? [] : [slot];
    });
    const slot = this.#index.get(name);
    if (copy === null || slot === undefined) return null;
    const text = this.#text(copy, slot, name, true);
    return text === null ? null : new Response(text, { headers: JSON_HEADERS });
  }

  async #runs(name: string, limit: number): Promise<Response | null> {
    const copy = await this.#caughtUp(() => {
      const slot = this.#index.get(name);
      return slot === undefined ? [] : [slot];
    });
    const st = copy?.state.jobs.get(name);
    if (st === undefined) return null;
    const page = recentPage(st, limit);
    if (page === null) return null;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (page.more) {
      // A run id is a cursor too: the log is read from the newest run to it (routes/jobs.ts).
      const before = page.runs[page.runs.length - 1].id;
      headers["x-next-cursor"] = before;
      headers.link = `</v1/jobs/${
        encodeURIComponent(name)
      }/runs?limit=${limit}&before=${before}>; rel="next"`;
    }
    return new Response(JSON.stringify({ runs: page.runs.map(toRunRecord) }), { headers });
  }

  /** A job's summary or detail as JSON text (kept until the job changes); null: not here. */
  #text(copy: Reset, slot: number, name: string, detail: boolean): string | null {
    const kept = detail ? this.#details : this.#summaries;
    const change = this.#changes[slot];
    const k = kept[slot];
    if (k !== undefined && k.change === change) return k.text;
    const st = copy.state.jobs.get(name);
    const inputs = this.#inputs[slot];
    if (st === undefined || inputs === undefined) return null;
    const [, defined, next, lateness] = inputs;
    const text = detail
      ? jobDetailText(toJobStatus(st, !defined, next, lateness))
      : JSON.stringify(jobSummary(toJobSummary(st, !defined, next, lateness)));
    kept[slot] = { change, text };
    return text;
  }
}

/** `?limit=` as the route reads it, or null where the route would refuse it (a 400). */
function limitOf(url: URL, page: { default: number; max: number }): number | null {
  try {
    return limitParam(url.searchParams.get("limit") ?? undefined, page.default, page.max);
  } catch {
    return null;
  }
}

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

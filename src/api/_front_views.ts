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
 * before. Each view (a summary, a detail, a first page of history) is kept as text until its
 * job changes; pages of summaries are built in slices, so that a 1,000-job page does not hold
 * the thread while other requests wait.
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
import type { KronEvent } from "../events/mod.ts";
import { apply, unshareEmptyRuns } from "../store/mod.ts";
import { CTRL, type Feed, type Inputs, type Reset } from "./_front_wire.ts";
import { KeptPages } from "./_front_pages.ts";
import { Paced } from "./_paced.ts";
import { recentPage } from "./_recent_page.ts";

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

/** A first page of a job's history as sent, and the cursor of the next (null: the last). */
interface KeptRuns extends Kept {
  limit: number;
  before: string | null;
}

/** How long a turn of the front's paced work lasts (_paced.ts). */
const TURN_MS = 4;
/** Events a piece of applying feeds applies. */
const APPLY_PIECE = 64;
/** Summaries a piece of building a page builds; a page with no more to build is built at once. */
const BUILD_PIECE = 16;

/** How many pages of `GET /v1/jobs` are kept as text (_front_pages.ts). */
const KEPT_PAGES = 16;

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
  #runPages: (KeptRuns | undefined)[] = [];
  #pages = new KeptPages<Reset>(KEPT_PAGES);
  /** Pages being built, by key (limit and cursor). */
  #building = new Map<string, Promise<string | null>>();
  #waiting: (() => void)[] = [];
  /** Feeds not applied yet, the first from its event {@link #feedAt}. */
  #feeds: Feed[] = [];
  #feedAt = 0;
  /** The first feed's events, once parsed. */
  #feedEvents: KronEvent[] | null = null;
  /** Whether applying the feeds is handed to {@link #paced} already. */
  #feeding = false;
  readonly #paced: Paced;

  /**
   * A copy checked against `ctrl` (the shared control words); `turnMs`: how long the front
   * applies feeds and builds pages before it lets the requests in (_paced.ts; tests make it 0:
   * a pause after every few jobs or events).
   */
  constructor(ctrl: Int32Array<SharedArrayBuffer>, { turnMs = TURN_MS } = {}) {
    this.#ctrl = ctrl;
    this.#paced = new Paced(turnMs);
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
    this.#runPages = [];
    this.#pages.clear();
    this.#feeds = [];
    this.#feedAt = 0;
    this.#feedEvents = null;
    this.#wake();
  }

  /**
   * Queues the events of a feed and the inputs of the jobs they touched; they are applied in
   * the front's paced turns (_paced.ts). A crowded instant sends ten feeds of 1,000 events at
   * once; applied as each came, back to back, they held the thread for ~90 ms (a CPU profile of
   * the load case, 400 ms after a crowd of 5,000 jobs) with no socket polled meanwhile. A feed's
   * jobs read as behind until the whole feed is applied: no read sees half of one.
   */
  feed(m: Feed): void {
    const copy = this.#copy;
    if (copy === null || m.gen !== copy.gen) return;
    this.#feeds.push(m);
    if (this.#feeding) return;
    this.#feeding = true;
    // First in every turn: every read of a job in the feed waits for it, and one that waits
    // past STALE_WAIT_MS is forwarded to the scheduler's thread, the one place it must not go.
    void this.#paced.run(() => this.#applyPiece(), { first: true });
  }

  /** Applies up to {@link APPLY_PIECE} events; true (and no longer feeding) once none wait. */
  #applyPiece(): boolean {
    const copy = this.#copy;
    const m = this.#feeds[0];
    if (copy === null || m === undefined) {
      this.#feeding = false;
      return true;
    }
    const events = this.#feedEvents ??= JSON.parse(m.events) as KronEvent[];
    const end = Math.min(events.length, this.#feedAt + APPLY_PIECE);
    while (this.#feedAt < end) apply(copy.state, events[this.#feedAt++]);
    if (this.#feedAt < events.length) return false;
    // Counted once the whole feed is applied, with the inputs that come with a job's last
    // event: until then its jobs read as behind.
    for (const event of events) {
      const slot = this.#index.get((event as { job: string }).job)!;
      this.#applied[slot]++;
      this.#changes[slot]++;
    }
    for (const i of m.inputs) {
      this.#inputs[i[0]] = i;
      this.#changes[i[0]]++;
    }
    this.#feeds.shift();
    this.#feedAt = 0;
    this.#feedEvents = null;
    this.#wake();
    if (this.#feeds.length > 0) return false;
    this.#feeding = false;
    return true;
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

  /**
   * Waits until the copy has every event folded for the `n` slots from `lo` that `slots` names
   * (null: none; the copy's running state only), or gives up (null: forward).
   */
  async #caughtUp(slots: () => [lo: number, n: number] | null): Promise<Reset | null> {
    const deadline = performance.now() + STALE_WAIT_MS;
    for (;;) {
      const copy = this.#copy;
      if (copy !== null && copy.gen === Atomics.load(this.#ctrl, CTRL.namesGen)) {
        if (!copy.running) return null;
        const range = slots();
        if (range === null) return copy;
        const [lo, n] = range;
        let slot = lo;
        while (slot < lo + n && this.#applied[slot] === Atomics.load(copy.versions, slot)) slot++;
        if (slot === lo + n) return copy;
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
      return [page.lo, page.names.length];
    });
    if (copy === null || page === null) return null;
    const key = `${limit} ${cursor ?? ""}`;
    // Pollers ask the same page at once: one builds it, the others take what it built (if
    // none of its jobs changed since; else they build what did).
    await this.#building.get(key);
    const { lo, names, next } = page as ReturnType<typeof pageOf>;
    if (this.#copy !== copy) return null;
    const kept = this.#pages.get(key, copy, lo, names.length, this.#changes);
    if (kept !== undefined) return new Response(kept, { headers: JSON_HEADERS });
    const built = this.#build(copy, key, lo, names, next);
    this.#building.set(key, built);
    try {
      const text = await built;
      return text === null ? null : new Response(text, { headers: JSON_HEADERS });
    } finally {
      if (this.#building.get(key) === built) this.#building.delete(key);
    }
  }

  /**
   * The text of a page of summaries. Summaries are kept until their job changes; when more than
   * {@link BUILD_PIECE} of the page's are not, they are built in the front's paced turns
   * (_paced.ts): after a crowded instant most of a 1,000-job page changed, and building it in
   * one go held the front for up to 80 ms (a CPU profile of the load case), every request and
   * scrape behind it waiting as long. Each summary is of its job's state when it is built (never
   * older than when the request came); the page is kept with the changes it was built at. Null:
   * the copy was replaced meanwhile (the request is forwarded).
   */
  async #build(
    copy: Reset,
    key: string,
    lo: number,
    names: string[],
    next: string | null,
  ): Promise<string | null> {
    const n = names.length;
    const jobs: string[] = new Array(n);
    const changes = new Int32Array(n);
    let i = 0;
    let gone = false;
    const piece = (): boolean => {
      if (this.#copy !== copy) gone = true;
      for (const end = Math.min(n, i + BUILD_PIECE); i < end && !gone; i++) {
        changes[i] = this.#changes[lo + i];
        const text = this.#text(copy, lo + i, names[i], false);
        if (text === null) gone = true;
        else jobs[i] = text;
      }
      return gone || i === n;
    };
    if (this.#stale(lo, n) <= BUILD_PIECE) { while (!piece()); }
    else await this.#paced.run(piece);
    if (gone) return null;
    const text = `{"jobs":[${jobs.join(",")}],"nextCursor":${JSON.stringify(next)}}`;
    this.#pages.put(key, copy, lo, changes, text);
    return text;
  }

  /** How many of the `n` summaries from slot `lo` are not kept for their job's last change. */
  #stale(lo: number, n: number): number {
    let stale = 0;
    for (let slot = lo; slot < lo + n; slot++) {
      if (this.#summaries[slot]?.change !== this.#changes[slot]) stale++;
    }
    return stale;
  }

  /** {@link #caughtUp} for one job (a name not in the copy: none to wait for). */
  #caughtUpJob(name: string): Promise<Reset | null> {
    return this.#caughtUp(() => {
      const slot = this.#index.get(name);
      return slot === undefined ? [0, 0] : [slot, 1];
    });
  }

  async #detail(name: string): Promise<Response | null> {
    const copy = await this.#caughtUpJob(name);
    const slot = this.#index.get(name);
    if (copy === null || slot === undefined) return null;
    const text = this.#text(copy, slot, name, true);
    return text === null ? null : new Response(text, { headers: JSON_HEADERS });
  }

  async #runs(name: string, limit: number): Promise<Response | null> {
    const copy = await this.#caughtUpJob(name);
    const st = copy?.state.jobs.get(name);
    const slot = this.#index.get(name);
    if (st === undefined || slot === undefined) return null;
    const change = this.#changes[slot];
    let kept = this.#runPages[slot];
    if (kept === undefined || kept.change !== change || kept.limit !== limit) {
      const page = recentPage(st, limit);
      if (page === null) return null;
      const text = JSON.stringify({ runs: page.runs.map(toRunRecord) });
      // A run id is a cursor too: the log is read from the newest run to it (routes/jobs.ts).
      const before = page.more ? page.runs[page.runs.length - 1].id : null;
      kept = this.#runPages[slot] = { change, limit, text, before };
    }
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (kept.before !== null) {
      headers["x-next-cursor"] = kept.before;
      headers.link = `</v1/jobs/${
        encodeURIComponent(name)
      }/runs?limit=${limit}&before=${kept.before}>; rel="next"`;
    }
    return new Response(kept.text, { headers });
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

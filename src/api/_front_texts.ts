/**
 * The reads the front thread answers itself: `GET /v1/jobs` (a page of summaries) and
 * `GET /v1/jobs/:name` (one job's detail), from job views kept as text. A kept text is served
 * while its job's version (events folded, counted by the scheduler's thread in shared memory)
 * and the wall-clock second are those it was made at; the texts that are not are asked for in
 * one message per request. Anything unusual (a parameter the route would refuse, a job not in
 * the list, an engine not running) is left to the admin app: {@link JobTexts.answer} returns
 * null and the request is forwarded, so every error reads exactly as before.
 *
 * @example
 * ```ts ignore
 * const texts = new JobTexts(ctrl, host);
 * const res = await texts.answer(new URL("http://kron/v1/jobs?limit=10")); // Response | null
 * ```
 * @module
 */
import { JOB_NAME_RE, limitParam } from "../http/mod.ts";
import { CTRL, type Names, type TextKind } from "./_front_wire.ts";

/**
 * Default and largest page of `GET /v1/jobs` (here: the front thread pages without the routes).
 *
 * @example
 * ```ts
 * import { JOBS_PAGE } from "./_front_texts.ts";
 * JOBS_PAGE.default; // 100
 * ```
 */
export const JOBS_PAGE = { default: 100, max: 1000 } as const;

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

/** What the scheduler's thread answers (see _front.ts). */
export interface TextSource {
  names(): Promise<Names>;
  texts(
    gen: number,
    kind: TextKind,
    slots: number[],
  ): Promise<
    { running: boolean; gen: number; items: [number, number, number, string | null][] }
  >;
}

interface Kept {
  version: number;
  second: number;
  text: string | null;
}

/**
 * Up to `limit` of the sorted `names` after `cursor` (exclusive), and the next cursor: the
 * paging of _job_names.ts.
 *
 * @example
 * ```ts
 * import { pageOf } from "./_front_texts.ts";
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

/** Job views kept as text on the front thread. */
export class JobTexts {
  readonly #ctrl: Int32Array<SharedArrayBuffer>;
  readonly #source: TextSource;
  #names: Names | null = null;
  #index = new Map<string, number>();
  #summaries: (Kept | undefined)[] = [];
  #details: (Kept | undefined)[] = [];
  #refreshing: Promise<void> | null = null;

  /** Keeps texts checked against `ctrl` (the shared control words), asking `source` for more. */
  constructor(ctrl: Int32Array<SharedArrayBuffer>, source: TextSource) {
    this.#ctrl = ctrl;
    this.#source = source;
  }

  /** The answer to a `GET` of `url` from kept texts, or null: forward the request. */
  async answer(url: URL): Promise<Response | null> {
    const path = url.pathname;
    if (path === "/v1/jobs") {
      let limit: number;
      const raw = url.searchParams.get("limit");
      try {
        limit = limitParam(raw ?? undefined, JOBS_PAGE.default, JOBS_PAGE.max);
      } catch {
        return null;
      }
      const cursor = url.searchParams.get("cursor");
      if (cursor !== null && !JOB_NAME_RE.test(cursor)) return null;
      return await this.#list(cursor, limit);
    }
    if (!path.startsWith("/v1/jobs/")) return null;
    let name: string;
    try {
      name = decodeURIComponent(path.slice("/v1/jobs/".length));
    } catch {
      return null;
    }
    if (!JOB_NAME_RE.test(name)) return null;
    return await this.#detail(name);
  }

  async #current(): Promise<Names> {
    while (this.#names === null || this.#names.gen !== Atomics.load(this.#ctrl, CTRL.namesGen)) {
      this.#refreshing ??= this.#source.names().then((names) => {
        this.#names = names;
        this.#index = new Map(names.names.map((n, i) => [n, i]));
        this.#summaries = [];
        this.#details = [];
      }).finally(() => this.#refreshing = null);
      await this.#refreshing;
    }
    return this.#names;
  }

  async #list(cursor: string | null, limit: number): Promise<Response | null> {
    const names = await this.#current();
    const { lo, names: page, next } = pageOf(names.names, cursor, limit);
    const slots = page.map((_, i) => lo + i);
    const texts = await this.#texts(names, "summary", this.#summaries, slots);
    if (texts === null) return null;
    const jobs: string[] = [];
    for (const text of texts) if (text !== null) jobs.push(text);
    return new Response(`{"jobs":[${jobs.join(",")}],"nextCursor":${JSON.stringify(next)}}`, {
      headers: JSON_HEADERS,
    });
  }

  async #detail(name: string): Promise<Response | null> {
    const names = await this.#current();
    const slot = this.#index.get(name);
    if (slot === undefined) return null;
    const texts = await this.#texts(names, "detail", this.#details, [slot]);
    if (texts === null || texts[0] === null) return null;
    return new Response(texts[0], { headers: JSON_HEADERS });
  }

  /** The texts of `slots`, kept or asked for; null when the scheduler's thread says forward. */
  async #texts(
    names: Names,
    kind: TextKind,
    kept: (Kept | undefined)[],
    slots: number[],
  ): Promise<(string | null)[] | null> {
    const second = Math.floor(Date.now() / 1000);
    const out: (string | null)[] = new Array(slots.length);
    const missing: number[] = [];
    const at: number[] = [];
    for (let i = 0; i < slots.length; i++) {
      const k = kept[slots[i]];
      if (k && k.second === second && k.version === Atomics.load(names.versions, slots[i])) {
        out[i] = k.text;
      } else {
        missing.push(slots[i]);
        at.push(i);
      }
    }
    if (missing.length === 0) return out;
    const reply = await this.#source.texts(names.gen, kind, missing);
    if (!reply.running || reply.gen !== names.gen || this.#names !== names) return null;
    for (let j = 0; j < reply.items.length; j++) {
      const [slot, version, sec, text] = reply.items[j];
      kept[slot] = { version, second: sec, text };
      out[at[j]] = text;
    }
    return out;
  }
}

/**
 * Pages of `GET /v1/jobs` kept as the text sent, for the front thread (_front_views.ts). A page
 * of 1,000 summaries is ~400 KB: joining and encoding it for every poll was half of the front's
 * CPU under the load case (session 9, a CPU profile of the front thread: 5.3 s of 10 s), and
 * pollers (the dashboard, `kron status`, monitoring) ask the same few pages again and again. A
 * kept page is used only while none of its jobs changed since it was made (the copy counts each
 * job's changes) and the copy is the same (a new job or a removed one brings a new copy).
 * Text rather than bytes: Deno copies a `Uint8Array` body in JavaScript for every answer, a
 * string goes to the HTTP layer as it is (a 400 KB page answered to 20 clients: 68 µs of the
 * server's CPU per answer as text, 149 as kept bytes).
 *
 * @example
 * ```ts
 * import { KeptPages } from "./_front_pages.ts";
 * const pages = new KeptPages<object>(16);
 * const copy = {};
 * const changes = new Int32Array([0, 0, 0]);
 * pages.put("100 ", copy, 0, changes.subarray(0, 3), "{}");
 * pages.get("100 ", copy, 0, 3, changes); // "{}"
 * changes[1]++;
 * pages.get("100 ", copy, 0, 3, changes); // undefined: a job in it changed
 * ```
 *
 * @module
 */

interface Kept<C> {
  copy: C;
  lo: number;
  changes: Int32Array;
  text: string;
}

/**
 * Up to `size` pages, the least recently asked dropped first.
 *
 * @example
 * ```ts
 * import { KeptPages } from "./_front_pages.ts";
 * const pages = new KeptPages<string>(2);
 * pages.put("a", "copy", 0, new Int32Array(0), "");
 * pages.size; // 1
 * ```
 */
export class KeptPages<C> {
  readonly #pages = new Map<string, Kept<C>>();

  /** Keeps at most `limit` pages. */
  constructor(readonly limit: number) {}

  /** How many pages are kept. */
  get size(): number {
    return this.#pages.size;
  }

  /**
   * The text kept under `key` if made from `copy` for the `n` jobs from slot `lo`, none of
   * which changed since (`changes`: the copy's counts of changes per slot); else undefined.
   */
  get(
    key: string,
    copy: C,
    lo: number,
    n: number,
    changes: Int32Array,
  ): string | undefined {
    const kept = this.#pages.get(key);
    if (kept === undefined) return undefined;
    this.#pages.delete(key);
    if (kept.copy !== copy || kept.lo !== lo || kept.changes.length !== n) return undefined;
    for (let i = 0; i < n; i++) if (changes[lo + i] !== kept.changes[i]) return undefined;
    this.#pages.set(key, kept); // now the most recently asked
    return kept.text;
  }

  /** Keeps `text` under `key`: the page of `copy` from slot `lo`, with its jobs' `changes`. */
  put(key: string, copy: C, lo: number, changes: Int32Array, text: string): void {
    this.#pages.delete(key);
    this.#pages.set(key, { copy, lo, changes: changes.slice(), text });
    if (this.#pages.size > this.limit) this.#pages.delete(this.#pages.keys().next().value!);
  }

  /** Drops every page. */
  clear(): void {
    this.#pages.clear();
  }
}

/**
 * A binary min-heap keyed by a number. The engine keeps every pending due time in one of these
 * and arms a single timer for its top.
 *
 * @example
 * ```ts
 * import { MinHeap } from "./heap.ts";
 * const h = new MinHeap<{ at: number }>((e) => e.at);
 * h.push({ at: 3 }); h.push({ at: 1 });
 * h.pop()?.at; // 1
 * ```
 * @module
 */

/** Min-heap over items ordered by `key(item)`. */
export class MinHeap<T> {
  #items: T[] = [];
  #key: (item: T) => number;

  /** Creates an empty heap ordered by `key`. */
  constructor(key: (item: T) => number) {
    this.#key = key;
  }

  /** Number of items. */
  get size(): number {
    return this.#items.length;
  }

  /** The smallest item, without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds an item: O(log n). */
  push(item: T): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    const k = this.#key(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.#key(a[p]) <= k) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = item;
  }

  /** Removes and returns the smallest item: O(log n). */
  pop(): T | undefined {
    const a = this.#items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) this.#siftDown(last);
    return top;
  }

  /** Keeps only items for which `keep` is true; O(n). Used to shed cancelled entries. */
  filter(keep: (item: T) => boolean): void {
    const kept = this.#items.filter(keep);
    this.#items = [];
    for (const item of kept) this.push(item);
  }

  #siftDown(item: T): void {
    const a = this.#items;
    const n = a.length;
    const k = this.#key(item);
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.#key(a[c + 1]) < this.#key(a[c])) c++;
      if (this.#key(a[c]) >= k) break;
      a[i] = a[c];
      i = c;
    }
    a[i] = item;
  }
}

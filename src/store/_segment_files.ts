/**
 * Live log segments kept open for reading (history pages read a few hundred bytes each: opening
 * and closing the file per page cost more than the reads). The writer's own handle is separate.
 *
 * @example
 * ```ts
 * import { SegmentFiles } from "./_segment_files.ts";
 * const files = new SegmentFiles();
 * files.closeAll();
 * ```
 * @module
 */

/** Read handles of live segments, by segment number. */
export class SegmentFiles {
  readonly #files = new Map<number, Deno.FsFile>();

  /** Segment `n` (at `path`) open for reading. */
  open(n: number, path: string): Deno.FsFile {
    let file = this.#files.get(n);
    if (!file) this.#files.set(n, file = Deno.openSync(path, { read: true }));
    return file;
  }

  /** Closes the segments before `n` (dropped by a compaction). */
  closeBefore(n: number): void {
    for (const [k, file] of this.#files) {
      if (k >= n) continue;
      file.close();
      this.#files.delete(k);
    }
  }

  /** Closes every segment (the store closes). */
  closeAll(): void {
    this.closeBefore(Infinity);
  }
}

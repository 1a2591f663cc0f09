/**
 * Small file-system helpers with the durability steps spelled out (no @std available).
 *
 * @example
 * ```ts
 * import { join } from "./_fs.ts";
 * join("/a/", "b", "c.txt"); // "/a/b/c.txt"
 * ```
 * @module
 */
import { KronError } from "../errors.ts";

/**
 * Joins path parts with `/` (Deno accepts it on every platform).
 *
 * @example
 * ```ts
 * import { join } from "./_fs.ts";
 * join(".kron", "log"); // ".kron/log"
 * ```
 */
export function join(...parts: string[]): string {
  return parts.map((p, i) => (i === 0 ? p.replace(/\/+$/, "") : p.replace(/^\/+|\/+$/g, "")))
    .filter((p, i) => p !== "" || i === 0).join("/") || "/";
}

export { absolute } from "../paths.ts";

/**
 * Fsyncs a directory so that entries created, renamed or removed in it survive a crash.
 *
 * @example
 * ```ts
 * import { fsyncDir } from "./_fs.ts";
 * await fsyncDir(Deno.makeTempDirSync());
 * ```
 */
export async function fsyncDir(dir: string): Promise<void> {
  const d = await Deno.open(dir, { read: true });
  try {
    await d.sync();
  } finally {
    d.close();
  }
}

/**
 * Writes all of `data` (a single `write` may be short).
 *
 * @example
 * ```ts
 * import { writeAll } from "./_fs.ts";
 * const f = await Deno.open(Deno.makeTempFileSync(), { write: true });
 * await writeAll(f, new Uint8Array([1, 2, 3]));
 * f.close();
 * ```
 */
export async function writeAll(
  file: { write(p: Uint8Array): Promise<number> },
  data: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < data.length) off += await file.write(off === 0 ? data : data.subarray(off));
}

/**
 * True when `path` exists (any kind of entry).
 *
 * @example
 * ```ts
 * import { exists } from "./_fs.ts";
 * await exists("/"); // true
 * ```
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Characters {@link writeFileAtomic} gathers before it encodes and writes them. */
const WRITE_PIECE = 1 << 18;

/**
 * Writes a file atomically and durably: tmp → fsync → rename → fsync(dir). A chunk may be a
 * function: it is called once every chunk before it has been encoded and passed to `onBytes`
 * (so a trailer can carry a checksum of everything before it). Returns the file size.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./_fs.ts";
 * const dir = Deno.makeTempDirSync();
 * await writeFileAtomic(dir, "FORMAT", ["1\n"]);
 * ```
 */
export async function writeFileAtomic(
  dir: string,
  name: string,
  chunks: Iterable<string | (() => string)>,
  onBytes?: (bytes: Uint8Array) => void,
): Promise<number> {
  const tmp = join(dir, `${name}.tmp`);
  const f = await Deno.open(tmp, { write: true, create: true, truncate: true, mode: 0o600 });
  const enc = new TextEncoder();
  let size = 0;
  let buf: string[] = [];
  let pending = 0;
  const flush = async () => {
    const bytes = enc.encode(buf.join(""));
    buf = [];
    pending = 0;
    onBytes?.(bytes);
    await writeAll(f, bytes);
    size += bytes.length;
  };
  try {
    // Write in pieces so a big snapshot never needs one giant string, and timers run in between:
    // a compaction shares the scheduler's thread (pieces of 1 Mi characters, made and encoded
    // between two writes, held it 10–25 ms each under the load torture).
    for (const chunk of chunks) {
      if (typeof chunk === "function") {
        await flush();
        buf.push(chunk());
      } else buf.push(chunk);
      pending += buf[buf.length - 1].length;
      if (pending >= WRITE_PIECE) await flush();
    }
    await flush();
    await f.sync();
  } finally {
    f.close();
  }
  await Deno.rename(tmp, join(dir, name));
  await fsyncDir(dir);
  return size;
}

/**
 * Wraps an unexpected file-system error as `KronError("io")`, naming what was being done.
 *
 * @example
 * ```ts
 * import { ioError } from "./_fs.ts";
 * ioError("writing log/000001.ndjson", new Error("ENOSPC")).code; // "io"
 * ```
 */
export function ioError(doing: string, cause: unknown): KronError {
  if (cause instanceof KronError) return cause;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new KronError("io", `${doing} failed: ${why}`, { cause });
}

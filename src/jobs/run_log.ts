/**
 * Per-run output logs of command jobs: `<dataDir>/runs/<job>/<runId>.log` (DESIGN §5).
 *
 * A {@link RunLog} appends chunks in the order they are handed to it, stops storing output at
 * a byte cap (one marker line says so) but keeps accepting chunks so the producer can keep
 * draining its pipes, and always accepts kron's own notes (abort, kill) after the cap.
 * Directories are created `0700` and files `0600`: output may contain secrets. A command run's
 * log is created with its first byte ({@link createRunLog}): a run that prints nothing has no
 * file. Old logs are removed in the background by run_log_retention.ts.
 *
 * @example
 * ```ts
 * import { openRunLog } from "./run_log.ts";
 * const log = await openRunLog("/tmp/kron-demo/runs", "backup", "01J0000000000000000000000", 1024);
 * await log.write(new TextEncoder().encode("hello\n"));
 * await log.note("run aborted");
 * await log.close();
 * ```
 * @module
 */
import { KronError } from "../errors.ts";

/** Default cap of captured output per run: 1 MiB. */
export const DEFAULT_LOG_CAP_BYTES = 1024 * 1024;

const encoder = new TextEncoder();

/**
 * Throws unless `id` is safe as one path component. Job names and run ids are validated
 * elsewhere; this is defence in depth since both end up in a file path.
 *
 * @example
 * ```ts
 * import { assertPathComponent } from "./run_log.ts";
 * assertPathComponent("job", "nightly-backup"); // ok
 * // assertPathComponent("job", "../etc"); // throws KronError("invalid_name")
 * ```
 */
export function assertPathComponent(what: string, id: string): void {
  if (
    // Only a whole "." or ".." climbs, and only with a separator: "backup..old" is a valid job
    // name (DESIGN §3) and a safe file name.
    id === "" || id === "." || id === ".." || id.includes("/") || id.includes("\\") ||
    id.includes("\0")
  ) {
    throw new KronError("invalid_name", `${what} ${JSON.stringify(id)} is not a safe file name`);
  }
}

/**
 * The path of a run's log file; throws for an unsafe job or run id.
 *
 * @example
 * ```ts
 * import { runLogPath } from "./run_log.ts";
 * runLogPath(".kron/runs", "backup", "01J0000000000000000000000");
 * // ".kron/runs/backup/01J0000000000000000000000.log"
 * ```
 */
export function runLogPath(logDir: string, job: string, runId: string): string {
  assertPathComponent("job", job);
  assertPathComponent("run id", runId);
  return `${logDir}/${job}/${runId}.log`;
}

/**
 * An open run log with an output cap. All methods are serialised internally, so concurrent
 * writers (stdout and stderr pumps) interleave chunk by chunk in call order.
 */
export interface RunLog {
  /** The file's path. */
  readonly path: string;
  /** Output bytes stored so far (excluding kron's notes). */
  readonly storedBytes: number;
  /** Whether output was cut at the cap. */
  readonly truncated: boolean;
  /**
   * Appends output, up to the cap. Resolves once written (or dropped), which gives the caller
   * backpressure without ever making it wait on more than one chunk.
   */
  write(chunk: Uint8Array): Promise<void>;
  /** Appends a `[kron] …` line, whatever the cap. */
  note(message: string): Promise<void>;
  /** Flushes pending writes and closes the file. Idempotent. */
  close(): Promise<void>;
}

/**
 * A run's log, created lazily: the directories (0700) and the file (appending, 0600) come into
 * being with the first output or note, so a run that prints nothing costs no file, no
 * directory entry and no system call. Synchronous: nothing happens until something is written.
 *
 * @param hooks `onError` is called once if opening or writing fails (disk full, no
 *   permission…); later output is then dropped so the process being logged is never blocked or
 *   failed by its log. `onCreated` is called once the file exists.
 *
 * @example
 * ```ts
 * import { createRunLog } from "./run_log.ts";
 * const log = createRunLog("/tmp/kron-demo/runs", "job", "run1", 64 * 1024);
 * await log.close(); // nothing was written: no file
 * ```
 */
export function createRunLog(
  logDir: string,
  job: string,
  runId: string,
  capBytes: number = DEFAULT_LOG_CAP_BYTES,
  hooks: { onError?: (error: unknown) => void; onCreated?: () => void } = {},
): RunLog {
  const path = runLogPath(logDir, job, runId);
  const open = async () => {
    await Deno.mkdir(`${logDir}/${job}`, { recursive: true, mode: 0o700 });
    // Append: should an id ever be reused (a retry logged under the same run id) nothing is lost.
    const file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
    hooks.onCreated?.();
    return file;
  };
  return new CappedRunLog(path, open, capBytes, hooks.onError);
}

/**
 * Creates the directories (0700) and opens (appending, 0600) a run's log file at once; see
 * {@link createRunLog} for the lazy one command runs use.
 *
 * @param onError called once if writing fails (disk full…); later output is then dropped so
 *   the process being logged is never blocked or failed by its log.
 *
 * @example
 * ```ts
 * import { openRunLog } from "./run_log.ts";
 * const log = await openRunLog("/tmp/kron-demo/runs", "job", "run1", 64 * 1024);
 * await log.close();
 * ```
 */
export async function openRunLog(
  logDir: string,
  job: string,
  runId: string,
  capBytes: number = DEFAULT_LOG_CAP_BYTES,
  onError?: (error: unknown) => void,
): Promise<RunLog> {
  const path = runLogPath(logDir, job, runId);
  await Deno.mkdir(`${logDir}/${job}`, { recursive: true, mode: 0o700 });
  const file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
  return new CappedRunLog(path, () => Promise.resolve(file), capBytes, onError, file);
}

class CappedRunLog implements RunLog {
  readonly path: string;
  #file: Deno.FsFile | null;
  #open: () => Promise<Deno.FsFile>;
  #cap: number;
  #stored = 0;
  #truncated = false;
  #broken = false;
  #closed = false;
  #endsWithNewline = true;
  #chain: Promise<void> = Promise.resolve();
  #onError?: (error: unknown) => void;

  constructor(
    path: string,
    open: () => Promise<Deno.FsFile>,
    cap: number,
    onError?: (e: unknown) => void,
    file: Deno.FsFile | null = null,
  ) {
    this.path = path;
    this.#open = open;
    this.#file = file;
    this.#cap = Math.max(0, Math.floor(cap));
    this.#onError = onError;
  }

  get storedBytes(): number {
    return this.#stored;
  }

  get truncated(): boolean {
    return this.#truncated;
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#truncated || chunk.length === 0) return;
      const room = this.#cap - this.#stored;
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      await this.#writeAll(part);
      this.#stored += part.length;
      if (part.length < chunk.length) {
        this.#truncated = true;
        await this.#writeNote(`output truncated after ${this.#stored} bytes`);
      }
    });
  }

  note(message: string): Promise<void> {
    return this.#enqueue(() => this.#writeNote(message));
  }

  close(): Promise<void> {
    return this.#enqueue(() => {
      if (this.#closed) return;
      this.#closed = true;
      this.#file?.close();
    });
  }

  #enqueue(op: () => Promise<void> | void): Promise<void> {
    const next = this.#chain.then(op);
    // Errors are already reported through onError; keep the chain usable.
    this.#chain = next.catch(() => {});
    return this.#chain;
  }

  async #writeNote(message: string): Promise<void> {
    // Start on a fresh line so the note never glues onto partial output.
    const prefix = this.#endsWithNewline ? "" : "\n";
    await this.#writeAll(encoder.encode(`${prefix}[kron] ${message.replaceAll("\n", " ")}\n`));
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    if (this.#broken || this.#closed || bytes.length === 0) return;
    try {
      const file = this.#file ??= await this.#open();
      let off = 0;
      while (off < bytes.length) off += await file.write(bytes.subarray(off));
      this.#endsWithNewline = bytes[bytes.length - 1] === 0x0a;
    } catch (e) {
      this.#broken = true;
      this.#onError?.(e);
    }
  }
}

/**
 * Deletes a job's run logs whose run id is not in `keepRunIds` (history trimmed by compaction
 * or the job removed). Files not named `<id>.log` are left alone. When nothing is kept the
 * job's directory is removed too if it ends up empty. Returns how many logs were deleted; a
 * missing directory is not an error.
 *
 * @example
 * ```ts
 * import { pruneRunLogs } from "./run_log.ts";
 * const deleted = await pruneRunLogs(".kron/runs", "backup", new Set(["01J…A", "01J…B"]));
 * console.log(`${deleted} old run logs removed`);
 * ```
 */
export async function pruneRunLogs(
  logDir: string,
  job: string,
  keepRunIds: Set<string>,
): Promise<number> {
  assertPathComponent("job", job);
  const dir = `${logDir}/${job}`;
  let deleted = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".log")) continue;
      if (keepRunIds.has(entry.name.slice(0, -4))) continue;
      try {
        await Deno.remove(`${dir}/${entry.name}`);
        deleted++;
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return deleted;
    throw e;
  }
  if (keepRunIds.size === 0) {
    try {
      await Deno.remove(dir); // not recursive: fails harmlessly if a new log appeared
    } catch {
      // Not empty or already gone: both fine.
    }
  }
  return deleted;
}

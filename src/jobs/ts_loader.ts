/**
 * Loads `jobs.ts` by dynamic `import()` and hands its exports to the validator: the default
 * export maps job names to definitions, the optional `kron` export holds runtime settings.
 *
 * ```ts ignore
 * // A jobs.ts as users write it (the package root re-exports defineJobs).
 * import { defineJobs } from "../mod.ts";
 * export const kron = { timezone: "Europe/Rome" };
 * export default defineJobs({
 *   digest: { cron: "0 8 * * *", run: (ctx) => sendDigest(ctx.signal) },
 * });
 * ```
 *
 * @example
 * ```ts
 * import { importTsJobFile } from "./ts_loader.ts";
 * const raw = await importTsJobFile("examples/jobs.ts");
 * raw.jobs.map((j) => j.key);
 * ```
 * @module
 */
import { firstLine, ioError, JobFileError } from "./job_errors.ts";
import type { RawJobFile } from "./entry_checker.ts";
import { isPlainObject, typeName } from "./_value_kind.ts";

/**
 * The absolute `file://` URL of a path (relative paths are taken from the current directory).
 * Each segment is percent-encoded so that `#`, `?` and `%` in names cannot change the URL.
 *
 * @example
 * ```ts
 * import { fileUrl } from "./ts_loader.ts";
 * fileUrl("/srv/my jobs/jobs.ts"); // "file:///srv/my%20jobs/jobs.ts"
 * ```
 */
export function fileUrl(path: string): string {
  const absolute = path.startsWith("/") ? path : `${Deno.cwd().replace(/\/$/, "")}/${path}`;
  return "file://" + absolute.split("/").map(encodeURIComponent).join("/");
}

// Module URLs are cached for the life of the process: a counter in the query makes each load
// (e.g. `kron reload`) evaluate the file as it is now.
let generation = 0;

/**
 * Imports a TS job file and returns its jobs and settings as plain data. A file that fails to
 * import (syntax error, throws at top level, missing import) and a default export that is not a
 * plain object become a one-line {@link JobFileError}.
 *
 * @example
 * ```ts
 * import { importTsJobFile } from "./ts_loader.ts";
 * const raw = await importTsJobFile("jobs.ts");
 * raw.settings?.data; // the `kron` export, if any
 * ```
 */
export async function importTsJobFile(path: string): Promise<RawJobFile> {
  try {
    const info = await Deno.stat(path);
    if (info.isDirectory) throw new Deno.errors.IsADirectory(path);
  } catch (e) {
    throw ioError(path, e);
  }
  const url = fileUrl(path);
  let module: Record<string, unknown>;
  try {
    module = await import(`${url}?kron=${++generation}`);
  } catch (e) {
    throw importError(path, url, e);
  }
  if (!("default" in module)) {
    throw new JobFileError({
      file: path,
      problem: "no default export: export default { jobName: { cron: …, run: (ctx) => … } }",
    });
  }
  const jobs = module.default;
  if (!isPlainObject(jobs)) {
    throw new JobFileError({
      file: path,
      problem: `the default export must be an object mapping job names to definitions, not ${
        typeName(jobs)
      }`,
    });
  }
  return {
    file: path,
    kind: "ts",
    settings: "kron" in module
      ? { data: module.kron, key: null, line: null, fieldLine: () => null }
      : null,
    jobs: Object.entries(jobs).map(([key, data]) => ({
      data,
      key,
      line: null,
      fieldLine: () => null,
    })),
  };
}

/** An ANSI colour sequence (ESC [ … m). */
const ANSI_SGR = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g");

/**
 * Where in the job file the import failed: Deno puts a syntax error's position in its message
 * (`at file:///…/jobs.ts:2:1`), a top-level throw's in the stack. Frames of other modules are
 * ignored: the position must point into the file the user gave. Also used by the sandbox,
 * whose worker reports the same texts.
 *
 * @example
 * ```ts
 * import { fileUrl, importError } from "./ts_loader.ts";
 * const e = new Error("boom");
 * e.stack = `Error: boom\n    at ${fileUrl("/srv/jobs.ts")}:3:7`;
 * importError("/srv/jobs.ts", fileUrl("/srv/jobs.ts"), e).message; // "/srv/jobs.ts:3:7: cannot import: Error: boom"
 * ```
 */
export function importError(path: string, url: string, error: unknown): JobFileError {
  // Deno colours some of its messages (a missing module's position) even into a pipe.
  const plain = (text: string) => text.replace(ANSI_SGR, "");
  if (error instanceof Error) {
    error.message = plain(error.message);
    if (error.stack) error.stack = plain(error.stack);
  }
  const texts = error instanceof Error ? [error.message, error.stack ?? ""] : [];
  let line: number | null = null;
  let column: number | null = null;
  for (const text of texts) {
    for (const m of text.matchAll(/(file:\/\/[^\s()]+?):(\d+):(\d+)/g)) {
      if (m[1].replace(/\?.*$/, "") !== url) continue;
      line = Number(m[2]);
      column = Number(m[3]);
      break;
    }
    if (line !== null) break;
  }
  return new JobFileError({
    file: path,
    line,
    column,
    problem: `cannot import: ${firstLine(error)}`,
  });
}

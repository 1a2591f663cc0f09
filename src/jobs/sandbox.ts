/**
 * Loading a TS job file in the sandbox (DESIGN §4): `jobs.ts` never runs in kron's own isolate.
 * It is loaded in a Web Worker whose Deno permissions are only the `kron run --allow-*` grants,
 * and its definitions come back as data (each `run` a stub naming the file and job, see
 * {@link isSandboxStub}). Running the functions is sandbox_pool.ts's part; the loading worker
 * can stay up for it ({@link LoadedTs.warm}), so the file is not imported twice.
 *
 * A file that cannot be imported (syntax error, top-level throw, a refused permission at top
 * level) becomes a one-line {@link JobFileError} with the position when Deno gives one.
 *
 * @example
 * ```ts
 * import { loadTsInSandbox } from "./sandbox.ts";
 * import { emptyPermissions } from "./grants.ts";
 * const raw = await loadTsInSandbox("jobs.ts", emptyPermissions());
 * raw.jobs.map((j) => j.key);
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { RunContext } from "../engine/mod.ts";
import { checkCompiledImports, rewriteCompiledError } from "./compiled.ts";
import { deniedMessage, parseDenied } from "./permissions.ts";
import type { WarmWorker } from "./sandbox_pool.ts";
import type { DefsMessage, ErrorData, LogLevel, OutEntry } from "./sandbox_protocol.ts";
import { START_TIMEOUT_MS, startWorker, toError } from "./sandbox_worker.ts";
import type { Permissions } from "./grants.ts";
import { fileUrl, importError } from "./ts_loader.ts";
import { ioError, JobFileError } from "./job_errors.ts";
import type { RawEntry, RawJobFile } from "./entry_checker.ts";

const SANDBOX_STUB = Symbol.for("kron.sandboxStub");

/**
 * Where a stub's job lives: the file and the default-export key.
 *
 * @example
 * ```ts
 * import type { StubTarget } from "./sandbox.ts";
 * const t: StubTarget = { path: "/srv/jobs.ts", key: "digest" };
 * ```
 */
export interface StubTarget {
  path: string;
  key: string;
}

/**
 * The sandbox stub behind a loaded job's `run`, or null for a real function. A stub throws if
 * called: its code lives in the worker.
 *
 * @example
 * ```ts
 * import { isSandboxStub } from "./sandbox.ts";
 * isSandboxStub(() => {}); // null
 * ```
 */
export function isSandboxStub(fn: unknown): StubTarget | null {
  if (typeof fn !== "function") return null;
  return (fn as unknown as { [SANDBOX_STUB]?: StubTarget })[SANDBOX_STUB] ?? null;
}

function makeStub(target: StubTarget): (ctx: RunContext) => never {
  const stub = () => {
    throw new Error(`job "${target.key}" runs in its sandbox worker, not in kron's isolate`);
  };
  Object.defineProperty(stub, SANDBOX_STUB, { value: target });
  return stub;
}

/**
 * A loaded TS file: its definitions for the validator, and (when asked) the worker that loaded
 * it, still up and ready to serve runs with the permissions it was loaded with.
 *
 * @example
 * ```ts
 * import type { LoadedTs } from "./sandbox.ts";
 * function jobs(l: LoadedTs): number {
 *   return l.jobs.length;
 * }
 * ```
 */
export interface LoadedTs extends RawJobFile {
  warm: WarmWorker | null;
  /** What the file's top-level code printed (`console.*`), for {@link logLoadOutput}. */
  printed: PrintedLine[];
}

/**
 * A line a job file's top-level code printed while it loaded.
 *
 * @example
 * ```ts
 * import type { PrintedLine } from "./sandbox.ts";
 * const line: PrintedLine = { level: "info", message: "connecting" };
 * ```
 */
export interface PrintedLine {
  level: LogLevel;
  message: string;
}

/**
 * Writes what a job file printed while it loaded to kron's log (category `kron.sandbox`, one
 * record per line): called once logging is set up, which the file's own settings may decide.
 *
 * @example
 * ```ts
 * import { logLoadOutput } from "./sandbox.ts";
 * logLoadOutput("jobs.ts", [{ level: "info", message: "connecting" }]);
 * ```
 */
export function logLoadOutput(path: string, printed: readonly PrintedLine[]): void {
  const log = getLogger(["kron", "sandbox"]);
  for (const { level, message } of printed) {
    log[level === "warn" ? "warning" : level]("{file}: {message}", { file: path, message });
  }
}

/**
 * Loads a TS job file inside a worker that has exactly `permissions`, and returns its
 * definitions as data for the validator (each `run` a stub). A file that cannot be imported
 * (syntax error, top-level throw, a refused permission at top level) becomes a one-line
 * {@link JobFileError} with the position when Deno gives one. Under a compiled kron, npm:,
 * jsr: and https: imports are refused first with a message saying why (see compiled.ts).
 *
 * With `keepWarm`, the loading worker is returned in `warm` instead of terminated (the caller
 * owns it then: hand it to a {@link SandboxPools} or terminate it).
 *
 * @example
 * ```ts
 * import { loadTsInSandbox } from "./sandbox.ts";
 * import { validateJobFile } from "./validate.ts";
 * import { emptyPermissions } from "./grants.ts";
 * const file = validateJobFile(await loadTsInSandbox("jobs.ts", emptyPermissions()));
 * ```
 */
export async function loadTsInSandbox(
  path: string,
  permissions: Permissions,
  options: { keepWarm?: boolean } = {},
): Promise<LoadedTs> {
  try {
    const info = await Deno.stat(path);
    if (info.isDirectory) throw new Deno.errors.IsADirectory(path);
  } catch (e) {
    throw ioError(path, e);
  }
  await checkCompiledImports(path);
  const url = fileUrl(path);
  const worker = startWorker(path, "load", permissions, "kron:load");
  let timer: ReturnType<typeof setTimeout> | undefined;
  let keep = false;
  const printed: PrintedLine[] = [];
  try {
    const msg = await new Promise<DefsMessage | { t: "fatal"; error: ErrorData }>(
      (resolve, reject) => {
        let defs: DefsMessage | null = null;
        timer = setTimeout(
          () =>
            reject(
              new JobFileError({
                file: path,
                problem: `did not finish loading within ${START_TIMEOUT_MS / 1000}s ` +
                  "(a top-level await that never settles?)",
              }),
            ),
          START_TIMEOUT_MS,
        );
        worker.onmessage = (e) => {
          const data = e.data;
          if (data?.t === "out") printed.push(...printedLines(data.entries));
          else if (data?.t === "defs") defs = data;
          else if (data?.t === "ready" && defs) resolve(defs);
          else if (data?.t === "fatal") resolve(data);
          else if (data?.t === "exit") {
            reject(
              new JobFileError({ file: path, problem: "the file called Deno.exit() or close()" }),
            );
          }
        };
        worker.onerror = (e) => {
          e.preventDefault();
          // A module that cannot be loaded (syntax error, missing import): Deno's text has the
          // position in its message.
          resolve({ t: "fatal", error: { name: "Error", message: e.message, stack: e.message } });
        };
      },
    );
    if (msg.t === "fatal") throw loadError(path, url, msg.error, permissions);
    const raw = rawFile(path, msg);
    keep = options.keepWarm === true;
    return { ...raw, warm: keep ? { worker, permissions } : null, printed };
  } finally {
    clearTimeout(timer);
    if (!keep) worker.terminate();
  }
}

/** The lines of a worker's output message. */
function printedLines(data: OutEntry[] | string): PrintedLine[] {
  const entries: OutEntry[] = typeof data === "string" ? JSON.parse(data) : data;
  const out: PrintedLine[] = [];
  for (const e of entries) {
    if (typeof e !== "string" && e[0] === "l") out.push({ level: e[2], message: e[3] });
  }
  return out;
}

function loadError(
  path: string,
  url: string,
  data: ErrorData,
  permissions: Permissions,
): JobFileError {
  const denied = parseDenied(data.message);
  const rewritten = rewriteCompiledError(path, data.message);
  if (rewritten) return rewritten;
  const base = importError(path, url, toError(data));
  if (!denied) return base;
  // Keep the position, say which permission and flag.
  const at = /^(.*?): cannot import: /.exec(base.message)?.[1] ?? path;
  const e = new JobFileError({
    file: path,
    problem: `cannot import: ${deniedMessage(denied, permissions)}`,
  });
  e.message = `${at}: cannot import: ${deniedMessage(denied, permissions)}`;
  return e;
}

/** A marker object standing for a value the worker could not send (shown by its type). */
function markerValue(text: string): unknown {
  const name = /^an instance of (.+)$/.exec(text)?.[1] ?? "Value";
  const ctor = { [name]: class {} }[name];
  return new ctor();
}

/** Turns the worker's markers back into values the validator understands. */
function fromData(value: unknown, target: StubTarget | null): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => fromData(v, target));
  if (value instanceof Date) return value;
  const rec = value as Record<string, unknown>;
  if (typeof rec.__kronFunction === "string" && Object.keys(rec).length === 1) {
    return target ? makeStub(target) : () => {};
  }
  if (typeof rec.__kronValue === "string" && Object.keys(rec).length === 1) {
    return markerValue(rec.__kronValue);
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    // Only `run` is called later; another function (say in onFailure) just has to look like one.
    out[k] = fromData(v, k === "run" ? target : null);
  }
  return out;
}

/**
 * Where the file writes `export default` (read as text, never run here), for the message about
 * a default export of the wrong kind; nulls when it cannot be told (say, `export { x as default }`).
 */
function defaultExportPosition(path: string): { line: number | null; column: number | null } {
  try {
    const lines = Deno.readTextFileSync(path).split("\n");
    for (let i = 0; i < lines.length; i++) {
      const at = lines[i].search(/\bexport\s+default\b/);
      if (at !== -1) return { line: i + 1, column: at + 1 };
    }
  } catch {
    // Unreadable now: the message goes without a position.
  }
  return { line: null, column: null };
}

function rawFile(path: string, msg: DefsMessage): RawJobFile {
  if (!msg.hasDefault) {
    throw new JobFileError({
      file: path,
      problem: "no default export: export default { jobName: { cron: …, run: (ctx) => … } }",
    });
  }
  if (msg.defaultType !== null) {
    throw new JobFileError({
      file: path,
      ...defaultExportPosition(path),
      problem:
        `the default export must be an object mapping job names to definitions, not ${msg.defaultType}`,
    });
  }
  const entry = (data: unknown, key: string | null): RawEntry => ({
    data,
    key,
    line: null,
    fieldLine: () => null,
  });
  return {
    file: path,
    kind: "ts",
    settings: msg.hasSettings ? entry(fromData(msg.settings, null), null) : null,
    jobs: msg.jobs.map(([key, data]) => entry(fromData(data, { path, key }), key)),
  };
}

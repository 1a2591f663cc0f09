/**
 * The messages between kron and a TS job's sandbox worker (structured clone). One worker holds
 * every function of its job file; runs travel in batches both ways, so the runs due at one
 * instant cost one message out and (for runs that end together) one message back.
 *
 * Host → worker:
 * - {@link InitMessage} once the worker says `booted`;
 * - {@link RunsMessage}: runs to start, each a {@link RunTuple};
 * - {@link AbortMessage}: a run's signal aborted (timeout, replace, shutdown).
 *
 * Worker → host:
 * - `{ t: "booted" }`, then `defs` (load mode) and `{ t: "ready" }`;
 * - {@link OutMessage}: ends and log lines, in order, each an {@link OutEntry}, and how many
 *   `runs` batches it has taken (a worker that does not acknowledge a batch is stuck in it);
 * - {@link FatalMessage}: an uncaught error or rejection, or the job file failing to load;
 * - {@link ExitMessage}: a job called `Deno.exit()` or `close()`.
 *
 * Fatal and exit messages name the run (and job) whose code raised them when the worker can
 * tell (its runs carry an async context), so the host knows which job forced the worker down.
 *
 * @example
 * ```ts
 * import type { RunTuple, RunsMessage } from "./sandbox_protocol.ts";
 * const run: RunTuple = ["01J…", "digest", 1, Date.now(), "digest:2026-01-01T00:00:00.000Z"];
 * const msg: RunsMessage = { t: "runs", runs: JSON.stringify([run]) };
 * ```
 * @module
 */

/**
 * What the host asks a fresh worker to do. `load`: send the definitions as data, then serve
 * runs like `serve` (the host keeps the worker when its permissions fit a pool).
 *
 * @example
 * ```ts
 * import type { InitMessage } from "./sandbox_protocol.ts";
 * const init: InitMessage = { t: "init", mode: "serve" };
 * ```
 */
export interface InitMessage {
  t: "init";
  mode: "load" | "serve";
}

/**
 * One run to start: `[runId, job, attempt, scheduledAt (ms), idempotencyKey]`. A tuple, not an
 * object: a batch of a thousand clones measurably faster.
 *
 * @example
 * ```ts
 * import type { RunTuple } from "./sandbox_protocol.ts";
 * const run: RunTuple = ["01J…", "digest", 2, 0, "digest:1970-01-01T00:00:00.000Z"];
 * ```
 */
export type RunTuple = [string, string, number, number, string];

/**
 * Runs to start now.
 *
 * @example
 * ```ts
 * import type { RunsMessage } from "./sandbox_protocol.ts";
 * const none: RunsMessage = { t: "runs", runs: "[]" };
 * ```
 */
export interface RunsMessage {
  t: "runs";
  /** The runs as the JSON text of a `RunTuple[]` (one string clones far faster than arrays). */
  runs: string;
}

/**
 * A run's signal aborted: the worker aborts the run's `ctx.signal` with this reason.
 *
 * @example
 * ```ts
 * import type { AbortMessage } from "./sandbox_protocol.ts";
 * const m: AbortMessage = { t: "abort", runId: "01J…", reason: { name: "TimeoutError", message: "timed out", stack: "" } };
 * ```
 */
export interface AbortMessage {
  t: "abort";
  runId: string;
  reason: ErrorData;
}

/**
 * An error as data.
 *
 * @example
 * ```ts
 * import type { ErrorData } from "./sandbox_protocol.ts";
 * const e: ErrorData = { name: "TypeError", message: "x is not a function", stack: "" };
 * ```
 */
export interface ErrorData {
  name: string;
  message: string;
  stack: string;
}

/**
 * One entry of an {@link OutMessage}:
 * - a run id alone: that run succeeded and was refused nothing (the common end, kept small);
 * - `["d", runId, ok, error, denied]`: the run ended (`error` null when ok; `denied` the
 *   permissions refused to that run, or null);
 * - `["l", runId, level, message, fields]`: a log line of a run (`ctx.log` or `console.*`);
 *   `runId` null for code outside any run (top-level code, stray callbacks), then `job` is
 *   in `fields` when known.
 *
 * @example
 * ```ts
 * import type { OutEntry } from "./sandbox_protocol.ts";
 * const done: OutEntry = ["d", "01J…", true, null, null];
 * const line: OutEntry = ["l", "01J…", "info", "sent 3 mails", { count: 3 }];
 * ```
 */
export type OutEntry =
  | string
  | ["d", string, boolean, ErrorData | null, string[] | null]
  | ["l", string | null, LogLevel, string, Record<string, unknown> | undefined];

/**
 * The levels a job logs at.
 *
 * @example
 * ```ts
 * import type { LogLevel } from "./sandbox_protocol.ts";
 * const l: LogLevel = "warn";
 * ```
 */
export type LogLevel = "info" | "warn" | "error";

/**
 * Run ends and log lines, in the order they happened.
 *
 * @example
 * ```ts
 * import type { OutMessage } from "./sandbox_protocol.ts";
 * const m: OutMessage = { t: "out", entries: [], ack: 0 };
 * ```
 */
export interface OutMessage {
  t: "out";
  /** The entries, as JSON text when they can be (else as they are). */
  entries: OutEntry[] | string;
  /** `runs` batches the worker has taken and run the synchronous part of, since it started. */
  ack: number;
}

/**
 * The worker cannot go on: an uncaught error or rejection (or the file failed to load). `runId`
 * and `job` name whose code raised it when known.
 *
 * @example
 * ```ts
 * import type { FatalMessage } from "./sandbox_protocol.ts";
 * const m: FatalMessage = {
 *   t: "fatal", error: { name: "Error", message: "boom", stack: "" }, denied: [], runId: null, job: "spin",
 * };
 * ```
 */
export interface FatalMessage {
  t: "fatal";
  error: ErrorData;
  denied: string[];
  runId: string | null;
  job: string | null;
}

/**
 * A job called `Deno.exit()` or `close()`.
 *
 * @example
 * ```ts
 * import type { ExitMessage } from "./sandbox_protocol.ts";
 * const m: ExitMessage = { t: "exit", code: 1, runId: "01J…", job: "quit" };
 * ```
 */
export interface ExitMessage {
  t: "exit";
  code: number;
  runId: string | null;
  job: string | null;
}

/**
 * The definitions of a loaded file, as data (functions as `{ __kronFunction: name }`).
 *
 * @example
 * ```ts
 * import type { DefsMessage } from "./sandbox_protocol.ts";
 * const m: DefsMessage = {
 *   t: "defs", hasDefault: true, defaultType: null, jobs: [], hasSettings: false, settings: undefined, denied: [],
 * };
 * ```
 */
export interface DefsMessage {
  t: "defs";
  hasDefault: boolean;
  defaultType: string | null;
  jobs: [string, unknown][];
  hasSettings: boolean;
  settings: unknown;
  denied: string[];
}

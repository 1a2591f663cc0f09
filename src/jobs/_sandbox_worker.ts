/**
 * The bootstrap of a TS job file's sandbox worker (sandbox_worker.ts starts it). The worker's
 * root module is a tiny `data:` module that statically imports this file and hands it a literal
 * `import()` of the job file: a worker without read permission may load its root's static graph
 * (a literal `import()` is part of it) but not any other file, and a failure to load is a
 * rejection reported here rather than Deno's own multi-line worker error. Evaluated first, this
 * module installs the guards (uncaught errors, `Deno.exit`,
 * `close()`, the record of denied permissions, `console`) before any line of the job file runs.
 *
 * One worker holds every function of its file and runs many runs at once, of many jobs. Each
 * run executes inside its own async context ({@link AsyncLocalStorage}), so what happens during
 * it is charged to it and to no other run in flight: a permission refusal (even one the job
 * catches), a `console.log`, an uncaught error from its stray callbacks, a `Deno.exit()`.
 *
 * Messages are those of sandbox_protocol.ts: runs arrive in batches; ends and log lines go back
 * in one message per turn of the event loop.
 *
 * Only `node:async_hooks` is imported (built in): a worker starts faster with one small module,
 * and `deno compile` embeds it by the static `new URL("./_sandbox_worker.ts", import.meta.url)`.
 *
 * @example
 * ```ts ignore
 * // The root module sandbox_worker.ts builds (as a data: URL):
 * import { serve } from "file:///…/src/jobs/_sandbox_worker.ts";
 * serve(() => import("file:///srv/jobs.ts"));
 * // then the host sends { t: "init", mode: "serve" } and { t: "runs", runs: "[…]" }
 * ```
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { isPlainObject, typeName } from "./_value_kind.ts";
import type {
  AbortMessage,
  DefsMessage,
  ErrorData,
  InitMessage,
  LogLevel,
  OutEntry,
  RunsMessage,
  RunTuple,
} from "./sandbox_protocol.ts";

/** What one run owns while it executes: its id, its job, the refusals charged to it. */
interface RunScope {
  runId: string;
  job: string;
  /** Made at the first refusal. */
  denied: Set<string> | null;
}

// deno-lint-ignore no-explicit-any
const scope = globalThis as any;
const post = (msg: unknown) => scope.postMessage(msg);
const runScope = new AsyncLocalStorage<RunScope>();

/** Refusals outside any run (top-level code): the start's own. */
const startDenied = new Set<string>();
/** The run whose callback threw last (timers lose the async context by the error event). */
let thrownBy: RunScope | undefined;
const DENIED = /Requires (\w+) access to "?([^",]*)"?(?:,|$)/;

/** Notes every permission refusal in `e`, its causes and aggregated errors, for `owner`. */
function noteDenied(e: unknown, owner: RunScope | undefined, depth = 0): void {
  if (depth > 5 || e === null || typeof e !== "object") return;
  const err = e as { message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof err.message === "string") {
    const m = DENIED.exec(err.message);
    if (m) {
      const into = owner === undefined ? startDenied : (owner.denied ??= new Set());
      into.add(`${m[1]}:${m[2]}`);
    }
  }
  noteDenied(err.cause, owner, depth + 1);
  if (Array.isArray(err.errors)) { for (const x of err.errors) noteDenied(x, owner, depth + 1); }
}

function errorData(e: unknown): ErrorData {
  if (e instanceof Error) {
    return { name: e.name, message: e.message, stack: e.stack ?? "" };
  }
  return { name: "Error", message: String(e), stack: "" };
}

// ---------------------------------------------------------------- the outbox

let outbox: OutEntry[] = [];
let flushArmed = false;
/** `runs` batches taken so far: the host sees from the acks which worker is stuck in one. */
let batches = 0;
let acked = 0;

/** Queues an entry; everything queued in one turn (all microtasks included) goes in one message. */
function send(entry: OutEntry): void {
  outbox.push(entry);
  armFlush();
}

/**
 * The flush runs as the next task after the microtasks of this one (so runs that end at once
 * share it): a message to ourselves, which unlike `setTimeout(0)` is not clamped to a timer tick.
 */
const flushChannel = new MessageChannel();
flushChannel.port1.onmessage = () => flush();

function armFlush(): void {
  if (flushArmed) return;
  flushArmed = true;
  flushChannel.port2.postMessage(null);
}

function flush(): void {
  flushArmed = false;
  const entries = outbox;
  outbox = [];
  if (entries.length > 0 || acked !== batches) {
    // As one JSON string when it can be (log fields may hold values JSON cannot carry).
    let data: OutEntry[] | string = entries;
    try {
      data = JSON.stringify(entries);
    } catch {
      // Cloned as they are.
    }
    post({ t: "out", entries: data, ack: batches });
  }
  acked = batches;
}

// ---------------------------------------------------------------- guards

/** Wraps a function so that permission refusals it throws or rejects with are noted. */
// deno-lint-ignore no-explicit-any
function watch(fn: (...args: any[]) => any): (...args: any[]) => any {
  return new Proxy(fn, {
    apply(target, self, args) {
      try {
        const out = Reflect.apply(target, self, args);
        if (out instanceof Promise) {
          const owner = runScope.getStore();
          return out.catch((e) => {
            noteDenied(e, owner);
            throw e;
          });
        }
        return out;
      } catch (e) {
        noteDenied(e, runScope.getStore());
        throw e;
      }
    },
    construct(target, args, newTarget) {
      try {
        return Reflect.construct(target, args, newTarget);
      } catch (e) {
        noteDenied(e, runScope.getStore());
        throw e;
      }
    },
  });
}

/**
 * Wraps the `Deno` namespace's functions, class methods (`Deno.Command#spawn`…), `Deno.env`,
 * `fetch` and `WebSocket`, so a refusal the job catches and swallows is still recorded. Node
 * built-ins call Deno's ops directly: their refusals are seen only when they reach the run's
 * error.
 */
function installWatch(): void {
  const deno = scope.Deno;
  for (const key of Object.keys(deno)) {
    if (key === "errors" || key === "permissions" || key === "exit") continue;
    const value = deno[key];
    if (typeof value === "function") {
      const proto = value.prototype;
      if (proto && Object.getOwnPropertyNames(proto).length > 1) {
        for (const name of Object.getOwnPropertyNames(proto)) {
          const d = Object.getOwnPropertyDescriptor(proto, name);
          if (name === "constructor" || !d || typeof d.value !== "function" || !d.writable) {
            continue;
          }
          proto[name] = watch(d.value);
        }
      }
      const own = Object.getOwnPropertyDescriptor(deno, key);
      if (own?.writable) deno[key] = watch(value);
    }
  }
  const env = deno.env;
  if (env) {
    for (const name of ["get", "set", "delete", "has", "toObject"]) {
      if (typeof env[name] === "function") env[name] = watch(env[name].bind(env));
    }
  }
  if (typeof scope.fetch === "function") scope.fetch = watch(scope.fetch);
  if (typeof scope.WebSocket === "function") scope.WebSocket = watch(scope.WebSocket);
}

installWatch();

/**
 * Timer and microtask callbacks remember the run that queued them: when one throws, the error
 * event that follows no longer knows whose code it was.
 */
function installCallbackOwners(): void {
  for (const name of ["setTimeout", "setInterval", "queueMicrotask"]) {
    const original = scope[name];
    if (typeof original !== "function") continue;
    scope[name] = function (cb: unknown, ...rest: unknown[]) {
      const owner = runScope.getStore();
      if (typeof cb !== "function" || owner === undefined) return original(cb, ...rest);
      return original(function (this: unknown, ...args: unknown[]) {
        try {
          return cb.apply(this, args);
        } catch (e) {
          thrownBy = owner;
          throw e;
        }
      }, ...rest);
    };
  }
}

installCallbackOwners();

/** `console.*` of a run goes to that run's log; outside any run, to kron's log (as JSON records). */
function installConsole(): void {
  const levels: [string, LogLevel][] = [
    ["log", "info"],
    ["info", "info"],
    ["debug", "info"],
    ["trace", "info"],
    ["warn", "warn"],
    ["error", "error"],
  ];
  for (const [name, level] of levels) {
    scope.console[name] = (...args: unknown[]) => {
      const text = args.map((a) => typeof a === "string" ? a : scope.Deno.inspect(a)).join(" ");
      const owner = runScope.getStore();
      // A run's lines are message templates (ctx.log.info("sent {n}", { n })): printed text is
      // literal, so its braces are escaped.
      const message = owner ? text.replace(/[{}]/g, (c) => c + c) : text;
      send(["l", owner?.runId ?? null, level, message, undefined]);
    };
  }
}

installConsole();

// Uncaught errors must not end the worker silently (nor print as kron's own): report them,
// with the run whose code raised them when that is known.
function fatal(e: unknown): void {
  const owner = thrownBy ?? runScope.getStore();
  thrownBy = undefined;
  noteDenied(e, owner);
  flush();
  post({
    t: "fatal",
    error: errorData(e),
    denied: [...(owner === undefined ? startDenied : owner.denied ?? [])],
    runId: owner?.runId ?? null,
    job: owner?.job ?? null,
  });
}
scope.addEventListener("error", (e: ErrorEvent) => {
  e.preventDefault();
  fatal(e.error ?? e.message);
});
scope.addEventListener("unhandledrejection", (e: PromiseRejectionEvent) => {
  e.preventDefault();
  fatal(e.reason);
});
// A job calling Deno.exit() or close() would end its worker without a word to the host.
function exited(code: number): void {
  const owner = runScope.getStore();
  flush();
  post({ t: "exit", code, runId: owner?.runId ?? null, job: owner?.job ?? null });
}
scope.Deno.exit = (code?: number) => {
  exited(code ?? 0);
  throw new Error(`the job called Deno.exit(${code ?? ""}); jobs cannot end kron`);
};
scope.close = () => exited(0);

/** Plain data for postMessage: functions and uncloneable objects become markers. */
function toData(value: unknown, depth = 0): unknown {
  if (typeof value === "function") return { __kronFunction: value.name || "function" };
  if (typeof value === "symbol") return { __kronValue: "a symbol" };
  if (value === null || typeof value !== "object" || depth > 20) return value;
  if (Array.isArray(value)) return value.map((v) => toData(v, depth + 1));
  if (value instanceof Date) return value;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toData(v, depth + 1);
    return out;
  }
  try {
    return structuredClone(value);
  } catch {
    return { __kronValue: `an instance of ${proto?.constructor?.name ?? "a class"}` };
  }
}

/** Log fields as plain data (a value that cannot be cloned is shown as text). */
function fieldsData(fields: unknown): Record<string, unknown> | undefined {
  if (fields === undefined || fields === null) return undefined;
  try {
    return structuredClone(fields) as Record<string, unknown>;
  } catch {
    return { fields: String(fields) };
  }
}

// ---------------------------------------------------------------- serving

/**
 * Serves the job module: waits for the host's `init`; in load mode sends its definitions; then
 * runs the runs of each `runs` batch, each with a context like kron's own.
 *
 * @example
 * ```ts ignore
 * import { serve } from "./_sandbox_worker.ts";
 * serve(() => Promise.resolve({ default: { a: { every: "1m", run: () => {} } } }));
 * ```
 */
export function serve(load: () => Promise<Record<string, unknown>>): void {
  scope.onmessage = async (e: MessageEvent) => {
    const msg = e.data as InitMessage;
    if (msg?.t !== "init") return;
    let module: Record<string, unknown>;
    try {
      module = await load();
    } catch (err) {
      // The file could not be imported (syntax, a missing module, a throw at its top level).
      noteDenied(err, undefined);
      flush();
      post({
        t: "fatal",
        error: errorData(err),
        denied: [...startDenied],
        runId: null,
        job: null,
      });
      return;
    }
    start(module, msg);
  };
  post({ t: "booted" });
}

function start(module: Record<string, unknown>, init: InitMessage): void {
  const jobs = module.default;
  if (init.mode === "load") {
    const defs: DefsMessage = {
      t: "defs",
      hasDefault: "default" in module,
      defaultType: isPlainObject(jobs) ? null : typeName(jobs),
      jobs: isPlainObject(jobs) ? Object.entries(jobs).map(([k, v]) => [k, toData(v)]) : [],
      hasSettings: "kron" in module,
      settings: toData(module.kron),
      denied: [...startDenied],
    };
    post(defs);
  }
  const specs = isPlainObject(jobs) ? jobs as Record<string, { run?: unknown }> : {};
  const runs = new Map<string, Running>();
  scope.onmessage = (e: MessageEvent) => {
    const msg = e.data as RunsMessage | AbortMessage;
    if (msg.t === "runs") {
      batches++;
      for (const run of JSON.parse(msg.runs) as RunTuple[]) startRun(specs, runs, run);
      // Acknowledged once the batch's synchronous part is over (a `while (true)` never is).
      armFlush();
    } else if (msg.t === "abort") {
      const run = runs.get(msg.runId);
      if (run) Running.abort(run, new DOMException(msg.reason.message, msg.reason.name));
    }
  };
  post({ t: "ready" });
}

/** A run in flight: its context, and the signal made when the job first asks for it. */
class Running implements RunScope {
  denied: Set<string> | null = null;
  readonly scheduledAt: Date;
  #controller: AbortController | null = null;
  #reason: unknown = undefined;
  #aborted = false;
  #log: Record<LogLevel, (message: string, fields?: Record<string, unknown>) => void> | null = null;

  constructor(
    readonly runId: string,
    readonly job: string,
    readonly attempt: number,
    scheduledAt: number,
    readonly idempotencyKey: string,
  ) {
    this.scheduledAt = new Date(scheduledAt);
  }

  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  // Made on first use: most runs never log.
  get log(): Record<LogLevel, (message: string, fields?: Record<string, unknown>) => void> {
    const line = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) =>
      send(["l", this.runId, level, String(message), fieldsData(fields)]);
    return this.#log ??= { info: line("info"), warn: line("warn"), error: line("error") };
  }

  /** Aborts the run's signal (static: the job sees no `abort` method on its `ctx`). */
  static abort(run: Running, reason: unknown): void {
    if (run.#controller) run.#controller.abort(reason);
    else {
      run.#aborted = true;
      run.#reason = reason;
    }
  }
}

/**
 * Starts a run in its own async context. A job that returns at once ends at once (no promise
 * of ours); one that returns a promise ends when it settles. The run itself is the `ctx` the
 * job gets: `{ job, runId, attempt, scheduledAt, idempotencyKey, signal, log }`.
 */
function startRun(
  specs: Record<string, { run?: unknown }>,
  runs: Map<string, Running>,
  [runId, job, attempt, scheduledAt, idempotencyKey]: RunTuple,
): void {
  const run = new Running(runId, job, attempt, scheduledAt, idempotencyKey);
  runs.set(runId, run);
  let result: unknown;
  try {
    const fn = specs[job]?.run;
    if (typeof fn !== "function") throw new Error(`job "${job}" has no run function`);
    result = runScope.run(run, fn as (ctx: Running) => unknown, run);
  } catch (err) {
    return failed(runs, run, err);
  }
  if (
    result !== null && typeof result === "object" &&
    typeof (result as Promise<unknown>).then === "function"
  ) {
    (result as Promise<unknown>).then(() => ended(runs, run), (err) => failed(runs, run, err));
  } else ended(runs, run);
}

function ended(runs: Map<string, Running>, run: Running): void {
  runs.delete(run.runId);
  // The common end (succeeded, nothing refused) is just the run id.
  send(run.denied ? ["d", run.runId, true, null, [...run.denied]] : run.runId);
}

function failed(runs: Map<string, Running>, run: Running, err: unknown): void {
  runs.delete(run.runId);
  noteDenied(err, run);
  send(["d", run.runId, false, errorData(err), run.denied ? [...run.denied] : null]);
}

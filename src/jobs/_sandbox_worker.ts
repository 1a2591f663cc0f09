/**
 * The bootstrap of a TS job's sandbox worker (sandbox.ts starts it). The worker's root module is
 * a tiny `data:` module that statically imports this file and then the job file, because a
 * worker without read permission may not `import()` a file but may load its root's static
 * graph. Evaluated first, this module installs the guards (uncaught errors, `Deno.exit`,
 * `close()`, the record of denied permissions) before any line of the job file runs.
 *
 * No imports on purpose: a worker starts faster with one small module, and `deno compile`
 * embeds it by the static `new URL("./_sandbox_worker.ts", import.meta.url)` in sandbox.ts.
 *
 * Protocol (structured-clone messages). The root module is the same for every worker of a job
 * file (so Deno prepares its module graph once); the worker says `{ t: "booted" }` and the
 * host answers `{ t: "init", mode, key }`:
 * - load mode: → `{ t: "defs", … }` the default export and `kron` export as data (functions
 *   become `{ __kronFunction: name }` markers), or `{ t: "fatal" }`.
 * - run mode: → `{ t: "ready" }`; ← `{ t: "run", runId, … }` → `{ t: "log" }`…,
 *   `{ t: "done", runId, ok, error, denied }`; ← `{ t: "abort", runId, reason }`.
 * - any time: → `{ t: "fatal", error, denied }` (uncaught error), `{ t: "exit", code }`.
 *
 * @example
 * ```ts ignore
 * // The root module sandbox.ts builds (as a data: URL):
 * import { serve } from "file:///…/src/jobs/_sandbox_worker.ts";
 * import * as job from "file:///srv/jobs.ts";
 * serve(job); // then the host sends { t: "init", mode: "run", key: "digest" }
 * ```
 * @module
 */

/** What {@link serve} is asked to do. */
export interface ServeConfig {
  /** `load`: send the definitions as data and stop; `run`: run one job on request. */
  mode: "load" | "run";
  /** The job (default-export key) a `run` worker runs. */
  key?: string;
}

interface ErrorData {
  name: string;
  message: string;
  stack: string;
}

// deno-lint-ignore no-explicit-any
const scope = globalThis as any;
const post = (msg: unknown) => scope.postMessage(msg);

/** Denied accesses seen since the worker started (`Requires … access to …` messages). */
const denied = new Set<string>();
/** The denials of each run in flight: a refusal is charged to every run running then. */
const active = new Set<Set<string>>();
const DENIED = /Requires (\w+) access to "?([^",]*)"?(?:,|$)/;

/** Notes every permission refusal in `e`, its causes and aggregated errors. */
function noteDenied(e: unknown, depth = 0): void {
  if (depth > 5 || e === null || typeof e !== "object") return;
  const err = e as { message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof err.message === "string") {
    const m = DENIED.exec(err.message);
    if (m) {
      denied.add(`${m[1]}:${m[2]}`);
      for (const run of active) run.add(`${m[1]}:${m[2]}`);
    }
  }
  noteDenied(err.cause, depth + 1);
  if (Array.isArray(err.errors)) { for (const x of err.errors) noteDenied(x, depth + 1); }
}

function errorData(e: unknown): ErrorData {
  if (e instanceof Error) {
    return { name: e.name, message: e.message, stack: e.stack ?? "" };
  }
  return { name: "Error", message: String(e), stack: "" };
}

/** Wraps a function so that permission refusals it throws or rejects with are noted. */
// deno-lint-ignore no-explicit-any
function watch(fn: (...args: any[]) => any): (...args: any[]) => any {
  return new Proxy(fn, {
    apply(target, self, args) {
      try {
        const out = Reflect.apply(target, self, args);
        if (out instanceof Promise) {
          return out.catch((e) => {
            noteDenied(e);
            throw e;
          });
        }
        return out;
      } catch (e) {
        noteDenied(e);
        throw e;
      }
    },
    construct(target, args, newTarget) {
      try {
        return Reflect.construct(target, args, newTarget);
      } catch (e) {
        noteDenied(e);
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

// Uncaught errors must not end the worker silently (nor print as kron's own): report them.
scope.addEventListener("error", (e: ErrorEvent) => {
  e.preventDefault();
  noteDenied(e.error);
  post({ t: "fatal", error: errorData(e.error ?? e.message), denied: [...denied] });
});
scope.addEventListener("unhandledrejection", (e: PromiseRejectionEvent) => {
  e.preventDefault();
  noteDenied(e.reason);
  post({ t: "fatal", error: errorData(e.reason), denied: [...denied] });
});
// A job calling Deno.exit() or close() would end its worker without a word to the host.
scope.Deno.exit = (code?: number) => {
  post({ t: "exit", code: code ?? 0 });
  throw new Error(`the job called Deno.exit(${code ?? ""}); jobs cannot end kron`);
};
scope.close = () => {
  post({ t: "exit", code: 0 });
};

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

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "function") return "a function";
  if (typeof value === "object") return `an instance of ${value.constructor?.name ?? "a class"}`;
  return `a ${typeof value}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

interface RunMessage {
  t: "run";
  runId: string;
  job: string;
  attempt: number;
  scheduledAt: number;
  idempotencyKey: string;
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

/**
 * Serves the job module: waits for the host's `init`, then in load mode sends its definitions,
 * in run mode runs the job named `key` for each `run` message with a context like kron's own.
 *
 * @example
 * ```ts ignore
 * import { serve } from "./_sandbox_worker.ts";
 * serve({ default: { a: { every: "1m", run: () => {} } } });
 * ```
 */
export function serve(module: Record<string, unknown>): void {
  scope.onmessage = (e: MessageEvent) => {
    if (e.data?.t === "init") start(module, e.data as ServeConfig);
  };
  post({ t: "booted" });
}

function start(module: Record<string, unknown>, config: ServeConfig): void {
  if (config.mode === "load") {
    const jobs = module.default;
    post({
      t: "defs",
      hasDefault: "default" in module,
      defaultType: isPlainObject(jobs) ? null : typeName(jobs),
      jobs: isPlainObject(jobs) ? Object.entries(jobs).map(([k, v]) => [k, toData(v)]) : [],
      hasSettings: "kron" in module,
      settings: toData(module.kron),
      denied: [...denied],
    });
    return;
  }
  const spec = (module.default as Record<string, { run?: unknown }> | undefined)?.[config.key!];
  const fn = spec?.run;
  const controllers = new Map<string, AbortController>();
  scope.onmessage = async (e: MessageEvent) => {
    const msg = e.data as RunMessage | { t: "abort"; runId: string; reason: ErrorData };
    if (msg.t === "abort") {
      const reason = new DOMException(msg.reason.message, msg.reason.name);
      controllers.get(msg.runId)?.abort(reason);
      return;
    }
    if (msg.t !== "run") return;
    const ac = new AbortController();
    controllers.set(msg.runId, ac);
    const log = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      post({
        t: "log",
        runId: msg.runId,
        level,
        message: String(message),
        fields: fieldsData(fields),
      });
    const mine = new Set<string>();
    active.add(mine);
    try {
      if (typeof fn !== "function") throw new Error(`job "${config.key}" has no run function`);
      await fn({
        job: msg.job,
        runId: msg.runId,
        attempt: msg.attempt,
        scheduledAt: new Date(msg.scheduledAt),
        idempotencyKey: msg.idempotencyKey,
        signal: ac.signal,
        log: { info: log("info"), warn: log("warn"), error: log("error") },
      });
      post({ t: "done", runId: msg.runId, ok: true, denied: [...mine] });
    } catch (err) {
      noteDenied(err);
      post({ t: "done", runId: msg.runId, ok: false, error: errorData(err), denied: [...mine] });
    } finally {
      controllers.delete(msg.runId);
      active.delete(mine);
    }
  };
  post({ t: "ready" });
}

/**
 * Delivery of a job's hooks (`on_failure`, `on_late`): a command run with the facts in `KRON_*`
 * environment variables, or a JSON POST to an http(s) URL. A hook that fails (exit code not 0,
 * an HTTP status not 2xx, a timeout, a refused connection) is tried again after a backoff
 * while attempts remain; delivery never holds up scheduling (the caller does not await it on
 * the engine's path).
 *
 * @example
 * ```ts
 * import { deliverHook } from "./hooks.ts";
 * const ok = await deliverHook(
 *   { command: ["true"] },
 *   { json: { kind: "late" }, env: { KRON_KIND: "late" } },
 *   { timeoutMs: 5_000 },
 * );
 * ok.delivered; // true
 * ```
 * @module
 */
import { splitCommand } from "./argv.ts";
import { defaultBaseEnv } from "./command.ts";
import type { OnFailure } from "./job_types.ts";
import { sleep } from "../sleep.ts";

/**
 * What a hook is told: the JSON body of a URL hook, the environment of a command hook.
 *
 * @example
 * ```ts
 * import type { HookMessage } from "./hooks.ts";
 * const m: HookMessage = { json: { job: "backup" }, env: { KRON_JOB: "backup" } };
 * ```
 */
export interface HookMessage {
  /** POSTed as `application/json` to a URL hook. */
  json: unknown;
  /** `KRON_*` variables of a command hook (on top of a minimal base environment). */
  env: Record<string, string>;
}

/**
 * How a hook is delivered.
 *
 * @example
 * ```ts
 * import type { HookOptions } from "./hooks.ts";
 * const o: HookOptions = { timeoutMs: 30_000, attempts: 5, retryDelayMs: 1_000 };
 * ```
 */
export interface HookOptions {
  /** How long one attempt may take. */
  timeoutMs: number;
  /** Attempts in all (default 1: no retry). */
  attempts?: number;
  /** Delay before the second attempt; doubles each time (default 1 s). */
  retryDelayMs?: number;
  /** Stops retrying (the runtime is closing). */
  signal?: AbortSignal;
  /** Told each failed attempt (for the log). */
  onAttemptFailed?: (attempt: number, error: string, willRetry: boolean) => void;
}

/**
 * Delivers `message` to `hook`, retrying with backoff. Never throws: resolves whether it was
 * delivered, after how many attempts, and the last error.
 *
 * @example
 * ```ts
 * import { deliverHook } from "./hooks.ts";
 * const r = await deliverHook({ command: "false" }, { json: {}, env: {} }, { timeoutMs: 1_000 });
 * r.delivered; // false
 * ```
 */
export async function deliverHook(
  hook: OnFailure,
  message: HookMessage,
  options: HookOptions,
): Promise<{ delivered: boolean; attempts: number; error: string | null }> {
  const attempts = Math.max(1, options.attempts ?? 1);
  let delay = options.retryDelayMs ?? 1_000;
  let error: string | null = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await deliverOnce(hook, message, options.timeoutMs);
      return { delivered: true, attempts: attempt, error: null };
    } catch (e) {
      error = e instanceof Error && e.name === "TimeoutError"
        ? `timed out after ${options.timeoutMs} ms`
        : (e instanceof Error ? e.message : String(e)).split("\n")[0];
      const willRetry = attempt < attempts && !options.signal?.aborted;
      options.onAttemptFailed?.(attempt, error, willRetry);
      if (!willRetry) return { delivered: false, attempts: attempt, error };
      await sleep(delay, options.signal);
      delay *= 2;
    }
  }
  return { delivered: false, attempts, error };
}

async function deliverOnce(hook: OnFailure, message: HookMessage, timeoutMs: number) {
  if ("url" in hook) {
    const res = await fetch(hook.url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "kron" },
      body: JSON.stringify(message.json),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`${hook.url} answered ${res.status}`);
    return;
  }
  const code = await runHookCommand(hook.command, message.env, timeoutMs);
  if (code !== 0) throw new Error(`hook command exited with ${code}`);
}

/** Runs a hook command with `env` on a minimal base environment; resolves its exit code. */
async function runHookCommand(
  command: string | string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<number> {
  const argv = typeof command === "string" ? splitCommand(command) : command;
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    clearEnv: true,
    env: { ...defaultBaseEnv(), ...env },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  }, timeoutMs);
  try {
    return (await child.status).code;
  } finally {
    clearTimeout(timer);
  }
}

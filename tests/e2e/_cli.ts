// Drives the real CLI in subprocesses: `deno run <the kron task's flags> main.ts …`, with the
// flags read from deno.json (the one place they are written), a temp data dir and NO_COLOR=1.
import { sleep, until as poll } from "../_util/poll.ts";
import { kronTaskFlags } from "../../src/cli/self.ts";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const MAIN = `${ROOT}main.ts`;

/** The deno flags of deno.json's `kron` task. */
export const kronFlags = kronTaskFlags;

export interface Project {
  /** The working directory of the CLI (a temp dir). */
  dir: string;
  /** The data dir passed as KRON_DATA_DIR. */
  dataDir: string;
  write(name: string, text: string): string;
  cleanup(): Promise<void>;
}

/** A temp project directory with its own data dir. */
export function project(): Project {
  // Short path: the data dir's socket must stay under the Unix socket path limit.
  const dir = Deno.makeTempDirSync({ prefix: "kron-e2e-" });
  return {
    dir,
    dataDir: `${dir}/.kron`,
    write(name, text) {
      const path = `${dir}/${name}`;
      Deno.writeTextFileSync(path, text);
      return path;
    },
    async cleanup() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

export interface CliOptions {
  cwd: string;
  /** KRON_DATA_DIR (omit to leave it unset). */
  dataDir?: string;
  env?: Record<string, string>;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function command(args: string[], opts: CliOptions, piped: boolean): Deno.Command {
  const env: Record<string, string> = { NO_COLOR: "1", ...opts.env };
  if (opts.dataDir) env.KRON_DATA_DIR = opts.dataDir;
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...kronFlags(), MAIN, ...args],
    cwd: opts.cwd,
    env,
    stdin: "null",
    stdout: piped ? "piped" : "null",
    stderr: piped ? "piped" : "null",
  });
}

/** Runs one CLI command to completion. */
export async function kron(args: string[], opts: CliOptions): Promise<CliResult> {
  const out = await command(args, opts, true).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A long-running CLI process (`kron run …`) whose output is collected as it comes. */
export class Running {
  readonly child: Deno.ChildProcess;
  stdout = "";
  stderr = "";
  readonly done: Promise<Deno.CommandStatus>;
  #pumps: Promise<void>[];

  constructor(args: string[], opts: CliOptions) {
    this.child = command(args, opts, true).spawn();
    const pump = async (s: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
      const dec = new TextDecoder();
      for await (const chunk of s) this[key] += dec.decode(chunk, { stream: true });
    };
    this.#pumps = [pump(this.child.stdout, "stdout"), pump(this.child.stderr, "stderr")];
    this.done = this.child.status;
  }

  /** Waits until stderr (the log) matches `re`; throws with the output after `timeoutMs`. */
  async waitFor(
    re: RegExp,
    timeoutMs = 15_000,
    stream: "stdout" | "stderr" = "stderr",
  ): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const m = this[stream].match(re);
      if (m) return m;
      let exited = false;
      await Promise.race([this.done.then(() => exited = true), sleep(50)]);
      if (exited) {
        await Promise.all(this.#pumps);
        const again = this[stream].match(re);
        if (again) return again;
        throw new Error(`kron exited before ${re}:\n${this.stdout}\n${this.stderr}`);
      }
    }
    throw new Error(`timed out waiting for ${re}:\n${this.stdout}\n${this.stderr}`);
  }

  /** Sends a signal and waits for the exit; returns the exit code. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<number> {
    try {
      this.child.kill(signal);
    } catch {
      // Already exited.
    }
    const status = await this.done;
    await Promise.all(this.#pumps);
    return status.code;
  }
}

/** Starts `kron run …` and waits until it logs that it is running. */
export async function startRun(args: string[], opts: CliOptions): Promise<Running> {
  const r = new Running(["run", ...args], opts);
  await r.waitFor(/ running \d+ jobs from /);
  return r;
}

export { sleep };

/** Polls `fn` until it returns a truthy value; throws after `timeoutMs`. */
export function until<T>(
  fn: () => Promise<T> | T,
  what: string,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<NonNullable<T>> {
  return poll(fn, what, timeoutMs, everyMs);
}

/** Whether a process is alive (zombies count as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Every file under `dir` with its bytes, for before/after comparisons. */
export function snapshotDir(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (e.isFile) out.set(p, btoa(String.fromCharCode(...Deno.readFileSync(p))));
      else out.set(p, e.isSymlink ? "symlink" : "other");
    }
  };
  walk(dir);
  return out;
}

/** The event log's records (all segments), parsed. */
export function events(dataDir: string): { type: string; [k: string]: unknown }[] {
  const out: { type: string; [k: string]: unknown }[] = [];
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(`${dataDir}/log`)].map((e) => e.name).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    for (const line of Deno.readTextFileSync(`${dataDir}/log/${name}`).split("\n")) {
      if (!line.trim()) continue;
      try {
        const rec = JSON.parse(line);
        out.push(rec.event ?? rec);
      } catch {
        // A torn tail being written.
      }
    }
  }
  return out;
}

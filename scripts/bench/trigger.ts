/**
 * What a trigger costs the thread that starts runs: `POST /v1/jobs/:name/trigger` over the admin
 * socket of `kron run jobs.ts` (the CLI as users start it, its function jobs sandboxed) and of an
 * embedded kron (the load case's app), both with the `kron` task's flags and their API on the front
 * thread, beside `kron.trigger()` called in the library, with and without the API served, in the
 * same run. Each side is a process of its own with the same 100 jobs on a data dir (fsync on); the
 * figure is the CPU time of its main thread (the scheduler's) per trigger, from /proc, one trigger
 * at a time (each waits for its fsync) and eight at once (commits shared). Linux only.
 *
 *   deno run -A scripts/bench/trigger.ts [--triggers 2000] [--rounds 3]
 *
 * Prints a line per round and concurrency, then, one at a time and the median of the rounds:
 * `trigger: cli_us=… socket_us=… library_us=… library_api_us=… ratio=…` (ratio: CLI ÷ library).
 *
 * @module
 */
import { KeepAliveClient } from "../torture/_load_client.ts";
import { kronTaskFlags } from "../../src/cli/self.ts";
import { Kron } from "../../src/kron/mod.ts";

const APP = new URL("../torture/_load_app.ts", import.meta.url).pathname;
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const JOBS = 100;
const name = (i: number) => `load-${String(i % JOBS).padStart(5, "0")}`;

function arg(flag: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${flag}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

/** CPU ms (user + system) of a process's main thread, the scheduler's, from /proc. */
function mainThreadCpuMs(pid: number): number {
  const s = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/stat`);
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 1000 / 100; // clock ticks of 10 ms
}

/** Runs `n` triggers, `concurrency` at once, through `one`. */
async function drive(
  n: number,
  concurrency: number,
  one: (i: number, worker: number) => Promise<void>,
) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    while (next < n) await one(next++, w);
  }));
}

/** Library side (a child process): prints µs of its main thread per trigger. */
async function library(n: number, concurrency: number, api: boolean): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "kron-bench-trigger-" });
  // With the API served (its socket, the front thread fed every event, the metrics) or not.
  const kron = new Kron({ dataDir: `${dir}/.kron`, ...(api ? {} : { admin: false }) });
  for (let i = 0; i < JOBS; i++) kron.schedule(name(i), { every: "10s" }, () => {});
  await kron.start();
  await drive(200, concurrency, async (i) => void await kron.trigger(name(i))); // warm-up
  const c0 = mainThreadCpuMs(Deno.pid);
  await drive(n, concurrency, async (i) => void await kron.trigger(name(i)));
  console.log(((mainThreadCpuMs(Deno.pid) - c0) * 1000 / n).toFixed(0));
  await kron.shutdown();
  Deno.removeSync(dir, { recursive: true });
}

/** A jobs.ts of the same jobs as the other sides, for `kron run`. */
function jobsFile(dir: string): string {
  const lines = [`const run = () => {};`, `export default {`];
  for (let i = 0; i < JOBS; i++) lines.push(`  "${name(i)}": { every: "10s", run },`);
  lines.push(`};`);
  Deno.writeTextFileSync(`${dir}/jobs.ts`, lines.join("\n") + "\n");
  return `${dir}/jobs.ts`;
}

/** Waits until the admin socket answers (the process is up and serving). */
async function serving(socketPath: string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const c = new KeepAliveClient(socketPath);
    try {
      if ((await c.request("GET", "/healthz")).status === 200) return;
    } catch {
      // not listening yet
    } finally {
      c.close();
    }
    if (Date.now() > until) throw new Error(`nothing answers on ${socketPath}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Over the admin socket of a kron process, embedded (the load case's app) or `kron run jobs.ts`:
 * µs of its main thread per trigger.
 */
async function overSocket(
  kind: "embedded" | "cli",
  n: number,
  concurrency: number,
): Promise<number> {
  const dir = Deno.makeTempDirSync({ prefix: "kron-bench-trigger-" });
  const dataDir = `${dir}/.kron`;
  const args = kind === "embedded"
    ? [APP, dataDir, String(JOBS)]
    : [MAIN, "run", jobsFile(dir), "--data-dir", dataDir];
  const app = new Deno.Command(Deno.execPath(), {
    args: ["run", ...kronTaskFlags(), ...args],
    cwd: dir,
    stdout: "null",
    stderr: "inherit",
    env: { NO_COLOR: "1", KRON_LOG_LEVEL: "warning" },
  }).spawn();
  await serving(`${dataDir}/kron.sock`);
  const clients = Array.from(
    { length: concurrency },
    () => new KeepAliveClient(`${dataDir}/kron.sock`),
  );
  const one = async (i: number, w: number) => {
    const a = await clients[w].request("POST", `/v1/jobs/${name(i)}/trigger`);
    if (a.status !== 202) throw new Error(`trigger answered ${a.status}`);
  };
  await drive(200, concurrency, one);
  const c0 = mainThreadCpuMs(app.pid);
  await drive(n, concurrency, one);
  const us = (mainThreadCpuMs(app.pid) - c0) * 1000 / n;
  for (const cl of clients) cl.close();
  app.kill("SIGTERM");
  await app.status;
  Deno.removeSync(dir, { recursive: true });
  return us;
}

async function libraryChild(n: number, concurrency: number, api: boolean): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    // The kron flags but all permissions: a process reads its own /proc only with --allow-all.
    args: [
      "run",
      "--allow-all",
      ...kronTaskFlags().filter((f) => !f.startsWith("--allow-")),
      import.meta.filename!,
      "--library",
      String(n),
      String(concurrency),
      String(api),
    ],
    stdout: "piped",
    stderr: "inherit",
    env: { KRON_LOG_LEVEL: "warning" },
  }).output();
  if (!out.success) throw new Error("the library side failed");
  return Number(new TextDecoder().decode(out.stdout).trim());
}

if (Deno.args[0] === "--library") {
  await library(Number(Deno.args[1]), Number(Deno.args[2]), Deno.args[3] === "true");
} else {
  const n = arg("triggers", 2000);
  const rounds = arg("rounds", 3);
  type Side = "cli" | "socket" | "library" | "libraryApi";
  const sides: Side[] = ["cli", "socket", "library", "libraryApi"];
  const measure = (side: Side, concurrency: number) =>
    side === "cli"
      ? overSocket("cli", n, concurrency)
      : side === "socket"
      ? overSocket("embedded", n, concurrency)
      : libraryChild(n, concurrency, side === "libraryApi");
  const seq: Record<Side, number>[] = [];
  for (let r = 1; r <= rounds; r++) {
    for (const concurrency of [1, 8]) {
      // Rotate which side goes first: the shared machine's drift weighs on all alike.
      const got = { cli: 0, socket: 0, library: 0, libraryApi: 0 };
      for (let k = 0; k < sides.length; k++) {
        const side = sides[(k + r) % sides.length];
        got[side] = await measure(side, concurrency);
      }
      console.log(
        `round ${r}, ${concurrency} at once: scheduler thread per trigger: \`kron run\` ${
          got.cli.toFixed(0)
        } µs, embedded over the socket ${got.socket.toFixed(0)} µs, library ${
          got.library.toFixed(0)
        } µs, library with the API served ${got.libraryApi.toFixed(0)} µs`,
      );
      if (concurrency === 1) seq.push(got);
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[(xs.length - 1) >> 1];
  const [c, s, l, la] = sides.map((k) => median(seq.map((x) => x[k])));
  console.log(
    `trigger: cli_us=${c.toFixed(0)} socket_us=${s.toFixed(0)} library_us=${
      l.toFixed(0)
    } library_api_us=${la.toFixed(0)} ratio=${(c / l).toFixed(2)}`,
  );
}

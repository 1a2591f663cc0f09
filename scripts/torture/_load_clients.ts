/**
 * The load case's API clients, in a process of their own at nice 10: they stand for the
 * dashboards, `kron status` loops and pollers that run on other machines. On this 2-core machine
 * at the same priority as kron's scheduler thread, 200 clients that never pause took a share of
 * its core at every crowded instant, so the run lateness measured the co-located load generator
 * as much as kron (session 9, same code, one run each: lateness with clients 141 ms at nice 0,
 * 31 ms at nice 10). kron's own API threads run at nice 10 too (_thread_priority.ts); the
 * scheduler's thread is the only one at 0.
 *
 * Each client loops over random reads (and a few triggers) while a window with clients is on
 * ({@link Phases}), one request at a time on a keep-alive connection of its own
 * (_load_client.ts). At the end the process prints one JSON line: requests, every latency, by
 * route, kron's own handler time by route (`Server-Timing`), errors by kind, and the CPU seconds
 * the process used.
 *
 * Usage: `deno run --allow-all _load_clients.ts <socket> <jobs>
 * <clients> <seed> <start> <windowMs> <windows> <firstOn>`.
 *
 * @module
 */
import { Phases } from "./load.ts";
import { Rng } from "./_common.ts";
import { KeepAliveClient } from "./_load_client.ts";

/** What the clients measured (see the module's doc). */
export interface SwarmReport {
  requests: number;
  lat: number[];
  byRoute: Map<string, number[]>;
  kronByRoute: Map<string, number[]>;
  errors: Map<string, number>;
  /** CPU seconds the clients' process used. */
  cpu: number;
}

const SELF = new URL(import.meta.url).pathname;

/**
 * Runs `clients` clients against the socket in a process of their own at nice 10 and returns
 * what they measured once every window with clients is over.
 *
 * @example
 * ```ts ignore
 * const r = await clientSwarm("/tmp/x/.kron/kron.sock", 10_000, 200, 42, phases);
 * console.log(r.requests, r.cpu);
 * ```
 */
export async function clientSwarm(
  socket: string,
  jobs: number,
  clients: number,
  seed: number,
  phases: Phases,
): Promise<SwarmReport> {
  const out = await new Deno.Command("nice", {
    args: [
      "-n",
      "10",
      Deno.execPath(),
      "run",
      // All: Deno reads /proc/self (its CPU time) only with every permission.
      "--allow-all",
      SELF,
      socket,
      String(jobs),
      String(clients),
      String(seed),
      ...phases.toArgs(),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || text === "") throw new Error(`the clients' process exited ${out.code}`);
  const r = JSON.parse(text);
  return {
    requests: r.requests,
    lat: r.lat,
    byRoute: new Map(Object.entries(r.byRoute)),
    kronByRoute: new Map(Object.entries(r.kronByRoute)),
    errors: new Map(Object.entries(r.errors)),
    cpu: r.cpu,
  };
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc (NaN elsewhere).
 *
 * @example
 * ```ts
 * import { cpuSeconds } from "./_load_clients.ts";
 * cpuSeconds("self") >= 0 || Number.isNaN(cpuSeconds("self")); // true
 * ```
 */
export function cpuSeconds(pid: number | "self"): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** One client: random read (and a few write) requests in the windows that have clients on. */
async function client(
  socket: string,
  rng: Rng,
  jobs: number,
  phases: Phases,
  r: SwarmReport,
): Promise<void> {
  const http = new KeepAliveClient(socket);
  const name = () => `load-${String(rng.int(0, jobs - 1)).padStart(5, "0")}`;
  const push = (m: Map<string, number[]>, k: string, v: number) =>
    (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  try {
    while (await phases.untilOn()) {
      const x = rng.next();
      const [method, url] = x < 0.35
        ? ["GET", `/v1/jobs?limit=100&cursor=${name()}`]
        : x < 0.6
        ? ["GET", `/v1/jobs/${name()}`]
        : x < 0.8
        ? ["GET", `/v1/jobs/${name()}/runs?limit=5`]
        : x < 0.9
        ? ["GET", "/healthz"]
        : x < 0.99
        ? ["GET", "/v1/jobs?limit=1000"]
        : ["POST", `/v1/jobs/${name()}/trigger`];
      const t0 = performance.now();
      const route = `${method} ${url.replace(/load-\d+/, ":job").replace(/\?.*/, "")}`;
      try {
        const res = await http.request(method, url);
        // The front's handler time (Server-Timing): from its handler's start to the answer's
        // head. Not in it: queueing here, in the socket and in the front's event loop before the
        // handler, and the writing of the body.
        if (res.serverTiming !== null) push(r.kronByRoute, route, res.serverTiming);
        // 409: a trigger refused while that job is running (overlap = "skip"): correct.
        if (res.status >= 400 && res.status !== 409) {
          const k = `${method} ${
            url.replace(/load-\d+/, ":job").replace(/cursor=[^&]*/, "cursor=")
          } ${res.status}`;
          r.errors.set(k, (r.errors.get(k) ?? 0) + 1);
        }
      } catch (e) {
        const k = `${method} ${(e as Error).name}`;
        r.errors.set(k, (r.errors.get(k) ?? 0) + 1);
      }
      const ms = performance.now() - t0;
      r.lat.push(ms);
      push(r.byRoute, route, ms);
      r.requests++;
    }
  } finally {
    http.close();
  }
}

if (import.meta.main) {
  const [socket, jobs, clients, seed, ...rest] = Deno.args;
  const phases = Phases.fromArgs(rest);
  const rng = new Rng(Number(seed));
  const r: SwarmReport = {
    requests: 0,
    lat: [],
    byRoute: new Map(),
    kronByRoute: new Map(),
    errors: new Map(),
    cpu: 0,
  };
  const cpuAt = cpuSeconds("self");
  await Promise.all(
    Array.from(
      { length: Number(clients) },
      () => client(socket, rng.fork(), Number(jobs), phases, r),
    ),
  );
  r.cpu = cpuSeconds("self") - cpuAt;
  console.log(JSON.stringify({
    ...r,
    byRoute: Object.fromEntries(r.byRoute),
    kronByRoute: Object.fromEntries(r.kronByRoute),
    errors: Object.fromEntries(r.errors),
  }));
}

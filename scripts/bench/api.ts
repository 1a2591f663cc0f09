/**
 * Admin API benchmark: requests/s and latency of `GET /v1/jobs` (default page of 100, 1,000
 * jobs defined and firing meanwhile) over the Unix socket, next to a bare `Deno.serve` on a
 * Unix socket answering the same bytes (the floor: what any handler on this runtime costs).
 * Target: ≥ 0.7× the floor's requests/s.
 *
 *   deno run -A scripts/bench/api.ts [--jobs 1000] [--every 10s] [--seconds 5] [--concurrency 16] [--json]
 *
 * The load comes from a separate process (this script with `--client`), so the client's work
 * does not compete with the server's event loop. Each connection runs requests back to back
 * on its own keep-alive HTTP/1.1 connection.
 */
import { Kron } from "../../src/kron/mod.ts";

function arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

interface ClientResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  bytes: number;
}

/** Client mode: hammer `GET <path>` on the socket for `seconds` with `concurrency` connections. */
async function client(
  socket: string,
  path: string,
  seconds: number,
  concurrency: number,
): Promise<ClientResult> {
  const latencies: number[] = [];
  let bytes = 0;
  const clients = Array.from(
    { length: concurrency },
    () => Deno.createHttpClient({ proxy: { transport: "unix", path: socket } }),
  );
  // Warm-up: open every connection and let the JIT settle.
  const warmEnd = performance.now() + 500;
  await Promise.all(clients.map(async (c) => {
    while (performance.now() < warmEnd) {
      await (await fetch(`http://localhost${path}`, { client: c })).arrayBuffer();
    }
  }));
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(clients.map(async (c) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const res = await fetch(`http://localhost${path}`, { client: c });
      bytes = (await res.arrayBuffer()).byteLength;
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      latencies.push(performance.now() - t0);
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  for (const c of clients) c.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    bytes,
  };
}

async function load(
  socket: string,
  path: string,
  seconds: number,
  concurrency: number,
): Promise<ClientResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--client",
      socket,
      "--path",
      path,
      "--seconds",
      String(seconds),
      "--concurrency",
      String(concurrency),
    ],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("load client failed");
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

if (Deno.args.includes("--client")) {
  const r = await client(
    arg("client", ""),
    arg("path", "/v1/jobs"),
    Number(arg("seconds", "5")),
    Number(arg("concurrency", "16")),
  );
  console.log(JSON.stringify(r));
  Deno.exit(0);
}

const jobs = Number(arg("jobs", "1000"));
const every = arg("every", "10s");
const seconds = Number(arg("seconds", "5"));
const concurrency = Number(arg("concurrency", "16"));
const asJson = Deno.args.includes("--json");

const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "kron-bench-api-" });
const kron = new Kron({ dataDir: `${dir}/data`, durability: "batch" });
let fired = 0;
for (let i = 0; i < jobs; i++) {
  kron.schedule(`job-${String(i).padStart(5, "0")}`, {
    every,
    startAt: new Date(Date.now() + 1000 + (i * 10_000) / jobs),
  }, () => {
    fired++;
  });
}
await kron.start(); // serves the admin API on <dataDir>/kron.sock
const socket = kron.admin!.socketPath!;

// The floor: the same response bytes from a bare Deno.serve on another socket.
const probe = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
const sample = await fetch("http://localhost/v1/jobs", { client: probe });
const body = new Uint8Array(await sample.arrayBuffer());
const contentType = sample.headers.get("content-type")!;
probe.close();
const floorSocket = `${dir}/floor.sock`;
const floor = Deno.serve(
  { path: floorSocket, onListen() {} },
  () => new Response(body, { headers: { "content-type": contentType } }),
);

const floorResult = await load(floorSocket, "/v1/jobs", seconds, concurrency);
await floor.shutdown();
const firedBefore = fired;
const kronResult = await load(socket, "/v1/jobs", seconds, concurrency);
const firedDuring = fired - firedBefore;

await kron.shutdown({ timeout: "1s" });
await Deno.remove(dir, { recursive: true });

const ratio = kronResult.rps / floorResult.rps;
const report = {
  jobs,
  every,
  concurrency,
  seconds,
  responseBytes: body.length,
  floor: floorResult,
  kron: kronResult,
  ratio,
  runsFiredDuringLoad: firedDuring,
  target: 0.7,
  pass: ratio >= 0.7,
};
if (asJson) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const row = (name: string, r: ClientResult) =>
    `${name.padEnd(22)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${
      r.p50Ms.toFixed(2).padStart(6)
    } ms   p99 ${r.p99Ms.toFixed(2).padStart(6)} ms`;
  console.log(
    `GET /v1/jobs (page of 100 of ${jobs} jobs, ${body.length} bytes), ${concurrency} connections, ${seconds}s over the Unix socket`,
  );
  console.log(row("bare Deno.serve (floor)", floorResult));
  console.log(row("kron admin API", kronResult));
  console.log(
    `ratio ${ratio.toFixed(2)}× the floor (target ≥ 0.70): ${
      ratio >= 0.7 ? "ok" : "BELOW TARGET"
    }; ${firedDuring} runs fired during the load`,
  );
}

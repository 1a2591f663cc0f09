/**
 * Hostile input, fuzzed and seeded: cron strings, durations, TOML job files, TS job definitions
 * (as data objects through the validator), job names, API requests (methods, paths, query
 * strings, bodies, headers), SSE `Last-Event-ID`, and raw bytes on the admin socket of the real
 * CLI. Every case must end in a clear error (a `KronError`, one line; a 4xx with the JSON error
 * shape) or correct handling: no other exception, no 5xx, no hang (a watchdog for synchronous
 * targets, timeouts for requests), no file written outside the data dir.
 *
 * @module
 */
import { Kron } from "../../src/kron/mod.ts";
import { AdminClient, createAdminApp } from "../../src/api/mod.ts";
import {
  type CaseContext,
  KronProcess,
  listTree,
  type Result,
  type Rng,
  sleep,
  type TortureCase,
  withTimeout,
} from "./_common.ts";
import {
  deepJson,
  hostileDuration,
  hostileName,
  hostileString,
  hostileValue,
  mutate,
} from "./_fuzz.ts";
import type { FuzzReport, FuzzRequest } from "./_fuzz_worker.ts";

const WORKER = new URL("./_fuzz_worker.ts", import.meta.url).href;
const CATEGORIES: FuzzRequest["category"][] = ["cron", "duration", "toml", "tsdefs", "names"];

/** Runs one synchronous category in a worker; a case that stalls for 15 s is a hang. */
async function inWorker(
  category: FuzzRequest["category"],
  seed: number,
  n: number,
  result: Result,
): Promise<FuzzReport> {
  const total: FuzzReport = {
    cases: 0,
    accepted: 0,
    refused: 0,
    failures: [],
    maxMs: 0,
    maxMessage: 0,
  };
  let from = 0;
  while (from <= n) {
    const w = new Worker(WORKER, { type: "module" });
    let last = { i: from, input: "" };
    let lastAt = Date.now();
    let watchdog: ReturnType<typeof setInterval> | undefined;
    const done = new Promise<FuzzReport | null>((resolve) => {
      w.onmessage = (e) => {
        lastAt = Date.now();
        if (e.data.kind === "case") last = e.data;
        else resolve(e.data.report);
      };
      w.onerror = (e) => {
        e.preventDefault();
        result.fail(`${category}: the worker died at case ${last.i} (${last.input}): ${e.message}`);
        resolve(null);
      };
      watchdog = setInterval(() => {
        if (Date.now() - lastAt > 15_000) resolve(null);
      }, 500);
    });
    w.postMessage({ category, seed, n, from } satisfies FuzzRequest);
    const report = await done;
    clearInterval(watchdog);
    w.terminate();
    if (report) {
      total.cases += report.cases;
      total.accepted += report.accepted;
      total.refused += report.refused;
      total.failures.push(...report.failures);
      total.maxMs = Math.max(total.maxMs, report.maxMs);
      total.maxMessage = Math.max(total.maxMessage, report.maxMessage);
      break;
    }
    result.fail(`${category}: hang (no progress for 15 s) at case ${last.i}: ${last.input}`);
    // Skip the case that hung and go on with the rest.
    from = last.i + 1;
  }
  return total;
}

interface ApiRig {
  kron: Kron;
  app: ReturnType<typeof createAdminApp>;
  dataDir: string;
  abort: AbortController;
}

async function apiRig(dir: string): Promise<ApiRig> {
  const dataDir = `${dir}/.kron`;
  const kron = new Kron({ dataDir });
  kron.schedule("alpha", { every: "1s" }, () => {});
  kron.schedule("beta.2", { cron: "*/5 * * * * *", timezone: "Europe/Rome" }, () => {});
  kron.schedule(
    "slow-skip",
    { every: "2s", overlap: "skip" },
    () => new Promise((r) => setTimeout(r, 1500)),
  );
  kron.schedule("a..b", { every: "3s", retries: 1, retryDelay: "100ms" }, () => {
    throw new Error("fails");
  });
  await kron.start();
  const abort = new AbortController();
  const app = createAdminApp(kron, {
    tcp: false,
    dataDir,
    version: "fuzz",
    reload: () => Promise.resolve({ added: [], changed: [], removed: [] }),
    signal: abort.signal,
    heartbeatMs: 500,
  });
  return { kron, app, dataDir, abort };
}

/** encodeURIComponent that survives lone surrogates (they become U+FFFD). */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "\ufffd"));
  }
}

const NAMES = ["alpha", "beta.2", "slow-skip", "a..b", "nope"];
const PATHS = [
  "/v1/jobs",
  "/v1/jobs/{name}",
  "/v1/jobs/{name}/runs",
  "/v1/jobs/{name}/trigger",
  "/v1/jobs/{name}/pause",
  "/v1/jobs/{name}/resume",
  "/v1/runs/{id}",
  "/v1/runs/{id}/log",
  "/v1/events",
  "/v1/reload",
  "/v1/compact",
  "/healthz",
  "/metrics",
  "/",
  "/jobs/{name}",
  "/login",
  "/logout",
  "/{name}",
];

function hostileRequest(
  rng: Rng,
  runIds: string[],
): { method: string; url: string; init: RequestInit } {
  const seg = () => {
    const name = rng.chance(0.7) ? rng.pick(NAMES) : hostileName(rng);
    return rng.chance(0.8) ? enc(name) : name.replace(/[?#]/g, "");
  };
  const id = () => rng.chance(0.5) && runIds.length ? rng.pick(runIds) : enc(hostileString(rng));
  let path = rng.chance(0.9) ? rng.pick(PATHS) : `/${enc(hostileString(rng))}`;
  path = path.replace("{name}", seg).replace("{id}", id);
  // Mostly the method the route takes, so requests get past routing into the handlers.
  const post = /\/(trigger|pause|resume|reload|compact|logout)$/.test(path);
  const method = rng.chance(0.8)
    ? (post ? "POST" : /^\/v1\/jobs\/[^/]+$/.test(path) && rng.chance(0.2) ? "DELETE" : "GET")
    : rng.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]);
  const q: string[] = [];
  if (rng.chance(0.5)) {
    const keys = ["limit", "cursor", "lastEventId", "for", "token", hostileString(rng, 1)];
    const k = rng.int(1, 3);
    for (let i = 0; i < k; i++) {
      const v = rng.chance(0.5)
        ? String(rng.pick([-1, 0, 1, 20, 1000, 1001, 1e9, 1.5, NaN]))
        : hostileString(rng);
      q.push(`${enc(rng.pick(keys))}=${enc(v)}`);
    }
  }
  const headers: Record<string, string> = {};
  if (rng.chance(0.7)) {
    headers["content-type"] = rng.pick([
      "application/json",
      "application/json; charset=utf-8",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/jsonx",
      "",
    ]);
  }
  if (rng.chance(0.08)) {
    headers["sec-fetch-site"] = rng.pick(["cross-site", "same-site", "same-origin", "none"]);
  }
  if (rng.chance(0.08)) {
    headers["origin"] = rng.pick(["http://evil.example", "http://localhost", "null"]);
  }
  if (rng.chance(0.1)) headers["cookie"] = `kron_session=${enc(hostileString(rng))}`;
  let body: string | undefined;
  if (method !== "GET" && method !== "HEAD" && rng.chance(0.8)) {
    const r = rng.next();
    if (r < 0.3) {
      body = JSON.stringify(
        rng.pick([{}, { for: hostileDuration(rng) }, { until: hostileValue(rng) }, {
          for: "1h",
          until: "2030-01-01T00:00:00Z",
        }]),
      );
    } else if (r < 0.5) body = JSON.stringify(hostileValue(rng, 3)) ?? "null";
    else if (r < 0.65) body = mutate(rng, '{"for":"24h"}');
    else if (r < 0.7) body = "x".repeat(rng.int(60_000, 80_000));
    else if (r < 0.75) body = deepJson(rng);
    else if (r < 0.8) body = "";
    else body = hostileString(rng);
  }
  return {
    method,
    url: `http://kron${path}${q.length ? `?${q.join("&")}` : ""}`,
    init: { method, headers, body },
  };
}

async function apiFuzz(
  ctx: CaseContext,
  result: Result,
  rig: ApiRig,
  n: number,
): Promise<Record<string, number>> {
  const rng = ctx.rng.fork();
  const statuses: Record<string, number> = {};
  const runIds: string[] = [];
  let clientRefused = 0;
  for (let i = 0; i < n; i++) {
    const { method, url, init } = hostileRequest(rng, runIds);
    let req: Request;
    try {
      req = new Request(url, init);
    } catch {
      clientRefused++; // not even expressible as an HTTP request
      continue;
    }
    result.count();
    const what = `${method} ${url.slice(0, 200)}${
      init.body ? ` body ${String(init.body).slice(0, 80)}` : ""
    }`;
    try {
      const res = await withTimeout(Promise.resolve(rig.app.fetch(req)), 10_000, what);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
        await res.body?.cancel();
        continue;
      }
      const text = await withTimeout(res.text(), 10_000, `${what} (body)`);
      if (
        res.status >= 500 &&
        !(res.status === 503 && /"code":"(io|not_started|shut_down)"/.test(text))
      ) {
        result.fail(`${what} → ${res.status} ${text.slice(0, 300)}`);
      } else if (res.status >= 400 && method !== "HEAD") {
        let ok = false;
        try {
          const j = JSON.parse(text);
          ok = typeof j?.error?.code === "string" && typeof j?.error?.message === "string";
        } catch {
          ok = res.status === 404 && /^text\/html/.test(res.headers.get("content-type") ?? "");
        }
        if (!ok) {
          result.fail(
            `${what} → ${res.status} without the JSON error shape: ${text.slice(0, 200)}`,
          );
        }
      } else if (res.status === 202) {
        const j = JSON.parse(text);
        if (j.runId) runIds.push(j.runId);
      }
    } catch (e) {
      result.fail(`${what}: ${e instanceof Error ? e.message : e}`);
    }
  }
  statuses["client-refused"] = clientRefused;
  return statuses;
}

async function sseFuzz(
  ctx: CaseContext,
  result: Result,
  rig: ApiRig,
  n: number,
): Promise<Record<string, number>> {
  const rng = ctx.rng.fork();
  const statuses: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const v = rng.chance(0.4)
      ? String(rng.pick([-1, 0, 1, 5, 2 ** 31, 2 ** 53, 1e21, 1.5, -0]))
      : rng.chance(0.3)
      ? mutate(rng, String(rng.int(0, 500)))
      : hostileString(rng);
    const inQuery = rng.chance(0.3);
    let req: Request;
    try {
      req = inQuery
        ? new Request(`http://kron/v1/events?lastEventId=${enc(v)}`)
        : new Request("http://kron/v1/events", { headers: { "last-event-id": v } });
    } catch {
      statuses["client-refused"] = (statuses["client-refused"] ?? 0) + 1;
      continue;
    }
    result.count();
    const what = `GET /v1/events with Last-Event-ID ${JSON.stringify(v.slice(0, 100))}${
      inQuery ? " (query)" : ""
    }`;
    try {
      const res = await withTimeout(Promise.resolve(rig.app.fetch(req)), 10_000, what);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status === 200) {
        // The first bytes (a replay, a gap, or the live tail) must come without hanging.
        const reader = res.body!.getReader();
        const first = await withTimeout(reader.read(), 10_000, `${what} (first bytes)`);
        if (first.done) result.fail(`${what}: the stream ended at once`);
        await reader.cancel();
      } else {
        const text = await res.text();
        if (res.status !== 400) result.fail(`${what} → ${res.status} ${text.slice(0, 200)}`);
      }
    } catch (e) {
      result.fail(`${what}: ${e instanceof Error ? e.message : e}`);
    }
  }
  return statuses;
}

/** Raw bytes and malformed HTTP on the real CLI's socket: it must answer or close, and live on. */
async function socketFuzz(ctx: CaseContext, result: Result, n: number): Promise<number> {
  const rng = ctx.rng.fork();
  const dir = `${ctx.tmp}/sock`;
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(
    `${dir}/jobs.toml`,
    `[[job]]\nname = "tick"\nevery = "500ms"\ncommand = ["true"]\n`,
  );
  const dataDir = `${dir}/.kron`;
  const p = new KronProcess(["run", "jobs.toml", "--allow-run"], { cwd: dir, dataDir });
  await p.waitFor(/ running \d+ jobs from /, 60_000);
  const path = `${dataDir}/kron.sock`;
  const raws = [
    () => `GET /v1/jobs/${hostileName(rng).replace(/[\r\n ]/g, "")} HTTP/1.1\r\nHost: kron\r\n\r\n`,
    () => `GET /../../../etc/passwd HTTP/1.1\r\nHost: kron\r\n\r\n`,
    () => `${hostileString(rng)}\r\n\r\n`,
    () =>
      `POST /v1/jobs/tick/pause HTTP/1.1\r\nHost: kron\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
    () => `POST /v1/reload HTTP/1.1\r\nHost: kron\r\nContent-Length: 999999\r\n\r\n{`,
    () => `GET / HTTP/1.1\r\n${"X-A: " + "a".repeat(rng.int(1, 200_000))}\r\n\r\n`,
    () =>
      `GET /v1/events HTTP/1.1\r\nHost: kron\r\nLast-Event-ID: ${
        hostileString(rng).replace(/[\r\n]/g, "")
      }\r\n\r\n`,
    () => "GET / HTTP/1.1\r\n" + "X: y\r\n".repeat(rng.int(100, 5000)) + "\r\n",
    () => `GET /healthz HTTP/0.9\r\n\r\n`,
    () => String.fromCharCode(...Array.from({ length: rng.int(1, 2000) }, () => rng.int(0, 255))),
    () =>
      `POST /v1/jobs/tick/trigger HTTP/1.1\r\nHost: kron\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n`,
  ];
  let answered = 0;
  try {
    for (let i = 0; i < n; i++) {
      result.count();
      const text = rng.pick(raws)();
      try {
        const conn = await Deno.connect({ transport: "unix", path });
        try {
          await withTimeout(conn.write(new TextEncoder().encode(text)), 5000, "write").catch(
            () => {},
          );
          const buf = new Uint8Array(4096);
          const r = await Promise.race([
            conn.read(buf).catch(() => null),
            sleep(1000).then(() => "timeout"),
          ]);
          if (typeof r === "number" && r > 0) answered++;
        } finally {
          try {
            conn.close();
          } catch {
            // closed by the server
          }
        }
      } catch (e) {
        result.fail(`socket request ${i} could not connect: ${e instanceof Error ? e.message : e}`);
        break;
      }
    }
    // Still alive, still healthy, no uncaught error in its log.
    const c = await AdminClient.connect(dataDir);
    const h = c ? await c.health() : null;
    c?.close();
    result.check(h?.status === "ok", `after the socket fuzz, healthz says ${JSON.stringify(h)}`);
    result.check(!p.exited, "kron died during the socket fuzz");
  } finally {
    await p.stop();
  }
  result.check(
    !/Uncaught|panicked|RUST_BACKTRACE/.test(p.stderr),
    `kron's log shows a crash: ${p.stderr.slice(-500)}`,
  );
  return answered;
}

function outsideListing(tmp: string): Set<string> {
  const all = listTree(tmp);
  for (const e of Deno.readDirSync(Deno.cwd())) all.add(`cwd:${e.name}`);
  // Inside a data dir is allowed; so is the harness' own "sock" project dir with its job file.
  return new Set([...all].filter((p) => !p.includes("/.kron")));
}

/** The case. */
export const hostile_input: TortureCase = {
  name: "hostile_input",
  title:
    "fuzzed cron, durations, TOML, TS definitions, names, API requests, SSE ids, raw socket bytes",
  async run(ctx: CaseContext, result: Result): Promise<void> {
    const n = ctx.quick ? 1_000 : 10_000;
    const before = outsideListing(ctx.tmp);
    for (const category of CATEGORIES) {
      const t0 = performance.now();
      const r = await inWorker(category, ctx.rng.u32(), n, result);
      result.count(r.cases);
      for (const f of r.failures.slice(0, 8)) result.fail(`${category}: ${f}`);
      for (let k = 8; k < r.failures.length; k++) result.failures++;
      result.figure(
        category,
        `${r.cases} (${r.accepted} ok/${r.refused} refused, max ${Math.round(r.maxMs)} ms, ${
          Math.round((performance.now() - t0) / 1000)
        } s)`,
      );
    }
    const rig = await apiRig(`${ctx.tmp}/api`);
    try {
      const t0 = performance.now();
      const api = await apiFuzz(ctx, result, rig, n);
      result.figure(
        "api",
        `${n} (${Object.entries(api).map(([k, v]) => `${k}:${v}`).join(" ")}, ${
          Math.round((performance.now() - t0) / 1000)
        } s)`,
      );
      const t1 = performance.now();
      const sse = await sseFuzz(ctx, result, rig, n);
      result.figure(
        "sse ids",
        `${n} (${Object.entries(sse).map(([k, v]) => `${k}:${v}`).join(" ")}, ${
          Math.round((performance.now() - t1) / 1000)
        } s)`,
      );
    } finally {
      rig.abort.abort();
      await rig.kron.shutdown({ timeout: "2s" }).catch((e) =>
        result.fail(`shutdown after the API fuzz: ${e}`)
      );
    }
    const answered = await socketFuzz(ctx, result, ctx.quick ? 60 : 400);
    result.figure("raw socket", `${ctx.quick ? 60 : 400} (${answered} answered)`);
    const after = outsideListing(ctx.tmp);
    const created = [...after].filter((p) =>
      !before.has(p) && !p.startsWith(`${ctx.tmp}/api`) && !p.startsWith(`${ctx.tmp}/sock`)
    );
    result.count();
    result.check(
      created.length === 0,
      `files written outside the data dir: ${created.slice(0, 5).join(", ")}`,
    );
    // Nothing in the rig dirs but the job file and the data dir.
    const stray = [...listTree(`${ctx.tmp}/api`), ...listTree(`${ctx.tmp}/sock`)].filter((p) =>
      !p.includes("/.kron") && !p.endsWith("/jobs.toml")
    );
    result.check(
      stray.length === 0,
      `files written next to the data dir: ${stray.slice(0, 5).join(", ")}`,
    );
  },
};

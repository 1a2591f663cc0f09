/**
 * Access: who can reach kron and what leaks. Through the real CLI with `--http` on loopback:
 *
 * - the socket is mode 0600 inside a 0700 data dir; the token file is 0600;
 * - over TCP, every route without a token, with a wrong token, a forged session cookie or a
 *   token in the query string answers 401 with one fixed body that names nothing (no job, no
 *   route); `/healthz` says only its status; the right token works;
 * - a command job's argv never goes through a shell unless `shell = true` (shell syntax in argv
 *   and in a string command stays literal; the shell job is the positive control);
 * - a canary secret in a job's `env` appears nowhere: not in the data dir (log, snapshot, run
 *   logs), kron's own log, the API (JSON, metrics, SSE), the dashboard, or the CLI's output.
 *
 * @module
 */
import { AdminClient } from "../../src/api/mod.ts";
import {
  type CaseContext,
  kronCli,
  KronProcess,
  type Result,
  sleep,
  type TortureCase,
  until,
} from "./_common.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Every file under `dir`, as text (binary bytes decoded leniently). */
function allText(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (e.isFile) out.set(p, new TextDecoder().decode(Deno.readFileSync(p)));
    }
  };
  walk(dir);
  return out;
}

/** The case. */
export const access: TortureCase = {
  name: "access",
  title: "socket and token modes, 401 without/with a wrong token, no shell, no secret leaks",
  async run(ctx: CaseContext, result: Result): Promise<void> {
    const rng = ctx.rng;
    const canary = `canary-${rng.u32().toString(16)}${rng.u32().toString(16)}-secret`;
    const dir = ctx.tmp;
    const dataDir = `${dir}/.kron`;
    Deno.writeTextFileSync(
      `${dir}/jobs.toml`,
      [
        `[[job]]\nname = "secretive"\nevery = "300ms"\ncommand = ["sh", "-c", "test -n \\"$API_KEY\\""]\n` +
        `env = { API_KEY = "${canary}", OTHER = "x" }\n`,
        `[[job]]\nname = "failing-secretive"\nevery = "500ms"\ncommand = ["sh", "-c", "exit 3"]\n` +
        `env = { DB_PASSWORD = "${canary}" }\nretries = 1\nretry_delay = "50ms"\n`,
        // Shell syntax in argv and in a string command must stay literal.
        `[[job]]\nname = "argv"\nafter = "100ms"\ncommand = ["echo", "$(touch ${dir}/PWNED1)", "; touch ${dir}/PWNED2", "\`touch ${dir}/PWNED3\`", "|", "touch", "${dir}/PWNED4"]\n`,
        `[[job]]\nname = "string"\nafter = "100ms"\ncommand = "echo $(touch ${dir}/PWNED5) ; touch ${dir}/PWNED6 && touch ${dir}/PWNED7"\n`,
        `[[job]]\nname = "shell"\nafter = "100ms"\nshell = true\ncommand = "touch ${dir}/SHELL_OK"\n`,
      ].join("\n"),
    );
    const port = freePort();
    const p = new KronProcess(["run", "jobs.toml", "--allow-run", "--http", `127.0.0.1:${port}`], {
      cwd: dir,
      dataDir,
    });
    await p.waitFor(/ running \d+ jobs from /, 60_000);
    const base = `http://127.0.0.1:${port}`;
    const outputs: [string, string][] = [];
    try {
      // Modes.
      result.count(3);
      const sock = Deno.statSync(`${dataDir}/kron.sock`).mode! & 0o777;
      const dmode = Deno.statSync(dataDir).mode! & 0o777;
      const tmode = Deno.statSync(`${dataDir}/admin.token`).mode! & 0o777;
      result.check(sock === 0o600, `kron.sock mode ${sock.toString(8)}`);
      result.check(dmode === 0o700, `data dir mode ${dmode.toString(8)}`);
      result.check(tmode === 0o600, `admin.token mode ${tmode.toString(8)}`);
      const token = Deno.readTextFileSync(`${dataDir}/admin.token`).trim();
      result.check(/^[0-9a-f]{64}$/.test(token), "admin.token is not 64 hex characters");

      // Let the jobs run a few times (secrets in use, runs failing, retries).
      await until(() => Deno.statSync(`${dir}/SHELL_OK`), "the shell job", 15_000).catch(() =>
        null
      );
      await sleep(1500);

      // TCP without / with a wrong token.
      const routes: [string, string][] = [
        ["GET", "/v1/jobs"],
        ["GET", "/v1/jobs/secretive"],
        ["GET", "/v1/jobs/secretive/runs"],
        ["GET", "/v1/jobs/nope"],
        ["GET", "/v1/runs/01JX0000000000000000000000"],
        ["GET", "/v1/events"],
        ["GET", "/metrics"],
        ["GET", "/"],
        ["GET", "/jobs/secretive"],
        ["GET", "/no/such/route"],
        ["POST", "/v1/jobs/secretive/trigger"],
        ["POST", "/v1/jobs/secretive/pause"],
        ["POST", "/v1/reload"],
        ["POST", "/v1/compact"],
        ["DELETE", "/v1/jobs/secretive"],
      ];
      const bodies = new Set<string>();
      const wrong = token.slice(0, 63) + (token[63] === "0" ? "1" : "0");
      const variants: [string, Record<string, string>, string][] = [
        ["no token", {}, ""],
        ["wrong token", { authorization: `Bearer ${wrong}` }, ""],
        ["empty bearer", { authorization: "Bearer " }, ""],
        ["basic auth", { authorization: `Basic ${btoa(`kron:${token}`)}` }, ""],
        [
          "forged cookie",
          { cookie: `kron_session=${Date.now() + 3_600_000}.${"0".repeat(64)}` },
          "",
        ],
        ["token in query", {}, `?token=${token}`],
      ];
      for (const [label, headers, query] of variants) {
        for (const [method, path] of routes) {
          result.count();
          const res = await fetch(`${base}${path}${query}`, {
            method,
            headers: { ...headers, "content-type": "application/json" },
            body: method === "GET" ? undefined : "{}",
            redirect: "manual",
          });
          const text = await res.text();
          // The dashboard may send browsers to its login page; nothing else.
          const loginRedirect = res.status >= 300 && res.status < 400 &&
            (res.headers.get("location") ?? "").startsWith("/login");
          result.check(
            res.status === 401 || (loginRedirect && method === "GET"),
            `${label} ${method} ${path}: ${res.status}`,
          );
          if (res.status === 401) bodies.add(text);
          result.check(
            !/secretive|argv|shell|canary/.test(text),
            `${label} ${method} ${path}: the 401 body names something: ${text.slice(0, 200)}`,
          );
        }
      }
      result.check(bodies.size === 1, `401 bodies differ between routes (${bodies.size} variants)`);
      const hz = await fetch(`${base}/healthz`);
      const hzText = await hz.text();
      result.count();
      result.check(
        hz.status === 200 && hzText === '{"status":"ok"}',
        `healthz says ${hz.status} ${hzText}`,
      );
      // The right token works.
      result.count();
      const ok = await fetch(`${base}/v1/jobs`, { headers: { authorization: `Bearer ${token}` } });
      const okText = await ok.text();
      result.check(ok.status === 200 && okText.includes("secretive"), `right token: ${ok.status}`);

      // No shell unless shell = true.
      result.count(7);
      for (let i = 1; i <= 7; i++) {
        let made = true;
        try {
          Deno.statSync(`${dir}/PWNED${i}`);
        } catch {
          made = false;
        }
        result.check(!made, `shell syntax in a non-shell command ran (PWNED${i} exists)`);
      }
      result.count();
      result.check(
        (() => {
          try {
            return Deno.statSync(`${dir}/SHELL_OK`).isFile;
          } catch {
            return false;
          }
        })(),
        "the shell = true job did not run (positive control)",
      );

      // Collect every output the outside world can see, then grep for the canary.
      const auth = { authorization: `Bearer ${token}` };
      for (
        const path of [
          "/v1/jobs",
          "/v1/jobs/secretive",
          "/v1/jobs/failing-secretive",
          "/v1/jobs/secretive/runs?limit=1000",
          "/v1/jobs/failing-secretive/runs?limit=1000",
          "/metrics",
          "/",
          "/jobs/secretive",
          "/jobs/failing-secretive",
        ]
      ) {
        const r = await fetch(`${base}${path}`, { headers: auth });
        outputs.push([`GET ${path}`, await r.text()]);
      }
      const c = (await AdminClient.connect(dataDir))!;
      // The secret did reach the job (its command checks that API_KEY is set).
      const ok2 = (await c.runs("secretive", 20)).runs.filter((r) => r.outcome === "succeeded");
      result.count();
      result.check(ok2.length > 0, "the job never saw its env (no succeeded run of secretive)");
      const runs = await c.runs("failing-secretive", 5);
      for (const r of runs.runs) outputs.push([`run ${r.id}`, JSON.stringify(await c.run(r.id))]);
      // SSE from the start of the log.
      const sse = await fetch(`${base}/v1/events`, { headers: { ...auth, "last-event-id": "0" } });
      const reader = sse.body!.getReader();
      let sseText = "";
      const until2 = Date.now() + 1500;
      while (Date.now() < until2) {
        const r = await Promise.race([reader.read(), sleep(300).then(() => null)]);
        if (r && r.value) sseText += new TextDecoder().decode(r.value);
        if (r && r.done) break;
      }
      await reader.cancel().catch(() => {});
      outputs.push(["SSE", sseText]);
      result.check(sseText.includes("RUN_STARTED"), "the SSE stream showed no events");
      c.close();
      for (
        const args of [["status"], ["status", "--json"], ["status", "secretive"], [
          "history",
          "failing-secretive",
        ], ["check", "jobs.toml"]]
      ) {
        const r = await kronCli(args, { cwd: dir, dataDir });
        outputs.push([`kron ${args.join(" ")}`, r.stdout + r.stderr]);
      }
    } finally {
      await p.stop();
    }
    outputs.push(["kron's log", p.stdout + p.stderr]);
    for (const [path, text] of allText(dataDir)) outputs.push([path.slice(dir.length + 1), text]);
    for (const [where, text] of outputs) {
      result.count();
      result.check(!text.includes(canary), `the secret appears in ${where}`);
    }
    result.figure("outputs grepped", outputs.length);
    result.figure("401 probes", 6 * 15);
  },
};

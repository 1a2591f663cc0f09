// Hook delivery (src/jobs/hooks.ts), shared by on_failure and on_late: a real local HTTP server
// that fails before it succeeds, and real commands; retries back off and stop when asked.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { deliverHook } from "../../src/jobs/hooks.ts";

Deno.test("a URL hook that answers 500 twice is delivered on its third attempt, with backoff", async () => {
  const seen: { at: number; body: unknown }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    seen.push({ at: performance.now(), body: await req.json() });
    return new Response(null, { status: seen.length <= 2 ? 500 : 204 });
  });
  try {
    const failures: string[] = [];
    const result = await deliverHook(
      { url: `http://127.0.0.1:${server.addr.port}/late` },
      { json: { kind: "late", job: "backup" }, env: {} },
      {
        timeoutMs: 5_000,
        attempts: 5,
        retryDelayMs: 50,
        onAttemptFailed: (n, e, again) => failures.push(`${n} ${e} ${again}`),
      },
    );
    assertEquals(result, { delivered: true, attempts: 3, error: null });
    assertEquals(seen.map((s) => s.body), Array(3).fill({ kind: "late", job: "backup" }));
    assertEquals(failures.length, 2);
    assert(failures[0].includes("answered 500 true"), failures[0]);
    // 50 ms, then 100 ms between attempts (timers fire a little late, never early).
    assert(seen[1].at - seen[0].at >= 45, `${seen[1].at - seen[0].at}`);
    assert(seen[2].at - seen[1].at >= 95, `${seen[2].at - seen[1].at}`);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a command hook gets its KRON_* variables; one that keeps failing gives up after its attempts", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const ok = await deliverHook(
      { command: ["sh", "-c", `echo "$KRON_KIND $KRON_JOB" > ${dir}/out`] },
      { json: {}, env: { KRON_KIND: "down", KRON_JOB: "backup" } },
      { timeoutMs: 5_000 },
    );
    assertEquals(ok.delivered, true);
    assertEquals(Deno.readTextFileSync(`${dir}/out`), "down backup\n");
    const bad = await deliverHook(
      { command: ["sh", "-c", `echo x >> ${dir}/tries; exit 3`] },
      { json: {}, env: {} },
      { timeoutMs: 5_000, attempts: 3, retryDelayMs: 10 },
    );
    assertEquals(bad, { delivered: false, attempts: 3, error: "hook command exited with 3" });
    assertEquals(Deno.readTextFileSync(`${dir}/tries`), "x\nx\nx\n");
    // An aborted signal stops the retries after the attempt in flight.
    const stop = new AbortController();
    stop.abort();
    const stopped = await deliverHook(
      { command: ["sh", "-c", "exit 1"] },
      { json: {}, env: {} },
      { timeoutMs: 5_000, attempts: 5, retryDelayMs: 10_000, signal: stop.signal },
    );
    assertEquals(stopped.attempts, 1);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

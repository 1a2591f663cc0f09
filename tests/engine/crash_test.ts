// kill -9 against the real engine and the durable store: a child process runs busy jobs, is
// killed at random moments, and restarts; nothing it acknowledged may be lost.
import assert from "node:assert/strict";
import { readDataDir } from "../../src/store/mod.ts";
import type { RunEntry } from "../../src/store/state.ts";

const CHILD = new URL("./fixtures/busy_child.ts", import.meta.url).pathname;
const KILLS = 22;

interface Ack {
  seq: number;
  type: string;
  job: string;
  runId: string;
}

async function runChild(
  dataDir: string,
  mode: "kill" | "clean",
  killAfterMs: number,
): Promise<Ack[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, dataDir, mode],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const chunks: Uint8Array[] = [];
  const reader = (async () => {
    for await (const chunk of child.stdout) chunks.push(chunk);
  })();
  const stderr = new Response(child.stderr).text();
  let text = "";
  if (mode === "kill") {
    // Wait until the runtime is up, then let it work for a random while.
    const deadline = Date.now() + 20_000;
    while (
      !new TextDecoder().decode(concat(chunks)).includes("started\n") && Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, killAfterMs));
    child.kill("SIGKILL");
  }
  const status = await child.status;
  await reader;
  text = new TextDecoder().decode(concat(chunks));
  if (mode === "clean") {
    assert.equal(status.code, 0, await stderr);
    assert.ok(text.includes("stopped\n"), text);
  } else {
    await stderr;
    assert.equal(status.signal, "SIGKILL");
  }
  return text.split("\n").filter((l) => l.startsWith("ack ")).map((l) => {
    const [, seq, type, job, runId] = l.split(" ");
    return { seq: Number(seq), type, job, runId };
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const TERMINAL: Record<string, string> = {
  RUN_SUCCEEDED: "succeeded",
  RUN_FAILED: "failed",
  RUN_TIMED_OUT: "timed_out",
  RUN_CANCELLED: "cancelled",
  RUN_ABANDONED: "abandoned",
};

Deno.test(`kill -9 x${KILLS}: every acknowledged run survives, every started run ends terminal`, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "kron-crash-" });
  const acked = new Map<string, Ack[]>();
  let ackCount = 0;
  for (let i = 0; i < KILLS; i++) {
    const acks = await runChild(dataDir, "kill", 50 + Math.floor(Math.random() * 450));
    ackCount += acks.length;
    for (const a of acks) {
      if (a.runId !== "-") acked.set(a.runId, [...(acked.get(a.runId) ?? []), a]);
    }
    // After each crash the log replays cleanly (a torn tail may be cut, nothing corrupt).
    const view = await readDataDir(dataDir);
    for (const a of acks) {
      if (a.runId === "-") continue;
      const run = await view.findRun(a.runId);
      assert.ok(
        run,
        `acknowledged ${a.type} of run ${a.runId} (seq ${a.seq}) is missing after kill ${i}`,
      );
    }
    assert.ok(view.state.seq >= Math.max(0, ...acks.map((a) => a.seq)), "acknowledged seq lost");
  }
  // A last clean start recovers (abandoning what the last kill cut short) and stops cleanly.
  await runChild(dataDir, "clean", 0);
  const view = await readDataDir(dataDir);
  const runs: RunEntry[] = [];
  for (const job of view.state.jobs.keys()) {
    runs.push(...await view.history(job, { limit: 1_000_000 }));
  }
  const byId = new Map(runs.map((r) => [r.id, r]));
  assert.equal(byId.size, runs.length, "a run id was reused");
  for (const [runId, acks] of acked) {
    const run = byId.get(runId);
    assert.ok(run, `run ${runId} missing from history`);
    const end = acks.find((a) => TERMINAL[a.type]);
    // What was acknowledged as the end of the run is what the history says (RUN_DEAD may
    // turn a failed last attempt into dead).
    if (end) {
      assert.ok(
        run.outcome === TERMINAL[end.type] ||
          (run.outcome === "dead" && end.type !== "RUN_SUCCEEDED"),
        `${runId}: ${run.outcome} vs ${end.type}`,
      );
    }
  }
  const open = runs.filter((r) => r.outcome === null);
  assert.deepEqual(open.map((r) => r.id), [], "runs left unfinished after recovery");
  const abandoned = runs.filter((r) => r.outcome === "abandoned").length;
  assert.ok(ackCount > KILLS * 10, `the child did little work (${ackCount} acks)`);
  console.log(
    `${KILLS} kills, ${ackCount} acknowledged events, ${runs.length} runs, ${abandoned} abandoned`,
  );
  await Deno.remove(dataDir, { recursive: true });
});

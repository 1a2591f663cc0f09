// Issue 20, through the real CLI and the kron task's flags (no /proc: the `ps` source): `echo`
// command jobs every 200 ms are never skipped for overlap, every occurrence runs and succeeds,
// and the runs, which print nothing, leave no run-log files behind. A job whose process leaves a
// background child still has its group cleaned up at every run.
import { assert, assertEquals } from "./_assert.ts";
import { events, project, sleep, startRun } from "./_cli.ts";
import { AdminClient } from "../../src/api/mod.ts";
import { withCommandLine } from "../_util/proc.ts";

const ECHO_JOBS = 5;

Deno.test("an echo job every 200 ms is never skipped; a background child is cleaned up", async () => {
  const p = project();
  // A sleep length no other process on the machine uses, to find the background children.
  const marker = "31.4159";
  // Five of them (25 runs a second): the claim is about an idle machine, and the suite shares
  // this one. The benchmark (scripts/bench/command.ts) runs the 20 jobs of issue 20.
  let toml = "";
  for (let i = 0; i < ECHO_JOBS; i++) {
    toml += `[[job]]\nname = "echo-${i}"\nevery = "200ms"\n` +
      `command = ["sh", "-c", "echo $KRON_RUN_ID >> w.txt"]\n\n`;
  }
  p.write(
    "jobs.toml",
    toml +
      `[[job]]\nname = "tree"\nevery = "1s"\n` +
      `command = ["sh", "-c", "sleep ${marker} & echo started"]\n`,
  );
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  try {
    const run = await startRun(["jobs.toml", "--allow-run=sh"], opts);
    let code: number;
    let apiLogs: [string, string] = ["", ""];
    try {
      await sleep(4_000);
      // Over the API, a run that printed nothing has an empty log (no file), one that did has its.
      const client = await AdminClient.connect(p.dataDir);
      assert(client, "the admin socket answers");
      try {
        const runIds = (job: string) =>
          events(p.dataDir).filter((e) => e.type === "RUN_SUCCEEDED" && e.job === job)
            .map((e) => e.runId as string);
        apiLogs = [
          await client.runLog(runIds("echo-0")[0]),
          await client.runLog(runIds("tree")[0]),
        ];
      } finally {
        client.close();
      }
    } finally {
      code = await run.stop("SIGTERM");
    }
    assertEquals(apiLogs[0], "", "empty output over the API");
    assert(apiLogs[1].startsWith("started\n"), apiLogs[1]);
    assertEquals(code, 0, run.stderr);
    const all = events(p.dataDir);
    const of = (type: string, job: string) => all.filter((e) => e.type === type && e.job === job);
    const echoes = Array.from({ length: ECHO_JOBS }, (_, i) => `echo-${i}`);
    const skipped = all.filter((e) => e.type === "RUN_SKIPPED");
    const at = (e: { [k: string]: unknown }) => Date.parse(e.scheduledAt as string);
    const first = Math.min(...all.filter((e) => e.type === "RUN_STARTED").map(at));
    assertEquals(
      skipped.map((e) => `${e.job} ${e.reason} at +${at(e) - first} ms`),
      [],
      "no occurrence skipped",
    );
    const runIds: string[] = [];
    for (const job of echoes) {
      const started = of("RUN_STARTED", job);
      assert(started.length >= 12, `${job}: ${started.length} runs in 4 s`);
      // Every occurrence between the first and the last ran: consecutive, 200 ms apart.
      const times = started.map((e) => Date.parse(e.scheduledAt as string)).sort((a, b) => a - b);
      for (let i = 1; i < times.length; i++) {
        assertEquals(times[i] - times[i - 1], 200, `${job} after ${new Date(times[i - 1])}`);
      }
      const ok = new Set(of("RUN_SUCCEEDED", job).map((e) => e.runId));
      assertEquals(started.filter((e) => !ok.has(e.runId)).map((e) => e.runId), [], job);
      runIds.push(...started.map((e) => e.runId as string));
    }
    const lines = Deno.readTextFileSync(`${p.dir}/w.txt`).trim().split("\n");
    assertEquals(lines.sort(), runIds.sort(), "one line per run");
    let logs = 0;
    for (const job of echoes) {
      try {
        logs += [...Deno.readDirSync(`${p.dataDir}/runs/${job}`)].length;
      } catch { /* never created */ }
    }
    assertEquals(logs, 0, "runs that print nothing leave no run log");

    const trees = of("RUN_STARTED", "tree");
    assert(trees.length >= 2, `${trees.length} tree runs`);
    const treeOk = new Set(of("RUN_SUCCEEDED", "tree").map((e) => e.runId));
    assertEquals(trees.filter((e) => !treeOk.has(e.runId)).length, 0, "every tree run ended ok");
    for (const t of trees) {
      const log = Deno.readTextFileSync(`${p.dataDir}/runs/tree/${t.runId}.log`);
      assert(/^started\n\[kron\] command exited \(0\) leaving 1 process/.test(log), log);
    }
    assertEquals(withCommandLine(`sleep ${marker}`), [], "no background child left");
  } finally {
    for (const pid of withCommandLine(`sleep ${marker}`)) Deno.kill(pid, "SIGKILL");
    await p.cleanup();
  }
});

// A job removed by a real reload is `orphaned` at once, its state, runs and run logs readable
// over the API, the CLI and the dashboard, exactly as after a restart; `kron forget` drops it.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { kron, project, startRun, until } from "./_cli.ts";

const KEEP = `[[job]]
name = "keep"
every = "1h"
command = "echo keep"
`;
const TEMP = `
[[job]]
name = "temp2"
every = "1s"
command = "sh -c 'echo output of $KRON_RUN_ID'"
`;

interface JobJson {
  name: string;
  state: string;
  totalRuns: number;
  nextRunAt: string | null;
  lastRun: { id: string } | null;
}

Deno.test("reload: a removed job is orphaned at once (API, CLI, dashboard), as after a restart; forget drops it", async () => {
  const p = project();
  p.write("jobs.toml", KEEP + TEMP);
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  const client = Deno.createHttpClient({
    proxy: { transport: "unix", path: `${p.dataDir}/kron.sock` },
  });
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://kron${path}`, { ...init, client } as RequestInit);
  const job = async (name: string): Promise<[number, JobJson]> => {
    const res = await api(`/v1/jobs/${name}`);
    return [res.status, await res.json()];
  };
  let rt = await startRun(["--allow-run=echo,sh"], opts);
  try {
    await until(async () => (await job("temp2"))[1].totalRuns >= 1, "a run of temp2");
    p.write("jobs.toml", KEEP);
    const removed = await kron(["reload"], opts);
    assertEquals(removed.code, 0, removed.stderr);
    assertEquals(removed.stdout.trim(), "removed: temp2");

    // The API: state, runs, a run's log; steering it is refused.
    const [status, orphan] = await job("temp2");
    assertEquals(status, 200, JSON.stringify(orphan));
    assertEquals(orphan.state, "orphaned");
    assertEquals(orphan.nextRunAt, null);
    const runsRes = await api("/v1/jobs/temp2/runs?limit=50");
    assertEquals(runsRes.status, 200);
    const { runs }: { runs: { id: string; outcome: string | null }[] } = await runsRes.json();
    assert(runs.length >= 1, JSON.stringify(runs));
    const finished = await until(async () => {
      const all: { runs: { id: string; outcome: string | null }[] } =
        await (await api("/v1/jobs/temp2/runs?limit=50")).json();
      return all.runs.find((r) => r.outcome === "succeeded");
    }, "a finished run of temp2");
    const logRes = await api(`/v1/runs/${finished.id}/log`);
    assertEquals(logRes.status, 200);
    assertStringIncludes(await logRes.text(), `output of ${finished.id}`);
    const list: { jobs: JobJson[] } = await (await api("/v1/jobs")).json();
    assertEquals(
      list.jobs.map((j) => [j.name, j.state === "orphaned"]),
      [["keep", false], ["temp2", true]],
    );
    const trig = await api("/v1/jobs/temp2/trigger", { method: "POST" });
    assertEquals(trig.status, 409);
    await trig.body?.cancel();

    // The CLI and the dashboard.
    const cliStatus = await kron(["status", "temp2", "--json"], opts);
    assertEquals(cliStatus.code, 0, cliStatus.stderr);
    assertEquals(JSON.parse(cliStatus.stdout).state, "orphaned");
    const table = await kron(["status"], opts);
    assertEquals(table.code, 0, table.stderr);
    assertMatch(table.stdout, /^temp2\s+orphaned\s/m);
    const cliHistory = await kron(["history", "temp2", "--json"], opts);
    assertEquals(cliHistory.code, 0, cliHistory.stderr);
    assert(JSON.parse(cliHistory.stdout).some((r: { id: string }) => r.id === finished.id));
    const cliLogs = await kron(["logs", "temp2", "--run", finished.id], opts);
    assertEquals(cliLogs.code, 0, cliLogs.stderr);
    assertStringIncludes(cliLogs.stdout, `output of ${finished.id}`);
    const page = await api("/jobs/temp2");
    assertEquals(page.status, 200);
    assertMatch(await page.text(), /orphaned/);

    // No more runs of it.
    const total = (await job("temp2"))[1].totalRuns;
    await new Promise((r) => setTimeout(r, 1500));
    assertEquals((await job("temp2"))[1].totalRuns, total);

    // A restart shows the same.
    const before = (await job("temp2"))[1];
    assertEquals(await rt.stop(), 0, rt.stderr);
    rt = await startRun(["--allow-run=echo,sh"], opts);
    const after = (await job("temp2"))[1];
    assertEquals(after.state, "orphaned");
    assertEquals(after.totalRuns, before.totalRuns);
    assertEquals(after.lastRun?.id, before.lastRun?.id);

    // forget drops it.
    const forget = await kron(["forget", "temp2"], opts);
    assertEquals(forget.code, 0, forget.stderr);
    const [gone] = await job("temp2");
    assertEquals(gone, 404);
    const names = JSON.parse((await kron(["status", "--json"], opts)).stdout)
      .map((j: { name: string }) => j.name);
    assertEquals(names, ["keep"]);
  } finally {
    client.close();
    assertEquals(await rt.stop(), 0, rt.stderr);
    await p.cleanup();
  }
});

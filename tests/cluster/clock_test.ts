// Nodes whose wall clocks are 30 s off (libfaketime shifts one process's clock): due times and
// leases come from the database's clock, so a node 30 s ahead claims nothing early, a node
// 30 s behind nothing late, and a lease granted or extended through either is as long as asked.
import { assert } from "../api/_assert.ts";
import { api, clusterTest, startNode, startWorker } from "./_helpers.ts";

function libfaketime(): string {
  for (const dir of ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"]) {
    const path = `${dir}/faketime/libfaketime.so.1`;
    try {
      Deno.statSync(path);
      return path;
    } catch {
      // next
    }
  }
  throw new Error("libfaketime not found: run `bash .ci/deps` (installs Debian's faketime)");
}

const skewed = (offset: string) => ({
  LD_PRELOAD: libfaketime(),
  FAKETIME: offset,
  FAKETIME_DONT_FAKE_MONOTONIC: "1",
  FAKETIME_NO_CACHE: "1",
});

clusterTest(
  "cluster: a node 30 s ahead or behind claims on the database's clock",
  async ({ pg, sql, procs }) => {
    const lease = ["--lease", "2s"];
    const ahead = await startNode(pg.url, "c", "ahead", lease, undefined, skewed("+30s"));
    const behind = await startNode(pg.url, "c", "behind", lease, undefined, skewed("-30s"));
    procs.push(ahead, behind);
    // The skew is real: each node's HTTP Date header shows its own time.
    for (const [node, offset] of [[ahead, 30_000], [behind, -30_000]] as const) {
      const res = await fetch(`${node.url}/healthz`);
      await res.body?.cancel();
      const off = Date.parse(res.headers.get("date")!) - Date.now();
      assert(Math.abs(off - offset) < 3000, `${node.url}: clock off by ${off} ms`);
    }
    const due = new Date(Date.now() + 6000);
    for (const job of ["ahead", "behind"]) {
      const put = await api(behind.url, "PUT", `/v1/jobs/${job}`, {
        at: due.toISOString(),
        task: job,
      });
      assert(put.status === 201, JSON.stringify(put.json));
    }
    const wa = startWorker(ahead.url, "hang", {}, "ahead");
    const wb = startWorker(behind.url, "hang", {}, "behind");
    procs.push(wa, wb);
    const seen: Record<string, number> = {};
    await Promise.all([
      wa.waitFor((l) => l.includes('"ev":"run"'), 20_000).then(() => seen.ahead = Date.now()),
      wb.waitFor((l) => l.includes('"ev":"run"'), 20_000).then(() => seen.behind = Date.now()),
    ]);
    for (const job of ["ahead", "behind"]) {
      const early = due.getTime() - seen[job];
      const late = seen[job] - due.getTime();
      assert(early < 50, `${job}: started ${early} ms before it was due`);
      assert(late < 2000, `${job}: started ${late} ms after it was due`);
    }
    // The runs hang (heartbeating through their skewed node): their leases, measured on
    // the database's clock, stay within the 2 s asked for.
    const rows = await sql.unsafe(
      `SELECT job, started_at,
                (extract(epoch FROM lease_until - now()) * 1000)::int AS left_ms
           FROM c.runs WHERE status = 'running'`,
    );
    assert(rows.length === 2, JSON.stringify(rows));
    for (const r of rows) {
      assert(
        r.left_ms <= 2100 && (r.started_at as Date).getTime() >= due.getTime() - 50,
        `${r.job}: started ${(r.started_at as Date).toISOString()}, lease ${r.left_ms} ms left`,
      );
    }
    console.log(
      `clock: due→start ${seen.ahead - due.getTime()} ms via the node 30 s ahead, ${
        seen.behind - due.getTime()
      } ms via the node 30 s behind`,
    );
  },
);

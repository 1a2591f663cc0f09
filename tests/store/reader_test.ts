import assert from "node:assert/strict";
import { apply, FileStore, readDataDir } from "../../src/store/mod.ts";
import { encodeRecord } from "../../src/store/_record.ts";
import { defined, plain, started, succeeded, tempDataDir } from "./_helpers.ts";

async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, prefix: string) {
    for await (const e of Deno.readDir(d)) {
      const st = await Deno.stat(`${d}/${e.name}`);
      out.push(`${prefix}${e.name}:${st.isFile ? st.size : "dir"}:${st.mtime?.getTime()}`);
      if (e.isDirectory) await walk(`${d}/${e.name}`, `${prefix}${e.name}/`);
    }
  }
  await walk(dir, "");
  return out.sort();
}

Deno.test("reader: replays while a writer holds the lock, ignores a tail being written, writes nothing", async () => {
  const dataDir = await tempDataDir();
  const store = new FileStore({ dataDir });
  const { state } = await store.open();
  for (const e of [defined("a"), started("a", "r1"), succeeded("a", "r1"), started("a", "r2", 3)]) {
    await store.append(e);
    apply(state, e);
  }
  // Half of the next record, as if the writer were in the middle of its write.
  const half = encodeRecord({ ...succeeded("a", "r2", 4), seq: 5 }).slice(0, 40);
  const f = await Deno.open(`${dataDir}/log/000001.ndjson`, { append: true });
  await f.write(new TextEncoder().encode(half));
  f.close();
  const before = await listing(dataDir);

  const view = await readDataDir(dataDir);
  assert.deepEqual(plain(view.state), plain(state));
  assert.equal(view.report.lastSeq, 4);
  assert.equal(view.report.truncated, null);
  assert.deepEqual(view.report.ignoredTail, {
    segment: "log/000001.ndjson",
    offset: view.report.ignoredTail!.offset,
    bytes: 40,
  });
  assert.deepEqual((await view.history("a")).map((r) => [r.id, r.outcome]), [
    ["r2", null],
    ["r1", "succeeded"],
  ]);
  assert.equal((await view.findRun("r1"))?.outcome, "succeeded");
  assert.deepEqual(await listing(dataDir), before, "nothing written, nothing cut");

  // The writer still owns the log (and cuts the torn tail when it next opens).
  await store.close();
  const again = new FileStore({ dataDir });
  assert.equal((await again.open()).report.truncated?.bytes, 40);
  await again.close();
});

Deno.test("reader: sees the snapshot and history after a compaction", async () => {
  const dataDir = await tempDataDir();
  const store = new FileStore({ dataDir });
  const { state } = await store.open();
  for (const e of [defined("a", 2), started("a", "r1"), succeeded("a", "r1"), started("a", "r2")]) {
    await store.append(e);
    apply(state, e);
  }
  await store.compact(state);
  const e = succeeded("a", "r2", 9);
  await store.append(e);
  apply(state, e);
  const view = await readDataDir(dataDir);
  assert.deepEqual(plain(view.state), plain(state));
  assert.deepEqual([view.report.snapshotSeq, view.report.replayed], [4, 1]);
  assert.deepEqual((await view.history("a")).map((r) => r.outcome), ["succeeded", "succeeded"]);
  await store.close();
});

Deno.test("reader: a missing or empty data dir is an empty state; nothing is created", async () => {
  const dataDir = await tempDataDir();
  const view = await readDataDir(dataDir);
  assert.equal(view.report.exists, false);
  assert.equal(view.state.jobs.size, 0);
  assert.deepEqual(await view.history("x"), []);
  await assert.rejects(Deno.stat(dataDir));
});

Deno.test("reader: bad FORMAT and corrupt records are reported like open()", async () => {
  const dataDir = await tempDataDir();
  const store = new FileStore({ dataDir });
  await store.open();
  await store.append(defined("a"));
  await store.append(started("a", "r1"));
  await store.close();
  const seg = `${dataDir}/log/000001.ndjson`;
  const bytes = await Deno.readFile(seg);
  bytes[20] ^= 1;
  await Deno.writeFile(seg, bytes);
  const err = await readDataDir(dataDir).catch((e) => e);
  assert.equal(err.code, "corrupt_log");
  assert.match(err.message, /000001\.ndjson line 1/);
  await Deno.writeTextFile(`${dataDir}/FORMAT`, "9\n");
  assert.equal((await readDataDir(dataDir).catch((e) => e)).code, "unknown_format");
});

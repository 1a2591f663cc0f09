import assert from "node:assert/strict";
import { apply, emptyState, FileStore, type KronEvent, repair } from "../../src/store/mod.ts";
import { defined, plain, segmentFiles, started, succeeded, tempDataDir } from "./_helpers.ts";

async function build(dataDir: string, n: number, segmentBytes = 3000): Promise<KronEvent[]> {
  const events: KronEvent[] = [defined("a")];
  for (let i = 0; i < n; i++) events.push(started("a", `r${i}`, i), succeeded("a", `r${i}`, i));
  const store = new FileStore({ dataDir, segmentBytes, durability: "none" });
  await store.open();
  for (const e of events) await store.append(e);
  await store.close();
  return events;
}

Deno.test("repair: keeps the valid prefix, drops the rest, keeps a backup; open then works", async () => {
  const dataDir = await tempDataDir();
  const events = await build(dataDir, 30);
  const files = await segmentFiles(dataDir);
  assert.ok(files.length >= 3);
  const originals = await Promise.all(files.map((f) => Deno.readFile(`${dataDir}/log/${f}`)));
  // Damage line 4 of the second segment.
  const seg = `${dataDir}/log/${files[1]}`;
  const bytes = originals[1].slice();
  let pos = 0;
  for (let line = 1; line < 4; line++) pos = bytes.indexOf(10, pos) + 1;
  bytes[pos + 30] ^= 0x08;
  await Deno.writeFile(seg, bytes);
  const failing = new FileStore({ dataDir });
  assert.equal((await failing.open().catch((e) => e)).code, "corrupt_log");

  const report = await repair(dataDir);
  assert.ok(report.backupDir?.includes("/.kron/backup-"));
  assert.deepEqual(report.corrupt, { segment: `log/${files[1]}`, line: 4, reason: "bad checksum" });
  const firstSeq2 = JSON.parse(new TextDecoder().decode(originals[1]).split("\n")[0]).seq;
  const kept = firstSeq2 + 2; // lines 1..3 of segment 2
  assert.equal(report.keptRecords, kept);
  assert.equal(report.droppedRecords, events.length - kept);
  assert.deepEqual(report.removedSegments, files.slice(2).map((f) => `log/${f}`));
  // The backup holds the files as they were (the damaged one included).
  for (const [i, f] of files.entries()) {
    const backed = await Deno.readFile(`${report.backupDir}/log/${f}`);
    assert.deepEqual(backed, i === 1 ? bytes : originals[i]);
  }
  const store = new FileStore({ dataDir });
  const { state, report: rec } = await store.open();
  assert.equal(rec.lastSeq, kept);
  const expected = emptyState();
  for (const e of events.slice(0, kept)) apply(expected, structuredClone(e));
  assert.deepEqual(plain(state), plain(expected));
  const next = started("a", "after");
  await store.append(next);
  assert.equal(next.seq, kept + 1);
  await store.close();
  // A healthy data dir: nothing to do, no backup.
  const again = await repair(dataDir);
  assert.equal(again.backupDir, null);
  assert.equal(again.droppedRecords, 0);
});

Deno.test("repair: cuts a torn tail; refuses while a runtime holds the lock", async () => {
  const dataDir = await tempDataDir();
  await build(dataDir, 2);
  const seg = `${dataDir}/log/000001.ndjson`;
  const bytes = await Deno.readFile(seg);
  await Deno.writeFile(seg, bytes.subarray(0, bytes.length - 10));
  const report = await repair(dataDir);
  assert.equal(report.truncated?.segment, "log/000001.ndjson");
  assert.equal(report.droppedRecords, 0);
  assert.ok(report.backupDir);
  const store = new FileStore({ dataDir });
  assert.equal((await store.open()).report.truncated, null);
  const err = await repair(dataDir).catch((e) => e);
  assert.equal(err.code, "locked");
  await store.close();
});

Deno.test("repair: a damaged snapshot is moved to the backup", async () => {
  const dataDir = await tempDataDir();
  await build(dataDir, 3);
  const store = new FileStore({ dataDir });
  const { state } = await store.open();
  await store.append(started("a", "x", 50));
  apply(state, { ...started("a", "x", 50), seq: 8 });
  await store.compact(state);
  await store.close();
  const snap = `${dataDir}/snapshot.json`;
  const text = await Deno.readTextFile(snap);
  await Deno.writeTextFile(snap, text.replace('"seq":8', '"seq":9'));
  const failing = new FileStore({ dataDir });
  const err = await failing.open().catch((e) => e);
  assert.equal(err.code, "corrupt_log");
  assert.match(err.message, /snapshot\.json is damaged \(bad checksum\)/);
  const report = await repair(dataDir);
  assert.equal(report.snapshotDropped, true);
  assert.ok(await Deno.stat(`${report.backupDir}/snapshot.json`));
  const again = new FileStore({ dataDir });
  const r = await again.open(); // the log no longer starts at 1: all of it is unusable
  assert.equal(r.report.lastSeq, 0);
  await again.close();
});

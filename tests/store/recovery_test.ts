import assert from "node:assert/strict";
import { apply, emptyState, FileStore, type KronEvent } from "../../src/store/mod.ts";
import { KronError } from "../../src/errors.ts";
import { encodeRecord } from "../../src/store/_record.ts";
import {
  defined,
  failed,
  plain,
  segmentFiles,
  started,
  succeeded,
  tempDataDir,
} from "./_helpers.ts";

const enc = new TextEncoder();

function fold(events: KronEvent[]) {
  const s = emptyState();
  for (const e of events) apply(s, structuredClone(e));
  return s;
}

async function writeLog(dataDir: string, events: KronEvent[], segmentBytes?: number) {
  const store = new FileStore({ dataDir, segmentBytes, durability: "none" });
  await store.open();
  for (const e of events) await store.append(e);
  await store.close();
}

async function openFails(dataDir: string): Promise<KronError> {
  const store = new FileStore({ dataDir });
  const err = await store.open().then(() => store.close()).then(() => null, (e) => e);
  assert.ok(err instanceof KronError, `expected open to fail, got ${err}`);
  return err;
}

Deno.test("recovery: the last record cut at every byte offset recovers without it", async () => {
  const dataDir = await tempDataDir();
  const events: KronEvent[] = [defined("a"), started("a", "r1"), failed("a", "r1")];
  await writeLog(dataDir, events);
  const seg = `${dataDir}/log/000001.ndjson`;
  const full = await Deno.readFile(seg);
  const lastStart = full.lastIndexOf(10, full.length - 2) + 1;
  const prefixState = plain(fold(events.slice(0, -1)));
  for (let cut = lastStart; cut < full.length; cut++) {
    await Deno.writeFile(seg, full.subarray(0, cut));
    const store = new FileStore({ dataDir, durability: "none" });
    const { state, report } = await store.open();
    assert.deepEqual(plain(state), prefixState, `cut at ${cut}`);
    assert.equal(report.lastSeq, 2);
    assert.deepEqual(
      report.truncated,
      cut === lastStart
        ? null
        : { segment: "log/000001.ndjson", offset: lastStart, bytes: cut - lastStart },
    );
    assert.equal((await Deno.stat(seg)).size, lastStart, "torn tail cut off");
    // The log goes on from there with no gap.
    const e = succeeded("a", "r1");
    await store.append(e);
    assert.equal(e.seq, 3);
    await store.close();
  }
});

Deno.test("recovery: a zero-filled tail (after a complete record or a partial one) is torn", async () => {
  const dataDir = await tempDataDir();
  const events: KronEvent[] = [defined("a"), started("a", "r1")];
  await writeLog(dataDir, events);
  const seg = `${dataDir}/log/000001.ndjson`;
  const full = await Deno.readFile(seg);
  for (const partial of [0, 25]) {
    const extra = enc.encode(encodeRecord({ ...succeeded("a", "r1"), seq: 3 })).subarray(
      0,
      partial,
    );
    const bytes = new Uint8Array(full.length + partial + 4096);
    bytes.set(full);
    bytes.set(extra, full.length);
    await Deno.writeFile(seg, bytes);
    const store = new FileStore({ dataDir });
    const { state, report } = await store.open();
    assert.deepEqual(report.truncated, {
      segment: "log/000001.ndjson",
      offset: full.length,
      bytes: partial + 4096,
    });
    assert.deepEqual(plain(state), plain(fold(events)));
    await store.close();
  }
});

Deno.test("recovery: a flipped byte mid-log is corrupt, naming segment and line", async () => {
  const dataDir = await tempDataDir();
  const events: KronEvent[] = [defined("a")];
  for (let i = 0; i < 40; i++) events.push(started("a", `r${i}`, i), succeeded("a", `r${i}`, i));
  await writeLog(dataDir, events, 4000);
  const files = await segmentFiles(dataDir);
  assert.ok(files.length >= 3);
  const name = files[1];
  const seg = `${dataDir}/log/${name}`;
  const orig = await Deno.readFile(seg);
  const lineStarts = [0];
  for (let i = 0; i < orig.length - 1; i++) if (orig[i] === 10) lineStarts.push(i + 1);
  for (const line of [1, 3, lineStarts.length]) {
    // Every byte of the line, newline included (a damaged newline merges two lines).
    const start = lineStarts[line - 1];
    const end = orig.indexOf(10, start);
    // Every byte of line 3; the start, middle, checksum and newline of the others.
    const positions = line === 3
      ? Array.from({ length: end - start + 1 }, (_, k) => start + k)
      : [start, start + 1, Math.floor((start + end) / 2), end - 5, end - 1, end];
    for (const pos of positions) {
      if (line === lineStarts.length && pos === end && name === files.at(-1)) continue;
      const bytes = orig.slice();
      bytes[pos] ^= pos === end ? 0x20 : 0x04;
      await Deno.writeFile(seg, bytes);
      const err = await openFails(dataDir);
      assert.equal(err.code, "corrupt_log");
      assert.ok(
        err.message.includes(`/.kron/log/${name} line ${line} (`),
        `pos ${pos}: ${err.message}`,
      );
      assert.match(err.message, /run "kron repair" to keep the valid prefix \(a backup is kept\)/);
    }
  }
  await Deno.writeFile(seg, orig);
  const store = new FileStore({ dataDir });
  await store.open();
  await store.close();
});

Deno.test("recovery: a zero run followed by a complete record is corrupt, not torn", async () => {
  const dataDir = await tempDataDir();
  await writeLog(dataDir, [defined("a")]);
  const seg = `${dataDir}/log/000001.ndjson`;
  const full = await Deno.readFile(seg);
  const next = enc.encode(encodeRecord({ ...started("a", "r1"), seq: 2 }) + "\n");
  const bytes = new Uint8Array(full.length + 512 + next.length);
  bytes.set(full);
  bytes.set(next, full.length + 512);
  await Deno.writeFile(seg, bytes);
  const err = await openFails(dataDir);
  assert.equal(err.code, "corrupt_log");
  assert.match(err.message, /000001\.ndjson line 2 \(bad checksum\)/);
});

Deno.test("recovery: a sequence gap or a seq going backwards is corrupt", async () => {
  for (
    const [seqs, reason] of [[[1, 2, 4], /line 3 \(sequence gap: seq 4 after 2\)/], [
      [1, 2, 2],
      /line 3 \(sequence goes backwards: seq 2 after 2\)/,
    ], [[3, 4], /line 1 \(sequence gap: the log starts at seq 3, not 1\)/]] as const
  ) {
    const dataDir = await tempDataDir();
    await writeLog(dataDir, []);
    const text = seqs.map((seq, i) => encodeRecord({ ...started("a", `r${i}`), seq }) + "\n")
      .join("");
    await Deno.writeTextFile(`${dataDir}/log/000001.ndjson`, text);
    const err = await openFails(dataDir);
    assert.equal(err.code, "corrupt_log");
    assert.match(err.message, reason);
  }
});

Deno.test("recovery: an unfinished line in a segment that is not the last is corrupt", async () => {
  const dataDir = await tempDataDir();
  const events: KronEvent[] = [defined("a")];
  for (let i = 0; i < 10; i++) events.push(started("a", `r${i}`, i));
  await writeLog(dataDir, events, 1500);
  const files = await segmentFiles(dataDir);
  assert.ok(files.length >= 2);
  const seg = `${dataDir}/log/${files[0]}`;
  const bytes = await Deno.readFile(seg);
  await Deno.writeFile(seg, bytes.subarray(0, bytes.length - 3));
  const err = await openFails(dataDir);
  assert.equal(err.code, "corrupt_log");
  assert.match(err.message, /000001\.ndjson line \d+ \(incomplete record/);
});

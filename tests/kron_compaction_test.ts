// Automatic compaction of a Kron on a data dir: a threshold crossed while start() records the
// definitions is compacted once running (the engine refuses before, and the store asks once per
// threshold), and a failure is one line, never an error object with its stack (a raw multi-line
// block in a JSON log).
import assert from "node:assert/strict";
import { Kron } from "../src/kron/mod.ts";
import { sleep, until } from "./_util/poll.ts";

// ~540 bytes of JOB_DEFINED each: 130k definitions pass the store's 64 MiB threshold.
const JOBS = 130_000;

async function startBig(
  dataDir: string,
): Promise<{ kron: Kron; errors: string[]; restore(): void }> {
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void errors.push(args.map(String).join(" "));
  const kron = new Kron({ dataDir, durability: "none", admin: false });
  for (let i = 0; i < JOBS; i++) {
    kron.schedule(`job-${i}`, { cron: `${i % 60} ${i % 24} * * *` }, () => {});
  }
  try {
    await kron.start();
  } catch (e) {
    console.error = original;
    throw e;
  }
  return { kron, errors, restore: () => console.error = original };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("a compaction threshold crossed during start() is compacted once running", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "kron-compact-" });
  const { kron, errors, restore } = await startBig(dataDir);
  try {
    await until(() => exists(`${dataDir}/snapshot.json`), "the snapshot", 60_000);
    assert.deepEqual(errors, []);
  } finally {
    await kron.shutdown();
    restore();
    Deno.removeSync(dataDir, { recursive: true });
  }
});

Deno.test("a failed automatic compaction is reported in one line", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "kron-compact-" });
  // The snapshot's temp file cannot be created (a non-empty directory in its place; root too).
  Deno.mkdirSync(`${dataDir}/snapshot.json.tmp/blocker`, { recursive: true });
  const { kron, errors, restore } = await startBig(dataDir);
  try {
    await until(() => errors.length > 0, "the compaction failure", 60_000);
    await sleep(200);
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0], /^kron: compaction failed: [^\n]*snapshot\.json\.tmp[^\n]*$/);
    assert.ok(kron.engine.running, "kron runs on");
  } finally {
    await kron.shutdown();
    restore();
    Deno.removeSync(dataDir, { recursive: true });
  }
});

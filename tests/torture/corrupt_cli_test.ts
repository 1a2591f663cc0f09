// Regression (torture power_loss): a read command on a data dir with a corrupt record printed the
// "(offline: read from the data dir)" note before the error, so stderr was two lines instead of
// the documented one `error: …` line.
import assert from "node:assert/strict";
import { FileStore } from "../../src/store/file_store.ts";
import { kron, project } from "../e2e/_cli.ts";

Deno.test("status on a corrupt data dir: exactly one error line naming segment, line and repair", async () => {
  const p = project();
  try {
    const store = new FileStore({ dataDir: p.dataDir });
    await store.open();
    const time = new Date().toISOString();
    for (let i = 0; i < 3; i++) {
      await store.append({ type: "RUNTIME_STARTED", time, pid: 1, version: "t", host: "h" });
    }
    await store.close();
    const seg = `${p.dataDir}/log/000001.ndjson`;
    const bytes = Deno.readFileSync(seg);
    bytes[5] ^= 0x20; // inside the first record: a complete line with a bad checksum
    Deno.writeFileSync(seg, bytes);
    const r = await kron(["status"], { cwd: p.dir, dataDir: p.dataDir });
    assert.equal(r.code, 1);
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^error: corrupt record in .*000001\.ndjson line 1 .*kron repair/);
  } finally {
    await p.cleanup();
  }
});

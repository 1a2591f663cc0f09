// kill -9 at random moments: a child appends with durability "fsync" and prints every seq whose
// append promise resolved; after each SIGKILL the log must reopen cleanly (a torn tail at most)
// and hold every acknowledged seq.
import assert from "node:assert/strict";
import { FileStore, readDataDir } from "../../src/store/mod.ts";
import { tempDataDir } from "./_helpers.ts";

const FIXTURE = new URL("./fixtures/appender.ts", import.meta.url).pathname;
const KILLS = 24;

async function runAndKill(
  dataDir: string,
  delayMs: number,
): Promise<{ acked: number[]; ready: number }> {
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FIXTURE, dataDir],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const acked: number[] = [];
  let ready = -1;
  let buf = "";
  let killed = false;
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    const lines = buf.split("\n");
    buf = lines.pop()!;
    for (const line of lines) {
      const [word, n] = line.split(" ");
      if (word === "ack") acked.push(Number(n));
      else if (word === "ready") {
        ready = Number(n);
        setTimeout(() => {
          killed = true;
          proc.kill("SIGKILL");
        }, delayMs);
      }
    }
  }
  const status = await proc.status;
  assert.ok(
    killed && status.signal === "SIGKILL",
    `child ended on its own: ${JSON.stringify(status)}`,
  );
  return { acked, ready };
}

Deno.test("crash: SIGKILL at random moments never loses an acknowledged event", async () => {
  const dataDir = await tempDataDir();
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  let total = 0;
  let torn = 0;
  for (let i = 0; i < KILLS; i++) {
    const { acked, ready } = await runAndKill(dataDir, 5 + Math.floor(random() * 150));
    total += acked.length;
    // The offline reader must cope with the crashed log before anyone repairs it.
    const view = await readDataDir(dataDir);
    const store = new FileStore({ dataDir });
    const { report } = await store.open(); // throws on anything but a torn tail
    if (report.truncated) torn++;
    assert.equal(view.report.lastSeq, report.lastSeq);
    assert.ok(report.lastSeq >= ready);
    const max = acked.length ? Math.max(...acked) : 0;
    // The log is contiguous from 1 (open checks it), so lastSeq >= every acked seq means all
    // acknowledged events are present.
    assert.ok(report.lastSeq >= max, `kill ${i}: acked ${max} but log ends at ${report.lastSeq}`);
    await store.close();
  }
  assert.ok(total > KILLS, `events were acknowledged (${total}); torn tails seen: ${torn}`);
});

// kill -9 against occurrences recorded ahead: a run may start before its RUN_STARTED is on
// disk, so its RUN_DUE must be there first, and a restart must run again every occurrence whose
// start did not reach the log.
import assert from "node:assert/strict";

const CHILD = new URL("./fixtures/ahead_child.ts", import.meta.url).pathname;
const KILLS = 10;

interface Rec {
  type: string;
  job?: string;
  scheduledAt?: string;
  trigger?: string;
  ahead?: boolean;
}

/** Every complete record of the log (a torn last line is left out, as recovery cuts it). */
function records(dataDir: string): Rec[] {
  const out: Rec[] = [];
  for (
    const e of [...Deno.readDirSync(`${dataDir}/log`)].sort((a, b) => a.name < b.name ? -1 : 1)
  ) {
    const text = Deno.readTextFileSync(`${dataDir}/log/${e.name}`);
    for (const line of text.slice(0, text.lastIndexOf("\n") + 1).split("\n")) {
      if (line) out.push(JSON.parse(line));
    }
  }
  return out;
}

async function child(args: string[], killAfterMs: number | null): Promise<void> {
  const p = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const reader = (async () => {
    for await (const c of p.stdout) out += new TextDecoder().decode(c);
  })();
  const stderr = new Response(p.stderr).text();
  if (killAfterMs !== null) {
    const deadline = Date.now() + 20_000;
    while (!out.includes("started\n") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, killAfterMs));
    p.kill("SIGKILL");
  }
  const status = await p.status;
  await reader;
  const err = await stderr;
  if (killAfterMs === null) assert.equal(status.code, 0, err);
  else assert.equal(status.signal, "SIGKILL", err);
}

Deno.test(`kill -9 x${KILLS} with runs started on their RUN_DUE: every side effect recorded, re-run at most once`, async () => {
  const dir = await Deno.makeTempDir({ prefix: "kron-ahead-crash-" });
  const dataDir = `${dir}/data`;
  const effectsPath = `${dir}/effects`;
  const anchor = String(Math.floor(Date.now() / 1000) * 1000);
  const keyOf = (job: string, at: string) => `${job} ${at}`;
  for (let i = 0; i < KILLS; i++) {
    await child([dataDir, effectsPath, anchor, "kill"], 100 + Math.floor(Math.random() * 500));
    // Every side effect so far had a record of its occurrence in the log before it.
    const recorded = new Set(
      records(dataDir)
        .filter((r) => r.type === "RUN_STARTED" || (r.type === "RUN_DUE" && r.ahead))
        .map((r) => keyOf(r.job!, r.scheduledAt!)),
    );
    const effects = Deno.readTextFileSync(effectsPath).split("\n").filter(Boolean);
    const bare = effects.filter((e) => !recorded.has(e));
    assert.deepEqual(bare.slice(0, 3), [], `kill ${i}: ${bare.length} side effects with no record`);
  }
  await child([dataDir, effectsPath, anchor, "clean"], null);
  const recs = records(dataDir);
  const started = recs.filter((r) => r.type === "RUN_STARTED");
  const startedKeys = new Set(started.map((r) => keyOf(r.job!, r.scheduledAt!)));
  const effects = Deno.readTextFileSync(effectsPath).split("\n").filter(Boolean);
  // At least once, and on the record: every occurrence with a side effect has a RUN_STARTED.
  const unrecorded = [...new Set(effects)].filter((e) => !startedKeys.has(e));
  assert.deepEqual(unrecorded.slice(0, 3), [], `${unrecorded.length} occurrences never recorded`);
  // No occurrence fired twice on schedule; a second start is always a recovery run.
  const scheduled = new Map<string, number>();
  for (const r of started.filter((r) => r.trigger === "schedule")) {
    const k = keyOf(r.job!, r.scheduledAt!);
    scheduled.set(k, (scheduled.get(k) ?? 0) + 1);
  }
  assert.deepEqual([...scheduled].filter(([, n]) => n > 1).slice(0, 3), []);
  // Re-run at most once: at most two side effects and two recorded starts per occurrence.
  const count = (keys: string[]) => {
    const m = new Map<string, number>();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    return [...m].filter(([, n]) => n > 2);
  };
  assert.deepEqual(count(effects).slice(0, 3), [], "an occurrence ran more than twice");
  assert.deepEqual(count(started.map((r) => keyOf(r.job!, r.scheduledAt!))).slice(0, 3), []);
  const recoveries = started.filter((r) => r.trigger === "recovery").length;
  const aheadKeys = new Set(
    recs.filter((r) => r.type === "RUN_DUE" && r.ahead).map((r) => keyOf(r.job!, r.scheduledAt!)),
  );
  const ahead = aheadKeys.size;
  assert.ok(started.length > KILLS * 200, `the child did little work (${started.length} starts)`);
  // The path under test was taken: most scheduled starts were recorded ahead (a start-up or a
  // stalled machine fires overdue occurrences the usual way, without a record ahead).
  const onSchedule = started.filter((r) => r.trigger === "schedule");
  const wasAhead = onSchedule.filter((r) => aheadKeys.has(keyOf(r.job!, r.scheduledAt!))).length;
  assert.ok(wasAhead * 2 > onSchedule.length, `${wasAhead} of ${onSchedule.length} recorded ahead`);
  console.log(
    `${KILLS} kills: ${effects.length} side effects, ${started.length} starts ` +
      `(${recoveries} recovery), ${ahead} occurrences recorded ahead (${wasAhead} of ` +
      `${onSchedule.length} scheduled starts)`,
  );
  await Deno.remove(dir, { recursive: true });
});

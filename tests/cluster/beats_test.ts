// The worker's heartbeat timer (src/cluster/_beats.ts): each entry is called on its own period
// until deleted, entries added later fire on their own time, and deleting the last entry
// leaves no timer behind (the test sanitizer fails on a leaked timer).
import { assert, assertEquals } from "../api/_assert.ts";
import { Beats } from "../../src/cluster/_beats.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    assert(Date.now() < deadline, "timed out waiting");
    await sleep(5);
  }
}

Deno.test("beats: each entry on its own period, until deleted; no timer left", async () => {
  const beats = new Beats();
  const calls = { fast: 0, slow: 0, late: 0 };
  const t0 = Date.now();
  const at: Record<string, number[]> = { fast: [], slow: [], late: [] };
  const beat = (k: keyof typeof calls) => () => {
    calls[k]++;
    at[k].push(Date.now() - t0);
  };
  beats.add("fast", 40, beat("fast"));
  beats.add("slow", 400, beat("slow"));
  await until(() => calls.fast >= 3);
  // Added later, with a shorter period than the armed timer's next firing of "slow".
  beats.add("late", 30, beat("late"));
  await until(() => calls.late >= 3 && calls.slow >= 1);
  // Never early by more than a tenth of the period (a firing shares with entries nearly due).
  assert(at.slow[0] >= 360, `slow fired at ${at.slow[0]} ms, before its 400 ms period`);
  assert(at.fast[0] >= 36, `fast fired at ${at.fast[0]} ms, before its 40 ms period`);
  beats.delete("fast");
  const fast = calls.fast;
  await until(() => calls.late >= 6);
  assertEquals(calls.fast, fast, "a deleted entry was called again");
  beats.delete("late");
  beats.delete("slow");
  const all = { ...calls };
  await sleep(100);
  assertEquals(calls, all, "an entry was called after every entry was deleted");
});

Deno.test("beats: an entry deleted by another's call is not called", async () => {
  const beats = new Beats();
  let second = 0;
  beats.add("a", 20, () => beats.delete("b"));
  beats.add("b", 20, () => second++);
  await sleep(80);
  beats.delete("a");
  assertEquals(second, 0, "b was called after a deleted it in the same firing");
});

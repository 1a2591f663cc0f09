// What a thread did around a moment of the load case: a `--cpu-prof` profile read per slice of
// wall time around an epoch time (a late instant or a slow scrape that `KRON_LOAD_BURSTS=1`
// names with its `@<epoch ms>`), each slice with its busy milliseconds and the frames that took
// them (the nearest kron frame, then the leaf). A profile's sample times are CLOCK_MONOTONIC
// microseconds: `offset` is the epoch minus CLOCK_MONOTONIC in ms, read once on the machine
// while the run lasts (`python3 -c 'import time; print(time.time()*1e3 -
// time.clock_gettime(time.CLOCK_MONOTONIC)*1e3)'`). That lined a profile up only to ~30 ms
// (session 13: 27 ms early): calibrate it on an instant that started on time, whose
// `waitUntil` (clock.ts) samples mark its due time, and pass the corrected offset. A slice with
// no samples at all is time the thread was not running (descheduled); one of `(idle)` samples
// is the thread waiting in its event loop.
//
// Profiles: `KRON_LOAD_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` writes the scheduler's
// thread's; a worker's (`*.worker-N.cpuprofile`) only when it exits by itself, which the front
// does not (a local patch: `self.close()` after "closed" in _front_worker.ts, and a pause before
// `terminate()` in _front.ts).
//
// Usage: deno run --allow-read scripts/dev/prof_at.ts <profile> <epochMs> <offsetMs>
//        [beforeMs=300] [afterMs=150] [sliceMs=25]

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, epochArg, offsetArg, beforeArg, afterArg, sliceArg] = Deno.args;
if (offsetArg === undefined) {
  console.error("usage: prof_at.ts <profile> <epochMs> <offsetMs> [beforeMs] [afterMs] [sliceMs]");
  Deno.exit(2);
}
const at = (Number(epochArg) - Number(offsetArg)) * 1000;
const before = Number(beforeArg ?? 300) * 1000;
const after = Number(afterArg ?? 150) * 1000;
const slice = Number(sliceArg ?? 25) * 1000;

const p: Profile = JSON.parse(Deno.readTextFileSync(file));
const nodes = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (id: number): string => {
  const f = nodes.get(id)!.callFrame;
  return `${f.functionName || "(anon)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
};
/** The nearest frame of kron's own code (src/), with the leaf after it. */
const label = (id: number): string => {
  for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
    if (nodes.get(x)!.callFrame.url.includes("/src/")) {
      return x === id ? name(id) : `${name(x)} < ${name(id)}`;
    }
  }
  return name(id);
};

const times: number[] = [];
let t = p.startTime;
for (const d of p.timeDeltas) times.push(t += d);
console.log(
  `profile ${(times[0] / 1000).toFixed(0)}–${(times.at(-1)! / 1000).toFixed(0)} ms ` +
    `(monotonic); the moment at ${(at / 1000).toFixed(0)}`,
);
for (let from = at - before; from < at + after; from += slice) {
  const by = new Map<string, number>();
  let busy = 0;
  let samples = 0;
  for (let i = 0; i < p.samples.length - 1; i++) {
    if (times[i] < from || times[i] >= from + slice) continue;
    samples++;
    const id = p.samples[i];
    if (nodes.get(id)!.callFrame.functionName === "(idle)") continue;
    const dt = times[i + 1] - times[i];
    busy += dt;
    const k = label(id);
    by.set(k, (by.get(k) ?? 0) + dt);
  }
  const top = [...by].sort((a, b) => b[1] - a[1]).slice(0, 4)
    .map(([k, v]) => `${(v / 1000).toFixed(1)} ${k}`).join(" | ");
  const offset = ((from - at) / 1000).toFixed(0).padStart(5);
  console.log(
    `${offset} ms: ${samples === 0 ? "no samples" : `busy ${(busy / 1000).toFixed(1)}`}  ${top}`,
  );
}

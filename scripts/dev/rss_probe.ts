// RSS per job at N jobs (default 100,000) through the bench's scale subject, plus V8's heap
// spaces afterwards. Run with --v8-flags=--expose-gc[,--max-semi-space-size=N] to compare.
import { getHeapSpaceStatistics } from "node:v8";
import { kronScale } from "../bench/subjects/scale.ts";
const r = await kronScale({ jobs: Number(Deno.args[0] ?? 100_000), idleMs: 1000 });
console.log(JSON.stringify(r));
for (const s of getHeapSpaceStatistics()) {
  if (s.space_size > 0) {
    console.log(
      s.space_name.padEnd(24),
      "size",
      (s.space_size / 2 ** 20).toFixed(1),
      "used",
      (s.space_used_size / 2 ** 20).toFixed(1),
    );
  }
}

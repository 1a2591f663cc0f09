import { SandboxPools } from "../../src/jobs/sandbox_pool.ts";
import { emptyPermissions } from "../../src/jobs/grants.ts";
const dir = await Deno.makeTempDir();
const path = `${dir}/jobs.ts`;
let body = "let n = 0; const run = (ctx) => { n += ctx.attempt; };\nexport default {\n";
for (let i = 0; i < 1000; i++) body += `j${i}: { every: "1h", run },\n`;
await Deno.writeTextFile(path, body + "};\n");
const pools = new SandboxPools({ path, grant: emptyPermissions(), size: 1 });
const execs = Array.from(
  { length: 1000 },
  (_, i) => pools.executor(`j${i}`, emptyPermissions(), false),
);
let id = 0;
const cpu = () => {
  const s = Deno.readTextFileSync("/proc/self/stat");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
};
const ctx = (job: string) => ({
  job,
  runId: `R${++id}`,
  attempt: 1,
  scheduledAt: new Date(),
  idempotencyKey: `k${id}`,
  signal: null as unknown as AbortSignal,
  log: null as never,
});
let hostMs = 0;
let flushMs = 0;
const ctxs = () => execs.map((_, i) => ctx(`j${i}`));
async function burst() {
  const cs = ctxs();
  const t = performance.now();
  const ps = execs.map((e, i) => e(cs[i]));
  const t1 = performance.now();
  execs[0].flush!();
  hostMs += performance.now() - t;
  flushMs += performance.now() - t1;
  await Promise.all(ps);
}
await burst();
const c0 = cpu();
const t0 = performance.now();
for (let r = 0; r < 50; r++) await burst();
console.log(
  `host dispatch+flush ${(hostMs * 1000 / 50000).toFixed(2)} µs/run (flush ${
    (flushMs * 1000 / 50000).toFixed(2)
  })`,
);
console.log(
  `cpu/run ${((cpu() - c0) * 1000 / 50000).toFixed(1)} µs, wall/run ${
    ((performance.now() - t0) * 1000 / 50000).toFixed(1)
  } µs`,
);
pools.close();

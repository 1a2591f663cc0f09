// define.ts is what a job file imports: at run time it loads only itself and
// src/jobs/define.ts (its other exports are types, erased), so a sandbox worker never loads
// the engine, Hono or postgres. mod.ts hands out the same defineJobs.
import { assertEquals } from "./api/_assert.ts";
import { defineJobs as fromDefine } from "../define.ts";
import { defineJobs as fromMod } from "../mod.ts";

const ROOT = new URL("../", import.meta.url);

interface Info {
  modules: { specifier: string; dependencies?: { code?: { specifier: string } }[] }[];
}

Deno.test("define.ts loads only itself and src/jobs/define.ts at run time", () => {
  const out = new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "define.ts"],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const info: Info = JSON.parse(new TextDecoder().decode(out.stdout));
  const byUrl = new Map(info.modules.map((m) => [m.specifier, m]));
  const loaded = new Set<string>();
  const visit = (url: string) => {
    if (loaded.has(url)) return;
    loaded.add(url);
    for (const d of byUrl.get(url)?.dependencies ?? []) if (d.code) visit(d.code.specifier);
  };
  visit(new URL("define.ts", ROOT).href);
  assertEquals(
    [...loaded].map((u) => u.startsWith(ROOT.href) ? u.slice(ROOT.href.length) : u).sort(),
    ["define.ts", "src/jobs/define.ts"],
  );
});

Deno.test("mod.ts and define.ts export the same defineJobs", () => {
  assertEquals(fromMod, fromDefine);
  const jobs = { a: { every: "1h", run: () => {} } };
  assertEquals(fromDefine(jobs), jobs);
});

// Issue 15, item 9: a read command against a live runtime loads only what it needs. Deno builds
// the module graph of what it imports, literal dynamic imports included, before running it, so
// what `kron status` pays for at start-up is the code graph of main.ts plus that of the status
// command's module. Read here from `deno info --json` (code dependencies only: type-only imports
// are not loaded by `deno run`).
import assert from "node:assert/strict";
import { LAZY_MODULES } from "../../src/cli/lazy.ts";
import { COMMANDS } from "../../src/cli/main.ts";
import { INCLUDES } from "../../scripts/compile.ts";

const ROOT = new URL("../../", import.meta.url);

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string } }[];
}

/** The modules `deno run` loads for `roots`: their code dependencies, transitively. */
async function codeGraph(...roots: string[]): Promise<Set<string>> {
  const seen = new Set<string>();
  for (const root of roots) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", new URL(root, ROOT).pathname],
      cwd: ROOT.pathname,
      stderr: "inherit",
    }).output();
    assert.equal(out.code, 0);
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      roots: string[];
      modules: InfoModule[];
      redirects: Record<string, string>;
    };
    const byUrl = new Map(info.modules.map((m) => [m.specifier, m]));
    const stack = [...info.roots];
    while (stack.length > 0) {
      const url = stack.pop()!;
      const spec = info.redirects[url] ?? url;
      if (seen.has(spec)) continue;
      seen.add(spec);
      for (const dep of byUrl.get(spec)?.dependencies ?? []) {
        if (dep.code) stack.push(dep.code.specifier);
      }
    }
  }
  return new Set(
    [...seen].map((s) => s.startsWith(ROOT.href) ? s.slice(ROOT.href.length) : s),
  );
}

Deno.test("kron status loads the client, not the engine, the store, the loaders, Hono or npm", async () => {
  const graph = await codeGraph("main.ts", "src/cli/commands/status.ts");
  assert.ok(graph.has("src/api/client.ts"), [...graph].join(", "));
  const heavy = [...graph].filter((m) =>
    m.startsWith("npm:") || m.startsWith("jsr:") ||
    /^src\/(engine|store|jobs|schedule|cluster|policy|events|kron)\//.test(m) ||
    (/^src\/(api|http)\//.test(m) &&
      ![
        "src/api/client.ts",
        "src/api/sse_parser.ts",
        "src/api/_unix_http.ts",
        "src/http/client.ts",
        "src/http/errors.ts",
        "src/http/nodes.ts",
      ].includes(m))
  );
  assert.deepEqual(heavy, [], `kron status would load: ${heavy.join(", ")}`);
  // And the dispatcher itself stays small: every command is outside main.ts's graph.
  const main = await codeGraph("main.ts");
  assert.ok(main.size <= 8, `main.ts's graph: ${[...main].join(", ")}`);
});

Deno.test("every command module is a lazy module, and deno compile includes them all", async () => {
  for (const [name, entry] of Object.entries(COMMANDS)) {
    assert.ok(LAZY_MODULES.includes(`src/cli/commands/${name}.ts` as never), name);
    const mod = await entry.load();
    assert.equal(typeof mod.run, "function", name);
    assert.match(mod.help, /^kron /, name);
  }
  for (const path of LAZY_MODULES) {
    assert.ok(INCLUDES.includes(path), `--include ${path}`);
    assert.ok((await Deno.stat(new URL(path, ROOT))).isFile, path);
  }
});

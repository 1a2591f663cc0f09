// The library's module graph (mod.ts: the Kron class, which serves the admin API, the API, the
// cluster) has no import cycle, type-only and dynamic imports included.
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

interface Info {
  modules: {
    specifier: string;
    dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
  }[];
}

function localGraph(entry: string): Map<string, string[]> {
  const out = new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info: Info = JSON.parse(new TextDecoder().decode(out.stdout));
  const local = (s: string) => s.startsWith(ROOT.href);
  const graph = new Map<string, string[]>();
  for (const m of info.modules) {
    if (!local(m.specifier)) continue;
    const deps = (m.dependencies ?? []).flatMap((d) => [d.code?.specifier, d.type?.specifier])
      .filter((s): s is string => s !== undefined && local(s));
    graph.set(m.specifier.slice(ROOT.href.length), deps.map((s) => s.slice(ROOT.href.length)));
  }
  return graph;
}

/** One cycle of the graph as a path `a -> b -> … -> a`, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, "done");
    return null;
  };
  for (const node of graph.keys()) {
    if (!state.has(node)) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return null;
}

Deno.test("mod.ts's module graph has no import cycle (type and dynamic imports count)", () => {
  const graph = localGraph("mod.ts");
  assert.ok(graph.has("src/kron.ts") && graph.has("src/api/serve.ts"), [...graph.keys()].join());
  assert.equal(findCycle(graph)?.join(" -> ") ?? null, null);
});

Deno.test("findCycle finds one", () => {
  const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", []]]);
  assert.deepEqual(findCycle(graph), ["a", "b", "c", "a"]);
  assert.equal(findCycle(new Map([["a", ["b"]], ["b", []]])), null);
});

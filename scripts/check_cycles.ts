// `deno task check` step: fails when the modules under src/ have an import cycle. Type-only and
// dynamic imports count as edges: deno info lists both, and the CLI's lazyImport("src/…") calls
// (a computed specifier deno info cannot see, src/cli/lazy.ts) are added as edges too. The
// graph is that of every module under src/ (plus main.ts and mod.ts), so a module only a lazy
// import or a worker reaches is checked as well. Prints each cycle (a strongly connected
// component) with one path through it, so the fix starts from a name.
//
// It also checks the doors of the folders in DOORS: a module outside such a folder imports it
// only through its mod.ts or one of the light second entries listed (docs/architecture.md);
// and the layers of LAYERS: a folder imports only folders below it, the modules directly under
// src/ import no folder.
//
//   deno run --allow-read --allow-write --allow-run scripts/check_cycles.ts

const ROOT = new URL("../", import.meta.url);

interface Info {
  modules: {
    specifier: string;
    dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
  }[];
}

/** The graph of local modules reachable from `entry`, by path relative to the repository. */
export function localGraph(entry: string): Map<string, string[]> {
  const out = new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  const info: Info = JSON.parse(new TextDecoder().decode(out.stdout));
  const local = (s: string) => s.startsWith(ROOT.href);
  const graph = new Map<string, string[]>();
  for (const m of info.modules) {
    if (!local(m.specifier)) continue;
    const deps = (m.dependencies ?? []).flatMap((d) => [d.code?.specifier, d.type?.specifier])
      .filter((s): s is string => s !== undefined && local(s));
    graph.set(
      m.specifier.slice(ROOT.href.length),
      [...new Set(deps.map((s) => s.slice(ROOT.href.length)))],
    );
  }
  return graph;
}

/** Strongly connected components with more than one module (or a self-import): the cycles. */
export function cycles(graph: Map<string, string[]>, keep: (m: string) => boolean): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  const nodes = [...graph.keys()].filter(keep);
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of (graph.get(v) ?? []).filter(keep)) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of nodes) if (!idx.has(v)) strong(v);
  return found;
}

/** One path around a cycle, from its first module back to it. */
function pathIn(graph: Map<string, string[]>, scc: string[]): string[] {
  const inside = new Set(scc);
  const start = scc[0];
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let x: string | undefined = v; x !== undefined && x !== start; x = prev.get(x)) {
          path.splice(1, 0, x);
        }
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return scc;
}

/** Every .ts module under `dir` (relative to the repository). */
function modulesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(new URL(dir, ROOT))) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...modulesUnder(path));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/**
 * Folders whose door is enforced, with their documented light second entries: other modules
 * under src/ import them only through `src/<folder>/mod.ts` or one of these.
 */
export const DOORS: Record<string, string[]> = {
  // The read models: the CLI's offline `kron status` loads them without the engine.
  engine: ["src/engine/views.ts"],
  events: [],
  // Process groups without the job runtime: src/kron/'s clean-up of a crash's leftover command
  // groups (a library app that loads no job file does not load the loaders and the sandbox).
  jobs: ["src/jobs/process_tree.ts"],
  // The admin client without Hono: the CLI's read commands.
  api: ["src/api/client.ts"],
  cluster: [],
  kron: [],
  // Clients without Hono (src/api/client.ts, the cluster's SDK), and the job views the CLI's
  // offline reads load.
  http: ["src/http/client.ts", "src/http/job_views.ts"],
  policy: [],
  // Durations without the cron engine (croner): job-file checks, the CLI's flags.
  schedule: ["src/schedule/duration.ts"],
  // The `durability` values without the log: the job-file checker.
  store: ["src/store/durability.ts"],
};

/** Imports that go around a folder's door: `from -> to` lines. */
export function doorViolations(graph: Map<string, string[]>): string[] {
  const folderOf = (m: string) => m.split("/").length > 2 ? m.split("/")[1] : m;
  const out: string[] = [];
  for (const [from, deps] of graph) {
    if (!from.startsWith("src/")) continue;
    for (const to of deps) {
      const folder = folderOf(to);
      const light = DOORS[folder];
      if (!to.startsWith("src/") || light === undefined || folderOf(from) === folder) continue;
      if (to === `src/${folder}/mod.ts` || light.includes(to)) continue;
      out.push(`${from} -> ${to}`);
    }
  }
  return out;
}

/**
 * The layers under src/, bottom to top: a folder imports only folders of a lower layer (folders
 * of one layer not each other). The modules directly under src/ (errors.ts, paths.ts, ulid.ts,
 * sleep.ts, version.ts) are the floor: every folder may import them, and they import no folder.
 */
export const LAYERS: string[][] = [
  ["schedule"],
  ["events"],
  ["policy"],
  ["store"],
  ["engine"],
  ["jobs"],
  ["http"],
  ["api", "cluster"],
  ["kron"],
  ["cli"],
];

/** Imports that go up or across the layers: `from -> to (folder a above/beside b)` lines. */
export function layerViolations(graph: Map<string, string[]>): string[] {
  const rank = new Map<string, number>();
  LAYERS.forEach((layer, i) => layer.forEach((folder) => rank.set(folder, i)));
  // A module directly under src/ is on the floor (-1); a folder not in LAYERS is reported.
  const layerOf = (m: string) => {
    const parts = m.split("/");
    return parts.length === 2 ? -1 : rank.get(parts[1]) ?? NaN;
  };
  const folderOf = (m: string) => m.split("/").length > 2 ? m.split("/")[1] : m;
  const out: string[] = [];
  for (const [from, deps] of graph) {
    if (!from.startsWith("src/")) continue;
    for (const to of deps) {
      if (!to.startsWith("src/") || folderOf(from) === folderOf(to)) continue;
      const a = layerOf(from), b = layerOf(to);
      if (b < a || (a === -1 && b === -1)) continue;
      const why = Number.isNaN(a) || Number.isNaN(b)
        ? "a folder missing from LAYERS"
        : b === a
        ? `${folderOf(from)} and ${folderOf(to)} are one layer`
        : `${folderOf(to)} is above ${folderOf(from)}`;
      out.push(`${from} -> ${to} (${why})`);
    }
  }
  return out;
}

const LAZY = /lazyImport(?:<[^>]*>)?\(\s*"(src\/[^"]+)"/g;

if (import.meta.main) {
  const modules = ["main.ts", "mod.ts", ...modulesUnder("src")];
  const entry = await Deno.makeTempFile({ dir: ROOT.pathname, prefix: ".cycles_", suffix: ".ts" });
  let graph: Map<string, string[]>;
  try {
    await Deno.writeTextFile(
      entry,
      modules.map((m) => `import type {} from "${new URL(m, ROOT).href}";`).join("\n") + "\n",
    );
    graph = localGraph(entry);
  } finally {
    await Deno.remove(entry);
  }
  for (const [from, deps] of graph) {
    if (!from.startsWith("src/")) continue;
    const text = Deno.readTextFileSync(new URL(from, ROOT));
    for (const m of text.matchAll(LAZY)) if (!deps.includes(m[1])) deps.push(m[1]);
  }
  const bypass = doorViolations(graph);
  for (const line of bypass) console.error(`import around a folder's door: ${line}`);
  if (bypass.length > 0) {
    console.error(
      `${bypass.length} import(s) around a folder's mod.ts (enter through mod.ts or a light ` +
        `entry listed in scripts/check_cycles.ts DOORS; docs/architecture.md)`,
    );
    Deno.exit(1);
  }
  const upward = layerViolations(graph);
  for (const line of upward) console.error(`import against the layers: ${line}`);
  if (upward.length > 0) {
    console.error(
      `${upward.length} import(s) against the layers ${
        LAYERS.map((l) => l.join(" / ")).join(" ← ")
      } (scripts/check_cycles.ts LAYERS; docs/architecture.md)`,
    );
    Deno.exit(1);
  }
  const found = cycles(graph, (m) => m.startsWith("src/"));
  for (const scc of found) {
    console.error(`import cycle (${scc.length} modules): ${pathIn(graph, scc).join(" -> ")}`);
  }
  if (found.length > 0) {
    console.error(
      `${found.length} import cycle(s) under src/ (${graph.size} modules): ` +
        "a folder imports only folders below it (docs/design.md §2)",
    );
    Deno.exit(1);
  }
  console.log(`no import cycle under src/ (${graph.size} modules)`);
}

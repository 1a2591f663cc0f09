// scripts/check_cycles.ts (run by `deno task check`): its cycle finder finds a cycle through a
// type-only or lazy edge as well as a direct one, ignores modules outside src/, and the
// repository as it stands has none.
import { assertEquals } from "../api/_assert.ts";
import { cycles, doorViolations, layerViolations } from "../../scripts/check_cycles.ts";

const underSrc = (m: string) => m.startsWith("src/");

Deno.test("check_cycles: finds cycles as strongly connected components", () => {
  const graph = new Map<string, string[]>([
    ["src/a.ts", ["src/b.ts"]],
    ["src/b.ts", ["src/c.ts"]],
    ["src/c.ts", ["src/a.ts", "src/d.ts"]],
    ["src/d.ts", []],
    ["src/self.ts", ["src/self.ts"]],
    ["tests/x.ts", ["tests/y.ts"]],
    ["tests/y.ts", ["tests/x.ts"]],
  ]);
  assertEquals(cycles(graph, underSrc), [["src/a.ts", "src/b.ts", "src/c.ts"], ["src/self.ts"]]);
  graph.set("src/c.ts", ["src/d.ts"]);
  assertEquals(cycles(graph, underSrc), [["src/self.ts"]]);
  graph.set("src/self.ts", []);
  assertEquals(cycles(graph, underSrc), []);
});

Deno.test("check_cycles: another folder enters a folder only through mod.ts or a light entry", () => {
  const graph = new Map<string, string[]>([
    ["src/api/a.ts", ["src/engine/mod.ts", "src/engine/views.ts", "src/store/state.ts"]],
    ["src/jobs/c.ts", ["src/store/durability.ts", "src/schedule/duration.ts", "src/cli/x.ts"]],
    ["src/engine/engine.ts", ["src/engine/runs.ts"]],
    ["src/kron/mod.ts", ["src/engine/engine.ts"]],
    ["src/cluster/b.ts", ["src/engine/types.ts"]],
    ["tests/t.ts", ["src/engine/engine.ts"]],
  ]);
  assertEquals(doorViolations(graph), [
    "src/api/a.ts -> src/store/state.ts",
    "src/kron/mod.ts -> src/engine/engine.ts",
    "src/cluster/b.ts -> src/engine/types.ts",
  ]);
});

Deno.test("check_cycles: a folder imports only folders below it; the floor imports no folder", () => {
  const graph = new Map<string, string[]>([
    // Allowed: down the layers, into the floor, within a folder, floor to floor.
    ["src/engine/engine.ts", ["src/store/mod.ts", "src/errors.ts", "src/engine/runs.ts"]],
    ["src/kron/kron.ts", ["src/api/mod.ts", "src/cluster/mod.ts", "src/jobs/mod.ts"]],
    ["src/paths.ts", ["src/errors.ts"]],
    // Not allowed: up, across one layer, the floor into a folder, an unknown folder.
    ["src/jobs/runtime.ts", ["src/kron/mod.ts"]],
    ["src/cluster/server.ts", ["src/api/mod.ts"]],
    ["src/errors.ts", ["src/engine/mod.ts"]],
    ["src/misc/x.ts", ["src/schedule/mod.ts"]],
    ["tests/t.ts", ["src/cli/main.ts"]],
  ]);
  assertEquals(layerViolations(graph), [
    "src/jobs/runtime.ts -> src/kron/mod.ts (kron is above jobs)",
    "src/cluster/server.ts -> src/api/mod.ts (cluster and api are one layer)",
    "src/errors.ts -> src/engine/mod.ts (engine is above src/errors.ts)",
    "src/misc/x.ts -> src/schedule/mod.ts (a folder missing from LAYERS)",
  ]);
});

Deno.test("check_cycles: the repository's src/ has no import cycle", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-run", "scripts/check_cycles.ts"],
    cwd: new URL("../../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, text);
  assertEquals(/no import cycle under src\/ \(\d+ modules\)/.test(text), true, text);
});

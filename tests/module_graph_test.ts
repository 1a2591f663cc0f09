// The library's module graph (mod.ts: the Kron class, which serves the admin API, the API, the
// cluster) has no import cycle, type-only and dynamic imports included. The graph and cycle
// finder are scripts/check_cycles.ts's (run by `deno task check` over all of src/).
import assert from "node:assert/strict";
import { cycles, localGraph } from "../scripts/check_cycles.ts";

Deno.test("mod.ts's module graph has no import cycle (type and dynamic imports count)", () => {
  const graph = localGraph("mod.ts");
  assert.ok(
    graph.has("src/kron/mod.ts") && graph.has("src/api/serve.ts"),
    [...graph.keys()].join(),
  );
  assert.deepEqual(cycles(graph, () => true), []);
});

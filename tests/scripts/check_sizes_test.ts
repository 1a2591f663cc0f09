// scripts/check_sizes.ts (run by `deno task check`): a module under src/ over 600 lines, or
// src/engine/engine.ts over 500, fails the check; the repository as it stands passes.
import { assertEquals } from "../api/_assert.ts";
import { oversized } from "../../scripts/check_sizes.ts";

Deno.test("check_sizes: 600 lines for a module, 500 for the engine's facade", () => {
  const lines = new Map([
    ["src/a.ts", 600],
    ["src/b.ts", 601],
    ["src/engine/engine.ts", 501],
    ["src/engine/runs.ts", 501],
  ]);
  assertEquals(oversized(lines), [
    "src/b.ts: 601 lines > 600",
    "src/engine/engine.ts: 501 lines > 500",
  ]);
  lines.set("src/engine/engine.ts", 500);
  lines.set("src/b.ts", 10);
  assertEquals(oversized(lines), []);
});

Deno.test("check_sizes: the repository's src/ passes", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "scripts/check_sizes.ts"],
    cwd: new URL("../../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, text);
});

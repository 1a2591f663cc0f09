// VERSION lives in one module (src/version.ts) and agrees with deno.json's version, so
// `kron version`, RUNTIME_STARTED and the package say the same.
import { assertEquals } from "./api/_assert.ts";
import { VERSION } from "../src/version.ts";
import { VERSION as fromMod } from "../mod.ts";

Deno.test("VERSION equals deno.json's version and is the one mod.ts exports", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assertEquals(VERSION, config.version);
  assertEquals(fromMod, VERSION);
});

Deno.test("no other module under src/ defines a VERSION", async () => {
  const found: string[] = [];
  const walk = async (dir: URL) => {
    for await (const e of Deno.readDir(dir)) {
      const url = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
      if (e.isDirectory) await walk(url);
      else if (
        e.name.endsWith(".ts") && /export const VERSION\b/.test(await Deno.readTextFile(url))
      ) {
        found.push(url.pathname.slice(url.pathname.indexOf("/src/") + 1));
      }
    }
  };
  await walk(new URL("../src/", import.meta.url));
  assertEquals(found, ["src/version.ts"]);
});

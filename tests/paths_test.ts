// One path and host:port module (src/paths.ts) behind the CLI's --http, the [kron] http
// setting and the store's messages: the two parseHostPort agree on what host:port is and
// differ only in what an empty host means (the setting requires one; --http means loopback).
import nodeAssert from "node:assert/strict";
import { assertEquals } from "./api/_assert.ts";
import { absolute, splitHostPort } from "../src/paths.ts";
import { parseHostPort as parseHttpFlag } from "../src/http/host_port.ts";
import { parseHostPort as parseSetting } from "../src/jobs/settings.ts";

Deno.test("absolute resolves . and .. textually against the cwd", () => {
  assertEquals(absolute("/x/./y/../z"), "/x/z");
  assertEquals(absolute("a/b/.."), `${Deno.cwd() === "/" ? "" : Deno.cwd()}/a`);
});

Deno.test("host:port is split one way; an empty host is each caller's call", () => {
  for (const text of ["127.0.0.1:8080", "localhost:0", "[::1]:9000", ":8080"]) {
    const split = splitHostPort(text)!;
    assertEquals(parseHttpFlag(text), { hostname: split.host || "127.0.0.1", port: split.port });
    assertEquals(parseSetting(text), split.host === "" ? null : split);
  }
  for (const text of ["8080", "host:70000", "a b:80", "[::1]"]) {
    assertEquals(splitHostPort(text), null);
    assertEquals(parseSetting(text), null);
    nodeAssert.throws(() => parseHttpFlag(text));
  }
});

// The front's pages of `GET /v1/jobs` kept as text (src/api/_front_pages.ts): used only while
// none of their jobs changed and the copy is the same; the least recently asked dropped first.
import { assertEquals } from "./_assert.ts";
import { KeptPages } from "../../src/api/_front_pages.ts";

Deno.test("a kept page is used until a job in it changes, whatever changes outside it", () => {
  const pages = new KeptPages<object>(4);
  const copy = {};
  const changes = new Int32Array(10);
  const page = '{"jobs":[]}';
  pages.put("3 c", copy, 3, changes.subarray(3, 6), page);
  assertEquals(pages.get("3 c", copy, 3, 3, changes), page);
  changes[2]++;
  changes[6]++;
  assertEquals(pages.get("3 c", copy, 3, 3, changes), page, "changes outside the page");
  changes[5]++;
  assertEquals(pages.get("3 c", copy, 3, 3, changes), undefined, "its last job changed");
  assertEquals(pages.size, 0, "a stale page is dropped");
});

Deno.test("a kept page is not used with another copy, another first slot or another length", () => {
  const pages = new KeptPages<object>(4);
  const copy = {};
  const changes = new Int32Array(10);
  const page = "x";
  for (const [other, lo, n] of [[{}, 3, 3], [copy, 4, 3], [copy, 3, 2]] as const) {
    pages.put("k", copy, 3, changes.subarray(3, 6), page);
    assertEquals(pages.get("k", other, lo, n, changes), undefined, `${lo} ${n}`);
  }
  pages.put("k", copy, 3, changes.subarray(3, 6), page);
  pages.clear();
  assertEquals(pages.get("k", copy, 3, 3, changes), undefined, "cleared");
});

Deno.test("the page kept is a copy of the changes: later changes in place still show", () => {
  const pages = new KeptPages<object>(4);
  const copy = {};
  const changes = new Int32Array(4);
  pages.put("k", copy, 0, changes.subarray(0, 4), "x");
  changes[0]++; // the copy's counters move in place
  assertEquals(pages.get("k", copy, 0, 4, changes), undefined);
});

Deno.test("beyond its limit the least recently asked page is dropped", () => {
  const pages = new KeptPages<object>(2);
  const copy = {};
  const changes = new Int32Array(3);
  const [a, b, c] = ["a", "b", "c"];
  pages.put("a", copy, 0, changes.subarray(0, 1), a);
  pages.put("b", copy, 1, changes.subarray(1, 2), b);
  assertEquals(pages.get("a", copy, 0, 1, changes), a); // a is now the most recent
  pages.put("c", copy, 2, changes.subarray(2, 3), c);
  assertEquals(pages.size, 2);
  assertEquals(pages.get("b", copy, 1, 1, changes), undefined, "b was the least recent");
  assertEquals(pages.get("a", copy, 0, 1, changes), a);
  assertEquals(pages.get("c", copy, 2, 1, changes), c);
});

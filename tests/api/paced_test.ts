// Paced work (src/api/_paced.ts): the pieces of the works waiting alternate, each work's in
// order, and a turn ends once it has lasted turnMs, so a timer due meanwhile runs between turns.
import { assertEquals } from "./_assert.ts";
import { Paced } from "../../src/api/_paced.ts";

Deno.test("works alternate piece by piece, each in its own order, and each resolves when done", async () => {
  const paced = new Paced(1_000);
  const order: string[] = [];
  let a = 0, b = 0;
  let doneA = -1;
  const works = [
    paced.run(() => (order.push(`a${a}`), ++a === 3)).then(() => doneA = order.length),
    paced.run(() => (order.push(`b${b}`), ++b === 2)),
  ];
  await Promise.all(works);
  assertEquals(order, ["a0", "b0", "a1", "b1", "a2"]);
  assertEquals(doneA, 5);
});

Deno.test("a turn ends after turnMs: timers due meanwhile run between turns", async () => {
  const paced = new Paced(5);
  const seen: number[] = [];
  let pieces = 0;
  let ticks = 0;
  const tick = () => {
    ticks++;
    if (pieces < 100) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  await paced.run(() => {
    const t = performance.now();
    while (performance.now() - t < 1); // a piece of 1 ms
    seen.push(ticks);
    return ++pieces === 100;
  });
  // 100 ms of pieces in turns of ~5 ms: the other timer ran between them, many times.
  const between = new Set(seen).size;
  if (between < 5) throw new Error(`the timer ran between ${between} turns only`);
  // No turn ran past its first piece beyond turnMs: at most 6 pieces (5 ms + the last) a turn.
  const perTurn = new Map<number, number>();
  for (const t of seen) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
  const longest = Math.max(...perTurn.values());
  if (longest > 6) throw new Error(`a turn ran ${longest} pieces of 1 ms`);
});

Deno.test("work run first has its pieces run before the others' in every turn", async () => {
  const paced = new Paced(1_000);
  const order: string[] = [];
  let a = 0, f = 0;
  const other = paced.run(() => (order.push(`a${a}`), ++a === 2));
  const first = paced.run(() => (order.push(`f${f}`), ++f === 3), { first: true });
  await Promise.all([other, first]);
  assertEquals(order, ["f0", "f1", "f2", "a0", "a1"]);
});

// GET /v1/events: live SSE, resume with Last-Event-ID (ring, then log), gaps, heartbeats.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { type Rig, startRig, until } from "./_helpers.ts";
import { type SseMessage, SseParser } from "../../src/api/mod.ts";

interface Stream {
  /** The next message (or rejects after `ms`). */
  next(ms?: number): Promise<SseMessage>;
  /** Raw text received so far. */
  raw(): string;
  comments(): number;
  close(): Promise<void>;
}

async function open(
  rig: Rig,
  init: { lastEventId?: number; query?: string } = {},
): Promise<Stream> {
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (init.lastEventId !== undefined) headers["last-event-id"] = String(init.lastEventId);
  const res = await rig.sock(`/v1/events${init.query ?? ""}`, { headers });
  assertEquals(res.status, 200);
  assertMatch(res.headers.get("content-type")!, /^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  const queue: SseMessage[] = [];
  let text = "";
  let pending: Promise<void> | null = null;
  const pump = () =>
    pending ??= reader.read().then(({ value, done }) => {
      pending = null;
      if (done) throw new Error("stream ended");
      text += value;
      queue.push(...parser.push(value));
    });
  return {
    async next(ms = 5000) {
      const end = Date.now() + ms;
      while (queue.length === 0) {
        const left = end - Date.now();
        if (left <= 0) throw new Error("no SSE message in time");
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([pump(), new Promise((r) => timer = setTimeout(r, left))]);
        clearTimeout(timer);
      }
      return queue.shift()!;
    },
    raw: () => text,
    comments: () => parser.comments,
    async close() {
      await reader.cancel().catch(() => {});
      await pending?.catch(() => {});
    },
  };
}

/** Reads messages until one matches. */
async function nextWhere(s: Stream, pred: (m: SseMessage) => boolean): Promise<SseMessage> {
  for (;;) {
    const m = await s.next();
    if (pred(m)) return m;
  }
}

const jobs = { a: { options: { every: "1h" } }, b: { options: { every: "1h" } } };

Deno.test("SSE: committed events arrive live as id/event/data frames", async () => {
  await using rig = await startRig(jobs);
  const s = await open(rig);
  try {
    const runId = await rig.kron.trigger("a");
    const started = await nextWhere(s, (m) => m.event === "RUN_STARTED");
    const data = JSON.parse(started.data);
    assertEquals([data.type, data.job, data.runId], ["RUN_STARTED", "a", runId]);
    assertEquals(started.id, String(data.seq));
    const done = await nextWhere(s, (m) => m.event === "RUN_SUCCEEDED");
    assertEquals(Number(done.id), JSON.parse(done.data).seq);
    assert(Number(done.id) > Number(started.id));
    assertMatch(s.raw(), /(^|\n)id: \d+\nevent: RUN_STARTED\ndata: \{"seq":\d+,.*\}\n\n/);
    assert(!s.raw().includes('"crc"'), "log checksums are not part of the API");
  } finally {
    await s.close();
  }
});

Deno.test("SSE: reconnecting with Last-Event-ID resumes without loss or duplicates", async () => {
  await using rig = await startRig(jobs);
  const seen: number[] = [];
  let s = await open(rig, { lastEventId: 0 });
  // Everything since the start of the log, then live.
  for (let i = 0; i < 3; i++) seen.push(Number((await s.next()).id));
  await rig.kron.trigger("a");
  const first = await nextWhere(s, (m) => {
    seen.push(Number(m.id));
    return m.event === "RUN_SUCCEEDED";
  });
  await s.close();
  // Events committed while disconnected.
  for (let i = 0; i < 5; i++) {
    await rig.kron.trigger(i % 2 ? "a" : "b");
    await until(() => rig.kron.list().every((j) => j.running === 0));
  }
  s = await open(rig, { lastEventId: Number(first.id) });
  try {
    const last = rig.kron.engine.state.seq;
    for (;;) {
      const m = await s.next();
      seen.push(Number(m.id));
      if (Number(m.id) === last) break;
    }
    // And live again after the replay.
    await rig.kron.trigger("b");
    await nextWhere(s, (m) => {
      seen.push(Number(m.id));
      return m.event === "RUN_SUCCEEDED";
    });
  } finally {
    await s.close();
  }
  assertEquals(
    seen,
    Array.from({ length: seen.length }, (_, i) => i + 1),
    "contiguous seqs from 1, each once",
  );
});

Deno.test("SSE: resume older than the in-memory ring reads the log; ?lastEventId= works too", async () => {
  await using rig = await startRig(jobs, { eventRingSize: 4 });
  for (let i = 0; i < 10; i++) await rig.kron.trigger(i % 2 ? "a" : "b");
  await until(() => rig.kron.list().every((j) => j.running === 0));
  const last = rig.kron.engine.state.seq;
  assert(last > 20, `last seq ${last}`);
  for (const init of [{ lastEventId: 2 }, { query: "?lastEventId=2" }]) {
    const s = await open(rig, init);
    const got: number[] = [];
    try {
      while (got.at(-1) !== last) got.push(Number((await s.next()).id));
    } finally {
      await s.close();
    }
    assertEquals(got, Array.from({ length: last - 2 }, (_, i) => i + 3), JSON.stringify(init));
  }
  const res = await rig.sock("/v1/events?lastEventId=x");
  assertEquals(res.status, 400);
  await res.body?.cancel();
});

Deno.test("SSE: events that no longer exist are announced with one gap event", async () => {
  // A memory store keeps nothing on disk: the ring is all there is.
  await using rig = await startRig(jobs, { memory: true, eventRingSize: 4 });
  for (let i = 0; i < 4; i++) await rig.kron.trigger(i % 2 ? "a" : "b");
  await until(() => rig.kron.list().every((j) => j.running === 0));
  const last = rig.kron.engine.state.seq;
  const s = await open(rig, { lastEventId: 1 });
  try {
    const gap = await s.next();
    assertEquals(gap.event, "gap");
    const g = JSON.parse(gap.data);
    assertEquals(g.after, 1);
    assertEquals(g.resumedAt, last - 3);
    const got: number[] = [];
    while (got.at(-1) !== last) got.push(Number((await s.next()).id));
    assertEquals(got, [last - 3, last - 2, last - 1, last]);
  } finally {
    await s.close();
  }
  // An id from the future (another data dir): a gap, then live events.
  const f = await open(rig, { lastEventId: last + 1000 });
  try {
    const gap = await f.next();
    assertEquals(gap.event, "gap");
    await rig.kron.trigger("a");
    const m = await nextWhere(f, (x) => x.event === "RUN_STARTED");
    assertEquals(Number(m.id), last + 1);
  } finally {
    await f.close();
  }
});

Deno.test("SSE: heartbeat comments keep idle streams alive; close() ends open streams", async () => {
  const rig = await startRig(jobs, { heartbeatMs: 30 });
  const s = await open(rig);
  await until(async () => {
    await s.next(40).catch(() => {});
    return s.comments() >= 3;
  });
  assertMatch(s.raw(), /: ping\n\n/);
  // Shutting the server down must not hang on the open stream.
  const t0 = Date.now();
  await rig.admin.close();
  assert(Date.now() - t0 < 2000);
  await s.close();
  await rig.close();
});

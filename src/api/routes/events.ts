/**
 * `GET /v1/events`: the live tail of committed events as Server-Sent Events.
 *
 * Each event is `id: <seq>\nevent: <TYPE>\ndata: <json>\n\n`; a `: ping` comment keeps idle
 * connections (and proxies) alive. A client that reconnects with `Last-Event-ID` (header, or
 * `?lastEventId=` for clients that cannot set headers) gets every event after that seq, once:
 * from the in-memory ring when it still holds them, else from the log segments, then live.
 * Events that no longer exist anywhere (compacted) are announced with one `gap` event.
 *
 * A client that stops reading is disconnected once too much is queued for it; it loses
 * nothing, since it reconnects and resumes from its last id.
 *
 * @example
 * ```ts
 * import { eventRoutes } from "./events.ts";
 * // app.route("/", eventRoutes(deps));
 * // curl -N --unix-socket .kron/kron.sock http://kron/v1/events
 * ```
 * @module
 */
import { Hono } from "hono";
import { getLogger } from "@logtape/logtape";
import type { AdminDeps, AdminEnv } from "../_deps.ts";
import { readEventsAfter } from "../../store/mod.ts";
import { type FramedEvent, frameEvent } from "../hub.ts";
import { seqParam } from "../../http/mod.ts";
import type { KronEvent } from "../../store/mod.ts";

/**
 * Default interval of heartbeat comments.
 *
 * @example
 * ```ts
 * import { HEARTBEAT_MS } from "./events.ts";
 * HEARTBEAT_MS; // 15000
 * ```
 */
export const HEARTBEAT_MS = 15_000;
/**
 * Frames queued for one slow client before it is dropped (it resumes on reconnect).
 *
 * @example
 * ```ts
 * import { MAX_QUEUED_FRAMES } from "./events.ts";
 * MAX_QUEUED_FRAMES; // 10000
 * ```
 */
export const MAX_QUEUED_FRAMES = 10_000;

const encoder = new TextEncoder();
const log = getLogger(["kron", "api"]);

/**
 * The SSE route.
 *
 * @example
 * ```ts
 * import { eventRoutes } from "./events.ts";
 * // app.route("/", eventRoutes({ kron, hub, metrics, options }));
 * ```
 */
export function eventRoutes(deps: AdminDeps): Hono<AdminEnv> {
  const { hub, options } = deps;
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const app = new Hono<AdminEnv>();

  app.get("/v1/events", (c) => {
    const after = seqParam(c.req.header("last-event-id") ?? c.req.query("lastEventId"));
    let cleanup = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        let closed = false;
        let lastSent = after ?? 0;
        let replaying = after !== null;
        const pending: FramedEvent[] = [];

        const close = () => {
          if (closed) return;
          closed = true;
          cleanup();
          try {
            controller.close();
          } catch {
            // Already cancelled by the client.
          }
        };
        const write = (text: string) => {
          if (closed) return;
          controller.enqueue(encoder.encode(text));
          if ((controller.desiredSize ?? 0) < -MAX_QUEUED_FRAMES) {
            log.warn("SSE client too slow; disconnected (it resumes from its Last-Event-ID)");
            close();
          }
        };
        const send = (seq: number, frame: string) => {
          if (seq <= lastSent) return; // replayed already: never twice
          lastSent = seq;
          write(frame);
        };

        const unsubscribe = hub.subscribe((e) => {
          if (replaying) pending.push(e);
          else send(e.seq, e.frame);
        });
        const heartbeat = setInterval(() => write(": ping\n\n"), heartbeatMs);
        const onAbort = () => close();
        options.signal?.addEventListener("abort", onAbort);
        cleanup = () => {
          unsubscribe();
          clearInterval(heartbeat);
          options.signal?.removeEventListener("abort", onAbort);
        };
        if (options.signal?.aborted) return close();

        // The first bytes make the response (and its headers) leave right away.
        write(`retry: 2000\n: connected\n\n`);
        if (after === null) return;
        // A Last-Event-ID beyond anything committed (another data dir, a reset): start over.
        if (after > Math.max(hub.lastSeq, deps.kron.engine.state.seq)) {
          lastSent = hub.lastSeq;
          write(gapFrame(after, lastSent + 1));
          replaying = false;
          return;
        }
        replay(after).then(
          () => {
            replaying = false;
            for (const e of pending.splice(0)) send(e.seq, e.frame);
          },
          (e) => {
            log.error("SSE replay failed: {error}", { error: String(e) });
            close();
          },
        );

        async function replay(from: number): Promise<void> {
          const ring = hub.since(from);
          let older: KronEvent[] = [];
          let firstAvailable = ring.oldest;
          if ((ring.oldest === null || ring.oldest > from + 1) && options.dataDir !== null) {
            const read = await readEventsAfter(options.dataDir, from, ring.oldest ?? Infinity);
            older = read.events;
            if (read.firstAvailable !== null) {
              firstAvailable = firstAvailable === null
                ? read.firstAvailable
                : Math.min(firstAvailable, read.firstAvailable);
            }
          }
          if (closed) return;
          const first = older[0]?.seq ?? ring.events[0]?.seq ?? pending[0]?.seq ?? firstAvailable;
          if (first !== undefined && first !== null && first > from + 1) {
            write(gapFrame(from, first));
          }
          for (const e of older) send(e.seq!, frameEvent(e));
          for (const e of ring.events) send(e.seq, e.frame);
        }
      },
      cancel() {
        cleanup();
      },
    }, new CountQueuingStrategy({ highWaterMark: 0 }));

    return new Response(stream, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no", // nginx: do not buffer the stream
      },
    });
  });

  return app;
}

function gapFrame(after: number, resumedAt: number): string {
  return `event: gap\ndata: ${JSON.stringify({ after, resumedAt })}\n\n`;
}

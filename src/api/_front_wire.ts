/**
 * What the admin API's front thread (_front_worker.ts, which owns the sockets) and the
 * scheduler's thread (_front.ts) say to each other, and the memory they share.
 *
 * The front answers the reads people poll all day (`GET /v1/jobs`, `GET /v1/jobs/:name`) from
 * job views kept as text, and forwards every other request to the scheduler's thread, where the
 * admin app (app.ts) answers it as before. Whether a kept text is still the job's view is read
 * from shared memory, without a message: the scheduler's thread counts, per job, the events
 * folded for it ({@link Shared.versions}), and a kept text is served only while that count and
 * the wall-clock second it was made in are the same (the rule _summary_cache.ts keeps).
 *
 * @example
 * ```ts
 * import { CTRL, newControl } from "./_front_wire.ts";
 * const ctrl = newControl();
 * Atomics.load(ctrl, CTRL.namesGen); // 0
 * ```
 * @module
 */

/** Slots of the control words ({@link newControl}). */
export const CTRL = {
  /** Bumped when the set of jobs (or every job's view) may have changed: names are re-read. */
  namesGen: 0,
} as const;

/**
 * The control words shared by the two threads (an Int32Array over a SharedArrayBuffer).
 *
 * @example
 * ```ts
 * import { newControl } from "./_front_wire.ts";
 * newControl().length; // 4
 * ```
 */
export function newControl(): Int32Array<SharedArrayBuffer> {
  return new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
}

/** The listeners the front opens (the socket app needs no token; the TCP one does). */
export type Listen =
  | { kind: "socket"; path: string }
  | { kind: "tcp"; hostname: string; port: number; token: string };

/** A request forwarded to the scheduler's thread. */
export interface ForwardedRequest {
  t: "req";
  id: number;
  /** Which admin app answers: the socket's or the TCP one's (auth differs). */
  app: "socket" | "tcp";
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array<ArrayBuffer> | null;
}

/** Messages from the front to the scheduler's thread. */
export type FrontMessage =
  | { t: "ready" }
  | { t: "listening"; id: number; hostname?: string; port?: number }
  | { t: "listenFailed"; id: number; message: string; permission: boolean }
  | ForwardedRequest
  | { t: "abort"; id: number }
  | { t: "texts"; id: number; gen: number; kind: TextKind; slots: number[] }
  | { t: "names"; id: number }
  | { t: "closed" };

/** A job's view as a list shows it (summary) or as its own page does (detail). */
export type TextKind = "summary" | "detail";

/** The job names of one generation and their version counters. */
export interface Names {
  gen: number;
  /** Every job (defined and orphaned), sorted: a job's slot is its index here. */
  names: string[];
  /** Events folded per slot since this generation began. */
  versions: Int32Array<SharedArrayBuffer>;
}

/** Messages from the scheduler's thread to the front. */
export type HostMessage =
  | { t: "init"; ctrl: Int32Array<SharedArrayBuffer>; ahead: Float64Array<SharedArrayBuffer> }
  | { t: "listen"; id: number; listen: Listen }
  | { t: "head"; id: number; status: number; headers: [string, string][] }
  | { t: "chunk"; id: number; bytes: Uint8Array<ArrayBuffer> }
  | { t: "end"; id: number }
  | {
    t: "texts";
    id: number;
    /** False: the engine is not running (views move with the clock): forward the request. */
    running: boolean;
    gen: number;
    /** `[slot, version, second, text]`; text null: no such job any more. */
    items: [number, number, number, string | null][];
  }
  | ({ t: "names"; id: number } & Names)
  | { t: "close" };

/**
 * The headers of a request as pairs (a Headers object does not cross threads).
 *
 * @example
 * ```ts
 * import { headerPairs } from "./_front_wire.ts";
 * headerPairs(new Headers({ accept: "text/html" })); // [["accept", "text/html"]]
 * ```
 */
export function headerPairs(headers: Headers): [string, string][] {
  const out: [string, string][] = [];
  headers.forEach((value, key) => out.push([key, value]));
  return out;
}

/**
 * Serves `handler` on a listener (either thread: the front, or this one where none starts).
 *
 * @example
 * ```ts ignore
 * import { serveListener } from "./_front_wire.ts";
 * const server = serveListener({ kind: "socket", path: "/tmp/k.sock" }, () => new Response());
 * await server.shutdown();
 * ```
 */
export function serveListener(
  listen: Listen,
  handler: (req: Request) => Response | Promise<Response>,
): Deno.HttpServer {
  return listen.kind === "socket"
    ? Deno.serve({ path: listen.path, onListen: () => {} }, handler)
    : Deno.serve({ hostname: listen.hostname, port: listen.port, onListen: () => {} }, handler);
}

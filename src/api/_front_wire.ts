/**
 * What the admin API's front thread (_front_worker.ts, which owns the sockets) and the
 * scheduler's thread (_front.ts) say to each other, and the memory they share.
 *
 * The front answers the reads people poll all day (`GET /v1/jobs`, `GET /v1/jobs/:name`) from
 * a copy of the folded state (_front_views.ts), kept by applying the events the scheduler's
 * thread sends it (_front_feed.ts), and forwards every other request to the scheduler's thread,
 * where the admin app (app.ts) answers it as before. Whether the copy of a job is up to date
 * is read from shared memory without a message: the scheduler's thread counts the events
 * folded per job ({@link Reset.versions}, bumped at fold time), the front the events it
 * applied; a job whose counts differ waits for the next feed.
 *
 * @example
 * ```ts
 * import { CTRL, newControl } from "./_front_wire.ts";
 * const ctrl = newControl();
 * Atomics.load(ctrl, CTRL.namesGen); // 0
 * ```
 * @module
 */
import type { LatenessAssessment } from "../policy/mod.ts";
import type { KronState } from "../store/mod.ts";

/** Slots of the control words ({@link newControl}). */
export const CTRL = {
  /** Bumped when the set of jobs (or what every view takes) changed: the copy starts over. */
  namesGen: 0,
  /**
   * Per encoding (bit 1 gzip, bit 2 plain), whether a scrape now gets the last body of
   * `/metrics` (KronMetrics.share): the front then answers it from the body it was sent.
   */
  metricsWithLast: 1,
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
  /** The shortcut for a trigger (_front_trigger.ts): answered "whole", or "declined". */
  | { t: "trigger"; id: number; name: string }
  | { t: "abort"; id: number }
  | { t: "metricsAnswered"; gzip: boolean }
  | { t: "closed" };

/** What a job's view takes besides its state (Engine.viewInputs), by slot. */
export type Inputs = [
  slot: number,
  defined: boolean,
  nextRunAt: number | null,
  lateness: LatenessAssessment | null,
];

/** A new copy: every job, its state and inputs, and fresh counters. */
export interface Reset {
  t: "reset";
  /** {@link CTRL.namesGen} when it was made. */
  gen: number;
  /** False: views move with the clock before start; the front forwards every read. */
  running: boolean;
  /** The event log's write error (a change of it starts a new copy), or null. */
  ioError: string | null;
  /** Every job (defined and orphaned), sorted: a job's slot is its index here. */
  names: string[];
  /** Events folded per slot since this copy was made (bumped by the scheduler's thread). */
  versions: Int32Array<SharedArrayBuffer>;
  state: KronState;
  inputs: Inputs[];
}

/** Events folded since the last message, and the inputs of the jobs they touched. */
export interface Feed {
  t: "feed";
  gen: number;
  /**
   * The events, as a JSON array: a string crosses to the front as one copy, where an array of
   * objects is rebuilt object by object on arrival, and the front then parses it in one of its
   * paced pieces (_paced.ts) instead of in the message's own task (after a crowd, ten and more
   * feeds of 1,000 events arrive back to back, with no socket polled between them).
   */
  events: string;
  /** How many events {@link Feed.events} holds. */
  count: number;
  inputs: Inputs[];
}

/** Messages from the scheduler's thread to the front. */
export type HostMessage =
  | { t: "init"; ctrl: Int32Array<SharedArrayBuffer>; ahead: Float64Array<SharedArrayBuffer> }
  | { t: "listen"; id: number; listen: Listen }
  | Reset
  | Feed
  | { t: "head"; id: number; status: number; headers: [string, string][] }
  | {
    t: "whole";
    id: number;
    status: number;
    headers: [string, string][];
    bytes: Uint8Array<ArrayBuffer> | null;
  }
  /** A shortcut not taken (the trigger was refused): the front forwards the request. */
  | { t: "declined"; id: number }
  | { t: "chunk"; id: number; bytes: Uint8Array<ArrayBuffer> }
  | { t: "end"; id: number }
  | LastMetrics
  | { t: "metricsAt"; gzip: boolean; at: number }
  | { t: "close" };

/** The last body of `/metrics` in one encoding (null: none), as the scheduler's thread has it. */
export interface LastMetrics {
  t: "metrics";
  gzip: boolean;
  body: Uint8Array<ArrayBuffer> | null;
  /** When its jobs were collected (ms since the epoch). */
  at: number;
  /** The oldest body a scrape may get (KronMetrics.staleMaxMs). */
  maxAgeMs: number;
  contentType: string;
}

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

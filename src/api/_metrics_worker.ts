/**
 * The `/metrics` render worker: keeps every job's exposition lines as text, takes the rows of
 * the jobs that changed since the last scrape, and joins, encodes and (when the scraper asked)
 * gzips the body, all off the scheduler's thread. A scrape of 10,000 jobs is ~12 MB of text
 * (~1 MB gzipped, which is what Prometheus asks for): joining and compressing it costs tens of
 * milliseconds that would otherwise delay due runs. The body goes back transferred, not copied.
 *
 * Started by `metrics.ts` (`new URL("./_metrics_worker.ts", import.meta.url)`; `deno compile`
 * embeds it through `--include`).
 *
 * @example
 * ```ts ignore
 * const w = new Worker(new URL("./_metrics_worker.ts", import.meta.url), { type: "module" });
 * w.postMessage(request); // a RenderRequest; answers a RenderReply
 * ```
 * @module
 */
import { gzipSync } from "node:zlib";
import { FAMILY_HEADERS, JOB_FAMILIES, jobLines, R, ROW } from "./_metrics_render.ts";

/** What the scheduler's thread sends per scrape. */
export interface RenderRequest {
  id: number;
  /** Answer gzipped (the scraper sent `Accept-Encoding: gzip`). */
  gzip: boolean;
  /** Jobs in the exposition: slots `0 … slots − 1`. */
  slots: number;
  /** The slots were renumbered (a job went): forget every kept line first. */
  reset: boolean;
  /** `kron_job="…"` of slots that are new (or renumbered) since the last request. */
  labels: [number, string][];
  /** {@link ROW} numbers per changed job (see _metrics_render.ts). */
  rows: Float64Array;
  /** Per-job duration histograms are shown. */
  histograms: boolean;
  /** The runtime-wide families, rendered by the scheduler's thread (small). */
  tail: string;
}

/** The worker's answer. */
export interface RenderReply {
  id: number;
  body: Uint8Array<ArrayBuffer>;
  gzip: boolean;
}

/** Jobs per kept block of bytes: a change re-joins its block only. */
const BLOCK = 64;
const encoder = new TextEncoder();
const HEADER_BYTES = FAMILY_HEADERS.map((h) => encoder.encode(h));

let labels: string[] = [];
let parts: (string[] | null)[] = [];
let blocks: (Uint8Array[] | null)[] = [];
/** Bumped by every change of a job's lines; the last gzipped body is reused while unchanged. */
let version = 0;
let lastGzip: { version: number; tail: string; body: Uint8Array } | null = null;

function apply(req: RenderRequest): void {
  if (req.reset) {
    labels = [];
    parts = [];
    blocks = [];
  }
  if (req.reset || req.labels.length > 0 || req.rows.length > 0 || labels.length !== req.slots) {
    version++;
  }
  for (const [slot, label] of req.labels) labels[slot] = label;
  labels.length = parts.length = req.slots;
  blocks.length = Math.ceil(req.slots / BLOCK);
  for (let at = 0; at < req.rows.length; at += ROW) {
    const slot = req.rows[at + R.slot];
    if (slot >= req.slots) continue;
    parts[slot] = jobLines(labels[slot], req.rows, at, req.histograms);
    blocks[(slot / BLOCK) | 0] = null;
  }
}

function joinBlock(b: number): Uint8Array[] {
  const end = Math.min(parts.length, (b + 1) * BLOCK);
  return JOB_FAMILIES.map((_, f) => {
    let text = "";
    for (let s = b * BLOCK; s < end; s++) text += parts[s]?.[f] ?? "";
    return encoder.encode(text);
  });
}

function body(req: RenderRequest): Uint8Array<ArrayBuffer> {
  const out: Uint8Array[] = [];
  const families = req.histograms ? JOB_FAMILIES.length : JOB_FAMILIES.length - 1;
  for (let b = 0; b < blocks.length; b++) blocks[b] ??= joinBlock(b);
  for (let f = 0; f < families; f++) {
    out.push(HEADER_BYTES[f]);
    for (const block of blocks) if (block![f].length > 0) out.push(block![f]);
  }
  out.push(encoder.encode(req.tail));
  let size = 0;
  for (const p of out) size += p.length;
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of out) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/**
 * Applies one request and renders its body (exported for tests; the worker calls it per
 * message).
 *
 * @example
 * ```ts
 * import { handle } from "./_metrics_worker.ts";
 * const reply = handle({ id: 1, gzip: false, slots: 0, reset: true, labels: [],
 *   rows: new Float64Array(0), histograms: true, tail: "kron_up 1\n" });
 * new TextDecoder().decode(reply.body).endsWith("kron_up 1\n"); // true
 * ```
 */
export function handle(req: RenderRequest): RenderReply {
  apply(req);
  if (!req.gzip) return { id: req.id, body: body(req), gzip: false };
  if (lastGzip?.version !== version || lastGzip.tail !== req.tail) {
    // Level 3: as small as the default level for this text (12:1), in a third of the time.
    lastGzip = { version, tail: req.tail, body: gzipSync(body(req), { level: 3 }) };
  }
  // A copy of its own (the kept one stays; a Node Buffer's slice() would share its memory).
  return { id: req.id, body: new Uint8Array(lastGzip.body), gzip: true };
}

// deno-lint-ignore no-explicit-any
const scope = globalThis as any;
if (typeof scope.WorkerGlobalScope !== "undefined" && scope instanceof scope.WorkerGlobalScope) {
  scope.onmessage = (e: MessageEvent<RenderRequest>) => {
    const reply = handle(e.data);
    scope.postMessage(reply, [reply.body.buffer]);
  };
}

/**
 * The `/metrics` render worker: keeps every job's exposition lines as text, takes the rows of
 * the jobs that changed since the last scrape, and joins, encodes and (when the scraper asked)
 * gzips the body, all off the scheduler's thread. The text is kept in blocks of 512 jobs per
 * family, each with its own compressed form: a scrape compresses only the blocks that changed
 * and lays the rest end to end in one gzip member. A scrape of 10,000 jobs is ~12 MB of text
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
import { constants, crc32, deflateRawSync } from "node:zlib";
import { FAMILY_HEADERS, JOB_FAMILIES, jobLines, R, RENDER_BLOCK, ROW } from "./_metrics_render.ts";
import { crc32Combine } from "./_crc32_combine.ts";
import { lowerThreadPriority } from "./_thread_priority.ts";

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

const encoder = new TextEncoder();

/**
 * A piece of the body kept with its compressed form: a raw deflate stream of its own, ended by a
 * sync flush (byte-aligned, not final), so that pieces compressed apart can be laid end to end in
 * one gzip member; its CRC-32 and length go into the member's trailer (crc32Combine).
 */
interface Piece {
  text: Uint8Array;
  z: Uint8Array | null;
  crc: number;
}

function piece(text: Uint8Array): Piece {
  return { text, z: null, crc: 0 };
}

function compressed(p: Piece): Uint8Array {
  if (p.z === null) {
    // Level 1: half the CPU of level 3 for 8:1 instead of 12:1 on this text; the worker shares
    // the process's CPU (one scheduling group) with the scheduler's thread.
    p.z = deflateRawSync(p.text, { level: 1, finishFlush: constants.Z_SYNC_FLUSH });
    p.crc = crc32(p.text) >>> 0;
  }
  return p.z;
}

const HEADERS = FAMILY_HEADERS.map((h) => piece(encoder.encode(h)));
/** gzip header: deflate, no name, no mtime, OS unknown. */
const GZIP_HEAD = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
/** An empty final block (fixed Huffman, end of block): ends the deflate stream. */
const FINAL_BLOCK = new Uint8Array([3, 0]);

/** A job's lines of every family as bytes (encoded once per change), `ends[f]` where f ends. */
interface JobBytes {
  bytes: Uint8Array;
  ends: Uint32Array;
}

function jobBytes(lines: string[]): JobBytes {
  const encoded = lines.map((l) => encoder.encode(l));
  const ends = new Uint32Array(encoded.length);
  let size = 0;
  encoded.forEach((e, f) => ends[f] = size += e.length);
  const bytes = new Uint8Array(size);
  encoded.forEach((e, f) => bytes.set(e, f === 0 ? 0 : ends[f - 1]));
  return { bytes, ends };
}

let labels: string[] = [];
let parts: (JobBytes | null)[] = [];
let blocks: (Piece[] | null)[] = [];
let tail: Piece | null = null;

function apply(req: RenderRequest): void {
  if (req.reset) {
    labels = [];
    parts = [];
    blocks = [];
  }
  for (const [slot, label] of req.labels) labels[slot] = label;
  labels.length = parts.length = req.slots;
  blocks.length = Math.ceil(req.slots / RENDER_BLOCK);
  for (let at = 0; at < req.rows.length; at += ROW) {
    const slot = req.rows[at + R.slot];
    if (slot >= req.slots) continue;
    parts[slot] = jobBytes(jobLines(labels[slot], req.rows, at, req.histograms));
    blocks[(slot / RENDER_BLOCK) | 0] = null;
  }
  if (tail === null || decoder.decode(tail.text) !== req.tail) {
    tail = piece(encoder.encode(req.tail));
  }
}

const decoder = new TextDecoder();

/** Each family's lines of block `b`: its jobs' bytes laid end to end (no text is re-encoded). */
function joinBlock(b: number): Piece[] {
  const end = Math.min(parts.length, (b + 1) * RENDER_BLOCK);
  return JOB_FAMILIES.map((_, f) => {
    let size = 0;
    for (let s = b * RENDER_BLOCK; s < end; s++) {
      const p = parts[s];
      if (p) size += p.ends[f] - (f === 0 ? 0 : p.ends[f - 1]);
    }
    const text = new Uint8Array(size);
    let at = 0;
    for (let s = b * RENDER_BLOCK; s < end; s++) {
      const p = parts[s];
      if (!p) continue;
      const from = f === 0 ? 0 : p.ends[f - 1];
      text.set(p.bytes.subarray(from, p.ends[f]), at);
      at += p.ends[f] - from;
    }
    return piece(text);
  });
}

/** The body's pieces in order: each family's header and blocks, then the runtime tail. */
function pieces(req: RenderRequest): Piece[] {
  const out: Piece[] = [];
  const families = req.histograms ? JOB_FAMILIES.length : JOB_FAMILIES.length - 1;
  for (let b = 0; b < blocks.length; b++) blocks[b] ??= joinBlock(b);
  for (let f = 0; f < families; f++) {
    out.push(HEADERS[f]);
    for (const block of blocks) if (block![f].text.length > 0) out.push(block![f]);
  }
  out.push(tail!);
  return out;
}

function concat(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const c of chunks) size += c.length;
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

/** One gzip member of the pieces' compressed forms (only changed pieces are compressed again). */
function gzipBody(list: Piece[]): Uint8Array<ArrayBuffer> {
  const chunks: Uint8Array[] = [GZIP_HEAD];
  let crc = 0;
  let size = 0;
  for (const p of list) {
    chunks.push(compressed(p));
    crc = crc32Combine(crc, p.crc, p.text.length);
    size += p.text.length;
  }
  chunks.push(FINAL_BLOCK);
  const trailer = new Uint8Array(8);
  const view = new DataView(trailer.buffer);
  view.setUint32(0, crc, true);
  view.setUint32(4, size % 2 ** 32, true);
  chunks.push(trailer);
  return concat(chunks);
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
  const list = pieces(req);
  return req.gzip
    ? { id: req.id, body: gzipBody(list), gzip: true }
    : { id: req.id, body: concat(list.map((p) => p.text)), gzip: false };
}

// deno-lint-ignore no-explicit-any
const scope = globalThis as any;
if (typeof scope.WorkerGlobalScope !== "undefined" && scope instanceof scope.WorkerGlobalScope) {
  // Rendering 25 MB takes this thread half a second: never at the cost of a due run.
  lowerThreadPriority();
  scope.onmessage = (e: MessageEvent<RenderRequest>) => {
    const reply = handle(e.data);
    scope.postMessage(reply, [reply.body.buffer]);
  };
}

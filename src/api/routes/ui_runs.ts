/**
 * The dashboard's run page and its live parts.
 *
 * ```
 * GET /runs/:id               run page: header, back link, output (the last 256 KiB of it)
 * GET /ui/runs/:id/head       header fragment (re-fetched when the job's events arrive)
 * GET /ui/runs/:id/log?from=N output from byte N, up to 256 KiB, as text/plain; headers:
 *                             x-log-next (where to continue), x-run-running (1 while it runs)
 * ```
 *
 * Chunks end on a whole UTF-8 character, so a character a command is half-way through writing
 * is sent with the next chunk rather than as replacement characters.
 *
 * @example
 * ```ts
 * import { uiRunRoutes } from "./ui_runs.ts";
 * // app.route("/", uiRunRoutes(deps));
 * ```
 * @module
 */
import { type Context, Hono } from "hono";
import type { AdminDeps, AdminEnv } from "../_deps.ts";
import { htmlResponse } from "../dashboard/_html.ts";
import { type LogView, runHeader, runPage } from "../dashboard/run.ts";
import { ApiError, runIdParam } from "../../http/mod.ts";
import { runLogFile } from "./runs.ts";
import { fragment, pageContext } from "./ui.ts";

/**
 * Most bytes of output one page or one tail request carries.
 *
 * @example
 * ```ts
 * import { LOG_CHUNK_BYTES } from "./ui_runs.ts";
 * LOG_CHUNK_BYTES; // 262144
 * ```
 */
export const LOG_CHUNK_BYTES = 256 * 1024;

const decoder = new TextDecoder();

/**
 * How many of `bytes` form whole UTF-8 characters (a trailing partial character is left out).
 *
 * @example
 * ```ts
 * import { wholeUtf8 } from "./ui_runs.ts";
 * wholeUtf8(new Uint8Array([0x61, 0xc3])); // 1: "a", then half of "é"
 * wholeUtf8(new Uint8Array([0x61, 0xc3, 0xa9])); // 3
 * ```
 */
export function wholeUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  // Look back at most 3 bytes for the lead byte of the last character.
  for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
    const b = bytes[i];
    if ((b & 0xc0) === 0x80) continue; // a continuation byte
    const need = b < 0x80 ? 1 : (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : 4;
    return i + need <= n ? n : i;
  }
  return n;
}

/**
 * Reads `[from, from + max)` of a file, cut to whole characters; `from` past the end reads
 * nothing.
 *
 * @example
 * ```ts
 * import { readLogChunk } from "./ui_runs.ts";
 * const f = Deno.makeTempFileSync();
 * Deno.writeTextFileSync(f, "hello\n");
 * (await readLogChunk(f, 1, 1024)).text; // "ello\n"
 * ```
 */
export async function readLogChunk(path: string, from: number, max: number): Promise<LogView> {
  using file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const start = Math.min(Math.max(0, from), size);
  const buf = new Uint8Array(Math.min(max, size - start));
  await file.seek(start, Deno.SeekMode.Start);
  let got = 0;
  while (got < buf.length) {
    const n = await file.read(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  const keep = wholeUtf8(buf.subarray(0, got));
  return { text: decoder.decode(buf.subarray(0, keep)), start, next: start + keep };
}

/** Where a page starts showing a log of `size` bytes: its last chunk, on a character start. */
async function tailStart(path: string): Promise<number> {
  const size = (await Deno.stat(path)).size;
  if (size <= LOG_CHUNK_BYTES) return 0;
  let start = size - LOG_CHUNK_BYTES;
  using file = await Deno.open(path, { read: true });
  const head = new Uint8Array(4);
  await file.seek(start, Deno.SeekMode.Start);
  const n = (await file.read(head)) ?? 0;
  for (let i = 0; i < n && (head[i] & 0xc0) === 0x80; i++) start++;
  return start;
}

/**
 * The routes.
 *
 * @example
 * ```ts
 * import { uiRunRoutes } from "./ui_runs.ts";
 * // app.route("/", uiRunRoutes({ kron, hub, metrics, options }));
 * ```
 */
export function uiRunRoutes(deps: AdminDeps): Hono<AdminEnv> {
  const { kron, options } = deps;
  const app = new Hono<AdminEnv>();
  const ctx = (c: Context<AdminEnv>, nonce: string) => pageContext(c, nonce, options.version);
  const kindOf = (job: string) => kron.engine.state.jobs.get(job)?.def?.kind ?? null;
  const logPath = (job: string, id: string) =>
    options.dataDir === null ? Promise.resolve(null) : runLogFile(options.dataDir, job, id);

  app.get("/runs/:id", async (c) => {
    const id = runIdParam(c.req.param("id"));
    const run = await kron.engine.run(id);
    const kind = kindOf(run.job);
    let log: LogView | null = null;
    if (kind === "command") {
      const path = await logPath(run.job, id);
      // A command run that printed nothing (yet) has no file: its output is empty so far.
      log = path === null
        ? { text: "", start: 0, next: 0 }
        : await readLogChunk(path, await tailStart(path), LOG_CHUNK_BYTES);
    }
    return htmlResponse((nonce) => runPage(run, kind, log, ctx(c, nonce), Date.now()));
  });

  app.get("/ui/runs/:id/head", async (c) => {
    const run = await kron.engine.run(runIdParam(c.req.param("id")));
    return fragment(runHeader(run, Date.now()).value);
  });

  app.get("/ui/runs/:id/log", async (c) => {
    const id = runIdParam(c.req.param("id"));
    const from = Number(c.req.query("from") ?? "0");
    if (!Number.isSafeInteger(from) || from < 0) {
      throw new ApiError(400, "bad_request", "from must be a byte offset (an integer >= 0)");
    }
    // The state first: output read after a run was seen finished is the whole of it.
    const run = await kron.engine.run(id);
    const path = kindOf(run.job) === "command" ? await logPath(run.job, id) : null;
    const chunk = path === null
      ? { text: "", start: from, next: from }
      : await readLogChunk(path, from, LOG_CHUNK_BYTES);
    return new Response(chunk.text, {
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "x-log-next": String(chunk.next),
        "x-run-running": run.outcome === null ? "1" : "0",
      },
    });
  });

  return app;
}

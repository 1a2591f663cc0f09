/**
 * Where `/metrics` bodies are rendered: the render worker (_metrics_worker.ts), answering
 * requests in order, or, where no worker can start, this thread with the same code; and the two
 * file-system figures of the runtime tail, read synchronously.
 *
 * @example
 * ```ts
 * import { localRenderer } from "./_metrics_renderers.ts";
 * const r = localRenderer();
 * const reply = await r.render({ id: 1, gzip: false, slots: 0, reset: true, labels: [],
 *   rows: new Float64Array(0), histograms: true, tail: "kron_up 1\n" });
 * new TextDecoder().decode(reply.body); // "…kron_up 1\n"
 * ```
 * @module
 */
import type { RenderReply, RenderRequest } from "./_metrics_worker.ts";

/**
 * What renders a request: the worker, or (where no worker can start) this thread.
 *
 * @example
 * ```ts
 * import { localRenderer, type Renderer } from "./_metrics_renderers.ts";
 * const r: Renderer = localRenderer();
 * r.close();
 * ```
 */
export interface Renderer {
  render(req: RenderRequest): Promise<RenderReply>;
  close(): void;
}

/**
 * A request's worker was closed before it answered.
 *
 * @example
 * ```ts
 * import { RendererClosed } from "./_metrics_renderers.ts";
 * new RendererClosed().message; // "metrics worker closed"
 * ```
 */
export class RendererClosed extends Error {
  constructor() {
    super("metrics worker closed");
  }
}

/**
 * The render worker, answering requests in order.
 *
 * @example
 * ```ts ignore
 * import { workerRenderer } from "./_metrics_renderers.ts";
 * const r = workerRenderer(); // starts the worker
 * r.close();
 * ```
 */
export function workerRenderer(): Renderer {
  const worker = new Worker(new URL("./_metrics_worker.ts", import.meta.url), {
    type: "module",
    name: "kron-metrics",
  });
  const pending = new Map<number, [(r: RenderReply) => void, (e: unknown) => void]>();
  const fail = (e: unknown) => {
    for (const [, reject] of pending.values()) reject(e);
    pending.clear();
  };
  worker.onmessage = (e: MessageEvent<RenderReply>) => {
    const p = pending.get(e.data.id);
    pending.delete(e.data.id);
    p?.[0](e.data);
  };
  worker.onerror = (e) => {
    e.preventDefault();
    fail(new Error(`metrics worker: ${e.message}`));
  };
  return {
    render: (req) =>
      new Promise((resolve, reject) => {
        pending.set(req.id, [resolve, reject]);
        worker.postMessage(req, [req.rows.buffer as ArrayBuffer]);
      }),
    close: () => {
      worker.terminate();
      fail(new RendererClosed());
    },
  };
}

/**
 * Renders on this thread (where a worker cannot start): the same code, loaded on demand.
 *
 * @example
 * ```ts
 * import { localRenderer } from "./_metrics_renderers.ts";
 * localRenderer().close(); // nothing to stop
 * ```
 */
export function localRenderer(): Renderer {
  const mod = import("./_metrics_worker.ts");
  return {
    render: async (req) => (await mod).handle(req),
    close: () => {},
  };
}

/**
 * Bytes of the files in `dir` (0 when it does not exist). Synchronous on purpose: a few stat
 * calls of a small directory cost microseconds, while each await of an async call waits a turn
 * of an event loop that a busy API keeps full.
 *
 * @example
 * ```ts
 * import { dirBytes } from "./_metrics_renderers.ts";
 * dirBytes("/nonexistent"); // 0
 * ```
 */
export function dirBytes(dir: string): number {
  let total = 0;
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isFile) continue;
      try {
        total += Deno.statSync(`${dir}/${e.name}`).size;
      } catch {
        // Deleted by a compaction between readDir and stat.
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return total;
}

/**
 * A file's mtime in Unix seconds, 0 when it does not exist.
 *
 * @example
 * ```ts
 * import { mtimeSeconds } from "./_metrics_renderers.ts";
 * mtimeSeconds("/nonexistent"); // 0
 * ```
 */
export function mtimeSeconds(path: string): number {
  try {
    return (Deno.statSync(path).mtime?.getTime() ?? 0) / 1000;
  } catch {
    return 0;
  }
}

/**
 * A streaming parser for `text/event-stream` (the parts kron sends: `id`, `event`, `data`,
 * comments), used by the CLI's client and the tests. No dependencies: it is on the CLI's
 * start-up path.
 *
 * @example
 * ```ts
 * import { SseParser } from "./sse_parser.ts";
 * const p = new SseParser();
 * p.push("id: 1\nevent: RUN_STARTED\ndata: {}\n\n"); // [{ id: "1", event: "RUN_STARTED", data: "{}" }]
 * ```
 * @module
 */

/**
 * One dispatched message. `id` is the last id seen (SSE keeps it across messages).
 *
 * @example
 * ```ts
 * import type { SseMessage } from "./sse_parser.ts";
 * const seq = (m: SseMessage) => Number(m.id);
 * ```
 */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * Incremental parser: feed text chunks, get complete messages.
 *
 * @example
 * ```ts
 * import { SseParser } from "./sse_parser.ts";
 * const p = new SseParser();
 * p.push("data: a\n");
 * p.push("\n").length; // 1
 * ```
 */
export class SseParser {
  #buffer = "";
  #id: string | null = null;
  #event = "";
  #data: string[] = [];
  #hasData = false;
  /** Comment lines seen (heartbeats), for tests. */
  comments = 0;

  /** Adds a chunk; returns the messages it completed. */
  push(chunk: string): SseMessage[] {
    this.#buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const nl = this.#buffer.search(/\r\n|\r|\n/);
      if (nl < 0) break;
      const sep = this.#buffer.startsWith("\r\n", nl) ? 2 : 1;
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + sep);
      if (line === "") {
        if (this.#hasData) {
          out.push({ id: this.#id, event: this.#event || "message", data: this.#data.join("\n") });
        }
        this.#event = "";
        this.#data = [];
        this.#hasData = false;
        continue;
      }
      if (line.startsWith(":")) {
        this.comments++;
        continue;
      }
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "data") {
        this.#data.push(value);
        this.#hasData = true;
      } else if (field === "event") this.#event = value;
      else if (field === "id" && !value.includes("\0")) this.#id = value;
    }
    return out;
  }
}

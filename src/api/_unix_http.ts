/**
 * HTTP/1.1 over a Unix socket, written on `Deno.connect`: one request per connection
 * (`Connection: close`), the answer's body read whole or as a stream of text (SSE).
 *
 * Why not `fetch` with `Deno.createHttpClient({ proxy: { transport: "unix" } })`: in a new
 * process its first request costs ~7 ms of client set-up, and the first `Headers`,
 * `ReadableStream` and `Response` another ~3.5 ms (measured on Deno 2.9.6: 7–11 ms for the first
 * `GET /v1/jobs` through fetch, ~1 ms written on the socket by hand). `kron status` is a new
 * process each time (issue 15, item 9), so the socket client uses none of them.
 *
 * @example
 * ```ts
 * import { unixRequest } from "./_unix_http.ts";
 * const answer = await unixRequest("/srv/kron/kron.sock", "GET", "/healthz");
 * console.log(answer.status, JSON.parse(await answer.text()));
 * ```
 * @module
 */

const encoder = new TextEncoder();
const CR = 13;
const LF = 10;

/**
 * An HTTP answer: its status, and its body read once, whole or as text chunks.
 *
 * @example
 * ```ts
 * import type { Answer } from "./_unix_http.ts";
 * async function body(a: Answer): Promise<string> {
 *   return a.status < 400 ? await a.text() : "";
 * }
 * ```
 */
export interface Answer {
  /** HTTP status code. */
  readonly status: number;
  /** A response header's value (name in any case), or null. */
  header(name: string): string | null;
  /** The whole body as text. */
  text(): Promise<string>;
  /** The body as text chunks as they arrive; ends when the server ends it. */
  chunks(): AsyncGenerator<string>;
  /** Stops reading and closes the connection. */
  cancel(): void;
}

/**
 * Sends one request to the server on the Unix socket at `socketPath`; resolves once the status
 * line and headers have arrived.
 *
 * @example
 * ```ts
 * import { unixRequest } from "./_unix_http.ts";
 * const answer = await unixRequest("/srv/kron/kron.sock", "POST", "/v1/jobs/backup/trigger", {
 *   "content-type": "application/json",
 * }, "{}");
 * ```
 */
export async function unixRequest(
  socketPath: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const payload = body === undefined ? null : encoder.encode(body);
  let head = `${method} ${path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  if (payload !== null || method === "POST" || method === "PUT") {
    head += `content-length: ${payload?.length ?? 0}\r\n`;
  }
  const request = concat(encoder.encode(head + "\r\n"), payload ?? new Uint8Array());

  const conn = await Deno.connect({ transport: "unix", path: socketPath });
  const input = new Incoming(conn);
  try {
    for (let written = 0; written < request.length;) {
      written += await conn.write(request.subarray(written));
    }
    const statusLine = /^HTTP\/1\.[01] (\d{3})\b/.exec(await input.line());
    if (!statusLine) throw new TypeError(`not an HTTP/1.1 answer on ${socketPath}`);
    const fields = new Map<string, string>();
    for (let line = await input.line(); line !== ""; line = await input.line()) {
      const colon = line.indexOf(":");
      if (colon > 0) {
        fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
    }
    const status = Number(statusLine[1]);
    const empty = method === "HEAD" || status === 204 || status === 304;
    return new SocketAnswer(status, fields, empty ? null : bodyReader(input, fields), input);
  } catch (e) {
    input.close();
    throw e;
  }
}

class SocketAnswer implements Answer {
  readonly status: number;
  readonly #fields: Map<string, string>;
  #next: (() => Promise<Uint8Array | null>) | null;
  #input: Incoming;

  constructor(
    status: number,
    fields: Map<string, string>,
    next: (() => Promise<Uint8Array | null>) | null,
    input: Incoming,
  ) {
    this.status = status;
    this.#fields = fields;
    this.#next = next;
    this.#input = input;
    if (next === null) input.close();
  }

  header(name: string): string | null {
    return this.#fields.get(name.toLowerCase()) ?? null;
  }

  async text(): Promise<string> {
    let out = "";
    for await (const chunk of this.chunks()) out += chunk;
    return out;
  }

  async *chunks(): AsyncGenerator<string> {
    const next = this.#next;
    this.#next = null;
    if (next === null) return;
    const decoder = new TextDecoder();
    try {
      for (let bytes = await next(); bytes !== null; bytes = await next()) {
        const text = decoder.decode(bytes, { stream: true });
        if (text) yield text;
      }
      const rest = decoder.decode();
      if (rest) yield rest;
    } finally {
      this.#input.close();
    }
  }

  cancel(): void {
    this.#next = null;
    this.#input.close();
  }
}

/** Reads the body: chunked, `Content-Length` bytes, or everything until the server closes. */
function bodyReader(
  input: Incoming,
  fields: Map<string, string>,
): () => Promise<Uint8Array | null> {
  const chunked = /\bchunked\b/i.test(fields.get("transfer-encoding") ?? "");
  const length = fields.get("content-length");
  let left = chunked ? 0 : length !== undefined ? Number(length) : Infinity;
  let first = true;
  let done = false;
  return async () => {
    if (done) return null;
    if (chunked && left === 0) {
      if (!first) await input.line(); // the CRLF that ends the previous chunk
      first = false;
      left = parseInt((await input.line()).split(";")[0], 16);
      if (!Number.isFinite(left)) throw new TypeError("bad chunk size in an HTTP answer");
      if (left === 0) {
        while ((await input.line()) !== ""); // trailers
        done = true;
        return null;
      }
    }
    if (left === 0) {
      done = true;
      return null;
    }
    const bytes = await input.take(left);
    if (bytes === null) {
      done = true;
      if (left === Infinity) return null;
      throw new TypeError("connection closed in the middle of an HTTP answer");
    }
    left -= bytes.length;
    return bytes;
  };
}

/** A connection read through a buffer: whole lines, or up to n bytes. */
class Incoming {
  #conn: Deno.Conn;
  #buf: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  #closed = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Reads more bytes into the buffer; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    if (this.#closed) return false;
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.#conn.read(chunk);
    if (n === null) return false;
    this.#buf = this.#buf.length === 0
      ? chunk.subarray(0, n)
      : concat(this.#buf, chunk.subarray(0, n));
    return true;
  }

  /** The next line without its CRLF; throws if the stream ends first. */
  async line(): Promise<string> {
    for (let from = 0;;) {
      const at = indexOfCrlf(this.#buf, from);
      if (at !== -1) {
        const line = new TextDecoder().decode(this.#buf.subarray(0, at));
        this.#buf = this.#buf.subarray(at + 2);
        return line;
      }
      from = Math.max(0, this.#buf.length - 1);
      if (!await this.#fill()) {
        throw new TypeError("connection closed in the middle of an HTTP answer");
      }
    }
  }

  /** Up to `max` bytes (at least one), or null at the end of the stream. */
  async take(max: number): Promise<Uint8Array | null> {
    if (this.#buf.length === 0 && !await this.#fill()) return null;
    const n = Math.min(max, this.#buf.length);
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}

function indexOfCrlf(buf: Uint8Array, from: number): number {
  for (let i = from; i + 1 < buf.length; i++) {
    if (buf[i] === CR && buf[i + 1] === LF) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The load case's HTTP client: HTTP/1.1 with keep-alive on one connection (a Unix socket, or TCP
 * as Prometheus scrapes), written on `Deno.connect`, whose answers' bodies are read into one
 * reused buffer and dropped (or kept when asked).
 *
 * Why not `fetch`: with 200 clients in one process, fetch's `Response`, `Headers` and body
 * streams and the `ArrayBuffer` of every body (a page of 1,000 jobs is ~400 KB) cost the harness
 * about a core and a half of the machine's two (session 8, `top -H`: its main thread at ~100 %,
 * its GC threads at 50–100 %), so kron's figures measured the harness's share of the cores as
 * much as kron. A client that keeps nothing of a body costs a few µs a request; what kron does
 * to answer is the same.
 *
 * @example
 * ```ts
 * import { KeepAliveClient } from "./_load_client.ts";
 * const c = new KeepAliveClient("/srv/kron/kron.sock");
 * const a = await c.request("GET", "/healthz");
 * console.log(a.status, a.bytes, a.serverTiming);
 * c.close();
 * ```
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CR = 13;
const LF = 10;

/** What the client keeps of an answer. */
export interface Answered {
  /** HTTP status code. */
  status: number;
  /** Body bytes as sent (compressed when the answer was). */
  bytes: number;
  /** `Server-Timing: kron;dur=<ms>`, or null without one. */
  serverTiming: number | null;
  /** Milliseconds from sending to the end of the answer's head. */
  headMs: number;
  /** The body, only when asked for with `keep` (else empty). */
  body: Uint8Array;
}

/**
 * One keep-alive connection; one request at a time. A failed connection is dropped and the next
 * request opens a new one.
 *
 * @example
 * ```ts
 * import { KeepAliveClient } from "./_load_client.ts";
 * const c = new KeepAliveClient("/srv/kron/kron.sock");
 * const a = await c.request("POST", "/v1/jobs/backup/trigger");
 * if (a.status >= 400) console.log("refused", a.status);
 * ```
 */
export class KeepAliveClient {
  #conn: Deno.Conn | null = null;
  #buf = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;

  /**
   * A client of the server on the Unix socket at `path`, or at `host:port` over TCP (`tcp://`
   * before it).
   */
  constructor(readonly path: string) {}

  #connect(): Promise<Deno.Conn> {
    if (!this.path.startsWith("tcp://")) {
      return Deno.connect({ transport: "unix", path: this.path });
    }
    const [hostname, port] = this.path.slice("tcp://".length).split(":");
    return Deno.connect({ hostname, port: Number(port) });
  }

  /**
   * Sends one request and reads its answer whole; rejects on a broken connection or an answer
   * that is not HTTP/1.1 (the connection is then closed).
   */
  async request(
    method: string,
    target: string,
    headers: Record<string, string> = {},
    keep = false,
  ): Promise<Answered> {
    try {
      return await this.#exchange(method, target, headers, keep);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Closes the connection (the next request opens another). */
  close(): void {
    try {
      this.#conn?.close();
    } catch {
      // already closed
    }
    this.#conn = null;
    this.#start = this.#end = 0;
  }

  async #exchange(
    method: string,
    target: string,
    headers: Record<string, string>,
    keep: boolean,
  ): Promise<Answered> {
    const conn = this.#conn ??= await this.#connect();
    let head = `${method} ${target} HTTP/1.1\r\nhost: localhost\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    if (method !== "GET" && method !== "HEAD") head += "content-length: 0\r\n";
    const t0 = performance.now();
    const req = encoder.encode(head + "\r\n");
    for (let off = 0; off < req.length;) off += await conn.write(req.subarray(off));
    const lines = await this.#head();
    const headMs = performance.now() - t0;
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0])?.[1]);
    if (!Number.isFinite(status)) throw new Error(`not an HTTP/1.1 answer: ${lines[0]}`);
    let length = -1, chunked = false, close = false, serverTiming: number | null = null;
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(":");
      const name = lines[i].slice(0, colon).toLowerCase();
      const value = lines[i].slice(colon + 1).trim();
      if (name === "content-length") length = Number(value);
      else if (name === "transfer-encoding") chunked = value.toLowerCase().includes("chunked");
      else if (name === "connection") close = value.toLowerCase() === "close";
      else if (name === "server-timing") {
        const m = /kron;dur=([\d.]+)/.exec(value);
        if (m) serverTiming = Number(m[1]);
      }
    }
    const parts: Uint8Array[] = [];
    let bytes = 0;
    const take = async (n: number) => {
      bytes += n;
      while (n > 0) {
        if (this.#start === this.#end) await this.#fill();
        const k = Math.min(n, this.#end - this.#start);
        if (keep) parts.push(this.#buf.slice(this.#start, this.#start + k));
        this.#start += k;
        n -= k;
      }
    };
    if (method === "HEAD" || status === 204 || status === 304) {
      // no body
    } else if (chunked) {
      for (;;) {
        const size = parseInt(await this.#line(), 16);
        if (!Number.isFinite(size)) throw new Error("a chunk without its size");
        if (size === 0) {
          while ((await this.#line()) !== ""); // trailers, then the blank line
          break;
        }
        await take(size);
        await this.#line();
      }
    } else if (length >= 0) await take(length);
    else {
      // Until the server closes: the connection cannot be reused.
      for (;;) {
        if (this.#start === this.#end && !(await this.#fill(true))) break;
        await take(this.#end - this.#start);
      }
      close = true;
    }
    if (close) this.close();
    let body: Uint8Array = new Uint8Array(0);
    if (keep) {
      body = new Uint8Array(bytes);
      let off = 0;
      for (const p of parts) {
        body.set(p, off);
        off += p.length;
      }
    }
    return { status, bytes, serverTiming, headMs, body };
  }

  /** Reads more into the buffer; false at the end of the stream when `eofOk`, else throws. */
  async #fill(eofOk = false): Promise<boolean> {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    else if (this.#end === this.#buf.length) {
      if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else {
        const bigger = new Uint8Array(this.#buf.length * 2);
        bigger.set(this.#buf);
        this.#buf = bigger;
      }
    }
    const n = await this.#conn!.read(this.#buf.subarray(this.#end));
    if (n === null) {
      if (eofOk) return false;
      throw new Error("the server closed the connection");
    }
    this.#end += n;
    return true;
  }

  /** One line without its CRLF. */
  async #line(): Promise<string> {
    for (;;) {
      for (let i = this.#start; i + 1 < this.#end; i++) {
        if (this.#buf[i] === CR && this.#buf[i + 1] === LF) {
          const s = decoder.decode(this.#buf.subarray(this.#start, i));
          this.#start = i + 2;
          return s;
        }
      }
      await this.#fill();
    }
  }

  /** The status line and header lines, up to the blank line. */
  async #head(): Promise<string[]> {
    const lines: string[] = [];
    for (let line = await this.#line(); line !== ""; line = await this.#line()) lines.push(line);
    return lines;
  }
}

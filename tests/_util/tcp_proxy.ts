/**
 * A fault injector between two processes: a TCP proxy on a loopback port that forwards to a
 * target and can pass, delay, blackhole and reset the link. Blackholed bytes are held, not
 * dropped (as TCP retransmits them), and flow again, in order, when the link heals; a reset
 * closes every open connection and refuses new ones until the link heals.
 *
 * @example
 * ```ts
 * import { TcpProxy } from "./tcp_proxy.ts";
 * const proxy = TcpProxy.start(5432);
 * proxy.blackhole();
 * proxy.pass();
 * await proxy.close();
 * ```
 * @module
 */

type Mode = "pass" | "delay" | "blackhole" | "reset";

interface Link {
  client: Deno.Conn;
  server: Deno.Conn | null;
}

/**
 * The proxy (see the module doc).
 *
 * @example
 * ```ts
 * import { TcpProxy } from "./tcp_proxy.ts";
 * const p = TcpProxy.start(80);
 * p.delay(2000);
 * await p.close();
 * ```
 */
export class TcpProxy {
  readonly port: number;
  readonly #listener: Deno.Listener;
  readonly #target: number;
  readonly #links = new Set<Link>();
  #mode: Mode = "pass";
  #delayMs = 0;
  #healed: Promise<void> = Promise.resolve();
  #heal: () => void = () => {};

  private constructor(listener: Deno.Listener, target: number) {
    this.#listener = listener;
    this.#target = target;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#accept().catch(() => {});
  }

  /** A proxy on a free loopback port to `127.0.0.1:targetPort`. */
  static start(targetPort: number): TcpProxy {
    return new TcpProxy(Deno.listen({ hostname: "127.0.0.1", port: 0 }), targetPort);
  }

  /** The link's state. */
  get mode(): Mode {
    return this.#mode;
  }

  /** Forwards at once (heals any fault). */
  pass(): void {
    this.#set("pass");
  }

  /** Forwards every chunk `ms` late (in order). */
  delay(ms: number): void {
    this.#delayMs = ms;
    this.#set("delay");
  }

  /** Holds every byte, both ways, until healed; connections stay open. */
  blackhole(): void {
    this.#set("blackhole");
  }

  /** Closes every connection and refuses new ones until healed. */
  reset(): void {
    this.#set("reset");
    for (const l of this.#links) this.#drop(l);
  }

  async close(): Promise<void> {
    this.pass();
    this.#listener.close();
    for (const l of this.#links) this.#drop(l);
    await Promise.resolve();
  }

  #set(mode: Mode): void {
    const wasFault = this.#mode === "blackhole" || this.#mode === "reset";
    this.#mode = mode;
    if (mode === "blackhole" || mode === "reset") {
      if (!wasFault) this.#healed = new Promise((r) => this.#heal = r);
    } else if (wasFault) this.#heal();
  }

  #drop(l: Link): void {
    this.#links.delete(l);
    for (const c of [l.client, l.server]) {
      try {
        c?.close();
      } catch {
        // closed already
      }
    }
  }

  async #accept(): Promise<void> {
    for await (const client of this.#listener) {
      if (this.#mode === "reset") {
        client.close();
        continue;
      }
      const link: Link = { client, server: null };
      this.#links.add(link);
      (async () => {
        await this.#healed; // a blackholed link does not even connect
        link.server = await Deno.connect({ hostname: "127.0.0.1", port: this.#target });
        await Promise.all([
          this.#pump(link, client, link.server),
          this.#pump(link, link.server, client),
        ]);
      })().catch(() => {}).finally(() => this.#drop(link));
    }
  }

  async #pump(link: Link, from: Deno.Conn, to: Deno.Conn): Promise<void> {
    let chain = Promise.resolve();
    const buf = new Uint8Array(64 * 1024);
    while (this.#links.has(link)) {
      const n = await from.read(buf);
      if (n === null) break;
      const chunk = buf.slice(0, n);
      const at = Date.now() + (this.#mode === "delay" ? this.#delayMs : 0);
      chain = chain.then(async () => {
        await this.#healed;
        const wait = at - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await this.#healed;
        let off = 0;
        while (off < chunk.length) off += await to.write(chunk.subarray(off));
      });
      chain.catch(() => {}); // a closed link: the pump ends on its next read
      // Back-pressure: do not read far ahead of what was written.
      if (this.#mode !== "delay") await chain;
    }
    await chain;
  }
}

// A free loopback port for a server a test starts (a kron node, PostgreSQL, Prometheus) or
// starts again on the same port later (a restarted node, a revived one).
//
// Ports are taken below the kernel's ephemeral range (32768–60999 by default), not from
// `port: 0`: a port freed from that range may meanwhile become the local end of one of the
// test's own outgoing connections, and listening on it failed with AddrInUse (once in CI, a
// node revived on its old port in tests/http/nodes_test.ts). Servers the tests start on port
// 0 and outgoing connections never land here.

/** A loopback port nothing listens on now, from 20000–31999. */
export function freePort(): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch {
      // in use: try another
    }
  }
  throw new Error("no free loopback port in 20000–31999");
}

/**
 * Peers that run under Node: installed with npm into a cache dir (`$XDG_CACHE_HOME` or
 * `~/.cache`, `kron-bench/node-peers`) on first use, then run as `node <script> <dir> <json>`.
 *
 * @example
 * ```ts
 * import { runNodePeer } from "./_node_peers.ts";
 * const r = await runNodePeer("bullmq_peer.mjs", { url: "redis://127.0.0.1:6379", runs: 1000, concurrency: 100 });
 * ```
 * @module
 */

/** npm packages the Node peers need, pinned. */
export const NODE_PEERS = { bullmq: "6.7.0", ioredis: "5.9.2" } as const;

const HERE = new URL(".", import.meta.url).pathname;

function cacheDir(): string {
  const base = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  return `${base}/kron-bench/node-peers`;
}

async function output(cmd: string, args: string[], cwd?: string): Promise<string> {
  let out;
  try {
    out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    throw new Error(`${cmd} not found (${e instanceof Error ? e.message : e})`);
  }
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr).trim().slice(-400)}`);
  }
  return text;
}

/**
 * Installs the Node peers once; returns the dir holding their node_modules.
 *
 * @example
 * ```ts
 * import { ensureNodePeers } from "./_node_peers.ts";
 * const dir = await ensureNodePeers();
 * ```
 */
export async function ensureNodePeers(): Promise<string> {
  const dir = cacheDir();
  const want = Object.entries(NODE_PEERS).map(([n, v]) => `${n}@${v}`);
  try {
    let ok = true;
    for (const [name, version] of Object.entries(NODE_PEERS)) {
      const pkg = JSON.parse(await Deno.readTextFile(`${dir}/node_modules/${name}/package.json`));
      ok &&= pkg.version === version;
    }
    if (ok) return dir;
  } catch { /* not installed yet */ }
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/package.json`,
    '{"name":"kron-bench-node-peers","private":true}\n',
  );
  await output("npm", ["install", "--no-audit", "--no-fund", "--silent", ...want], dir);
  return dir;
}

/**
 * Runs a Node peer script of scripts/bench/node/ and returns the JSON of its last line.
 *
 * @example
 * ```ts
 * import { runNodePeer } from "./_node_peers.ts";
 * await runNodePeer("bullmq_peer.mjs", { url: "redis://127.0.0.1:6379", runs: 1000, concurrency: 50 });
 * ```
 */
export async function runNodePeer<T>(script: string, params: unknown): Promise<T> {
  const dir = await ensureNodePeers();
  const text = await output("node", [`${HERE}node/${script}`, dir, JSON.stringify(params)]);
  return JSON.parse(text.trim().split("\n").at(-1) ?? "") as T;
}

/**
 * The installed Node version (`v20.…`), or null when there is no `node`.
 *
 * @example
 * ```ts
 * import { nodeVersion } from "./_node_peers.ts";
 * await nodeVersion();
 * ```
 */
export async function nodeVersion(): Promise<string | null> {
  try {
    return (await output("node", ["--version"])).trim();
  } catch {
    return null;
  }
}

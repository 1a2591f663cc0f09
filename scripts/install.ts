/**
 * `deno task install [--root DIR]`: puts `kron` (and `ku`, koku's name for it) on PATH, where
 * `deno compile` cannot download `denort`. Each is a `deno install -g` shim (works offline) that
 * runs this checkout's main.ts with exactly the flags of deno.json's `kron` task, the binary's,
 * from the caller's working directory: `kron init` writes there, `./jobs.toml` is the caller's.
 *
 * The shim names the Deno that ran this task by its absolute path (`npx -y deno@2.9.6 task
 * install` leaves no `deno` on PATH). The install root: `--root`, else `DENO_INSTALL_ROOT`, else
 * the first of `~/.deno`, `~/.local` and (for root) `/usr/local` whose `bin` is on PATH, else
 * `~/.deno` with one line saying how to add it to PATH.
 *
 * ```sh
 * deno task install                  # kron and ku in ~/.deno/bin (or a bin dir already on PATH)
 * deno task install --root /opt/kron # /opt/kron/bin/kron, /opt/kron/bin/ku
 * ```
 *
 * @example
 * ```ts
 * import { installArgs } from "./install.ts";
 * installArgs("kron", "/usr/local", ["--allow-read"]).slice(0, 3); // ["install", "-g", "-f"]
 * ```
 * @module
 */
import { kronTaskFlags } from "../src/cli/self.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/**
 * The names installed, each running kron.
 *
 * @example
 * ```ts
 * import { NAMES } from "./install.ts";
 * NAMES; // ["kron", "ku"]
 * ```
 */
export const NAMES = ["kron", "ku"] as const;

/**
 * The `deno install` arguments that install `name` under `root` with the kron task's `flags`.
 *
 * @example
 * ```ts
 * import { installArgs } from "./install.ts";
 * installArgs("ku", "/root/.deno", ["--allow-net"]).includes("ku"); // true
 * ```
 */
export function installArgs(name: string, root: string, flags: readonly string[]): string[] {
  return [
    "install",
    "-g",
    "-f",
    "--root",
    root,
    "--name",
    name,
    // The checkout's imports, lockfile and npm packages, wherever the caller stands.
    "--config",
    `${ROOT}deno.json`,
    ...flags,
    `${ROOT}main.ts`,
  ];
}

/**
 * The install root: see the module doc.
 *
 * @example
 * ```ts
 * import { installRoot } from "./install.ts";
 * installRoot(undefined, { HOME: "/home/me", PATH: "/home/me/.local/bin:/usr/bin" }, 1000);
 * // { root: "/home/me/.local", onPath: true }
 * ```
 */
export function installRoot(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  uid: number | null,
): { root: string; onPath: boolean } {
  const path = (env.PATH ?? "").split(":").map((p) => p.replace(/\/+$/, ""));
  const onPath = (root: string) => path.includes(`${root.replace(/\/+$/, "")}/bin`);
  const given = flag ?? env.DENO_INSTALL_ROOT;
  if (given) return { root: given, onPath: onPath(given) };
  const home = env.HOME ?? "/root";
  const candidates = [`${home}/.deno`, `${home}/.local`, ...(uid === 0 ? ["/usr/local"] : [])];
  const found = candidates.find(onPath);
  return found ? { root: found, onPath: true } : { root: `${home}/.deno`, onPath: false };
}

/** Points the shim at the Deno running this task instead of whatever `deno` PATH finds. */
function pinDeno(shim: string): string {
  const quoted = `'${Deno.execPath().replaceAll("'", `'\\''`)}'`;
  return shim.replace(/^exec deno /m, `exec ${quoted} `);
}

async function main(args: string[]): Promise<number> {
  const i = args.indexOf("--root");
  const flag = i === -1 ? undefined : args[i + 1];
  if (i !== -1 && !flag) {
    console.error("install: --root needs a directory");
    return 2;
  }
  const { root, onPath } = installRoot(flag, Deno.env.toObject(), Deno.uid());
  const bin = `${root.replace(/\/+$/, "")}/bin`;
  const flags = kronTaskFlags();
  for (const name of NAMES) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: installArgs(name, root, flags),
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const why = new TextDecoder().decode(out.stderr).trim().split("\n")[0];
      console.error(`install: deno install ${name} failed: ${why}`);
      return 1;
    }
    const shim = `${bin}/${name}`;
    await Deno.writeTextFile(shim, pinDeno(await Deno.readTextFile(shim)));
  }
  const check = await new Deno.Command(`${bin}/kron`, { args: ["version"], stdout: "piped" })
    .output();
  const version = new TextDecoder().decode(check.stdout).trim();
  if (!check.success || !version.startsWith("kron ")) {
    console.error(`install: ${bin}/kron does not run (exit ${check.code})`);
    return 1;
  }
  console.log(`installed kron and ku in ${bin} (${version}, runs ${ROOT}main.ts)`);
  if (!onPath) console.log(`add it to PATH: export PATH="${bin}:$PATH"`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));

/**
 * The bearer token of the TCP listener: `KRON_TOKEN` when set, else `<dataDir>/admin.token`
 * (64 hex characters from the system CSPRNG, mode 0600), created the first time TCP starts.
 *
 * @example
 * ```ts
 * import { resolveToken } from "./token.ts";
 * const dir = Deno.makeTempDirSync();
 * const { token, source } = await resolveToken(dir, { create: true });
 * token.length; // 64 (unless KRON_TOKEN is set)
 * source; // "file"
 * ```
 * @module
 */
import { KronError } from "../errors.ts";

/**
 * File name of the token inside the data dir.
 *
 * @example
 * ```ts
 * import { TOKEN_FILE } from "./token.ts";
 * TOKEN_FILE; // "admin.token"
 * ```
 */
export const TOKEN_FILE = "admin.token";
/**
 * Shortest `KRON_TOKEN` accepted: a guessable token on a network port is worse than none.
 *
 * @example
 * ```ts
 * import { MIN_ENV_TOKEN_LENGTH } from "./token.ts";
 * MIN_ENV_TOKEN_LENGTH; // 16
 * ```
 */
export const MIN_ENV_TOKEN_LENGTH = 16;

/**
 * Where the token came from.
 *
 * @example
 * ```ts
 * import type { TokenSource } from "./token.ts";
 * const fromFile = (s: TokenSource) => s === "file";
 * ```
 */
export type TokenSource = "env" | "file";

/**
 * A fresh token: 32 random bytes as 64 lowercase hex characters.
 *
 * @example
 * ```ts
 * import { generateToken } from "./token.ts";
 * /^[0-9a-f]{64}$/.test(generateToken()); // true
 * ```
 */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/**
 * `KRON_TOKEN`, or null when unset (or env access is not permitted).
 *
 * @example
 * ```ts
 * import { envToken } from "./token.ts";
 * envToken(); // null unless KRON_TOKEN is set
 * ```
 */
export function envToken(): string | null {
  let value: string | undefined;
  try {
    value = Deno.env.get("KRON_TOKEN");
  } catch {
    return null;
  }
  if (value === undefined || value === "") return null;
  if (value.trim().length < MIN_ENV_TOKEN_LENGTH) {
    throw new KronError(
      "invalid_option",
      `KRON_TOKEN must be at least ${MIN_ENV_TOKEN_LENGTH} characters (try: openssl rand -hex 32)`,
    );
  }
  return value.trim();
}

/**
 * The path of the token file of a data dir.
 *
 * @example
 * ```ts
 * import { tokenPath } from "./token.ts";
 * tokenPath("/var/lib/kron"); // "/var/lib/kron/admin.token"
 * ```
 */
export function tokenPath(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, "")}/${TOKEN_FILE}`;
}

/**
 * Reads `<dataDir>/admin.token`; null when it does not exist. Throws when it is malformed.
 *
 * @example
 * ```ts
 * import { readTokenFile } from "./token.ts";
 * await readTokenFile(Deno.makeTempDirSync()); // null
 * ```
 */
export async function readTokenFile(dataDir: string): Promise<string | null> {
  const path = tokenPath(dataDir);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const token = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(token)) {
    throw new KronError(
      "invalid_option",
      `${path} must hold 64 hex characters (delete it to get a new one)`,
    );
  }
  return token.toLowerCase();
}

/**
 * The token to check TCP requests against: `KRON_TOKEN`, else the data dir's token file,
 * created 0600 when missing and `create` is set. Throws when there is none to be had.
 *
 * @example
 * ```ts
 * import { resolveToken } from "./token.ts";
 * const { token } = await resolveToken(Deno.makeTempDirSync(), { create: true });
 * ```
 */
export async function resolveToken(
  dataDir: string | null,
  options: { create: boolean },
): Promise<{ token: string; source: TokenSource; path: string | null }> {
  const env = envToken();
  if (env !== null) return { token: env, source: "env", path: null };
  if (dataDir === null) {
    throw new KronError(
      "invalid_option",
      "the HTTP listener needs a token: set KRON_TOKEN (there is no data dir to keep admin.token in)",
    );
  }
  const path = tokenPath(dataDir);
  const existing = await readTokenFile(dataDir);
  if (existing !== null) return { token: existing, source: "file", path };
  if (!options.create) {
    throw new KronError("invalid_option", `no token: set KRON_TOKEN or create ${path}`);
  }
  const token = generateToken();
  try {
    // createNew: two runtimes racing here must not overwrite each other's token.
    await Deno.writeTextFile(path, token + "\n", { mode: 0o600, createNew: true });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      const raced = await readTokenFile(dataDir);
      if (raced !== null) return { token: raced, source: "file", path };
    }
    throw e;
  }
  // The mode passed to open() is filtered by the umask; make sure it is exactly 0600.
  await Deno.chmod(path, 0o600);
  return { token, source: "file", path };
}

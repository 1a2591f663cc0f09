// Real headless Chromium for the dashboard test, driven by Playwright. CI installs Chromium
// with .ci/deps; a missing browser fails the test (never a silent skip).
// A test-only dependency, pinned here rather than in deno.json's imports so the library's
// dependency set stays what it ships with.
// deno-lint-ignore no-import-prefix
import { type BrowserContext, chromium, type Page } from "npm:playwright-core@1.65.1";

export type { Page };

export const CHROMIUM = "/usr/bin/chromium";

export interface Browser extends AsyncDisposable {
  context: BrowserContext;
}

/** Launches Chromium with a fresh profile; throws a clear message when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  try {
    Deno.statSync(CHROMIUM);
  } catch {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: run .ci/deps (as root) to install it; CI does.`,
    );
  }
  const profile = Deno.makeTempDirSync({ prefix: "kron-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 720 },
  });
  return {
    context,
    async [Symbol.asyncDispose]() {
      await context.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

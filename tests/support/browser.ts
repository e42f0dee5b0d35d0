// Debian's Chromium driven by playwright-core, the way these machines allow it: the system binary
// (never a downloaded browser), headless, no sandbox (the tests run as root), no background traffic
// (this machine reaches loopback only), and a fresh profile per launch. A failing check leaves a
// screenshot in test-output/browser/ for the person reading the failure.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { inProject } from "../../core/project-root.js";

export const CHROMIUM = "/usr/bin/chromium";

export interface TestBrowser {
  context: BrowserContext;
  /** Runs `check` on a new page; on failure saves `<name>.png` and rethrows. */
  onPage<T>(name: string, check: (page: Page) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Runs `check` on a page that stays open; on failure saves `<name>.png` and rethrows. */
export async function withScreenshot<T>(page: Page, name: string, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    await screenshot(page, name);
    throw err;
  }
}

async function screenshot(page: Page, name: string): Promise<void> {
  const folder = inProject("test-output/browser");
  mkdirSync(folder, { recursive: true });
  await page.screenshot({ path: join(folder, `${name}.png`), fullPage: true }).catch(() => undefined);
}

export async function launchChromium(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "kh-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"],
  });
  return {
    context,
    async onPage(name, check) {
      const page = await context.newPage();
      try {
        return await check(page);
      } catch (err) {
        await screenshot(page, name);
        throw err;
      } finally {
        await page.close().catch(() => undefined);
      }
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

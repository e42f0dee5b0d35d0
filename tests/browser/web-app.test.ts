// The example app (examples/web) in Debian's Chromium against a REHEARSED dev stack (stand-ins for the
// engine, Docker and Hasura: dev/rehearsal; the Hasura stand-in is a test double of Hasura, so this proves
// the app, the local sign-in and the stack's settings together, not Hasura itself), with the local sign-in
// (oidc-provider, no Kinde account). The app's page and its Kinde SDK code path are the real ones: sign
// in, see only your row, rename it and see the subscription update, a second user in a second browser
// sees only theirs, the subscription is renewed with a fresh token before exp, sign out; and a page on
// an origin outside hasuraCorsDomains shows the refusal as text.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStackSettings } from "../../core/settings/stack-settings.js";
import { type LiveStack, type RehearsalReport, rehearse } from "../../dev/rehearsal/rehearse.js";
import { type WebPlan, webPlanOf } from "../../examples/web/web-config.js";
import { startWebApp, type WebApp } from "../../examples/web/web-server.js";
import { freePort } from "../../scripts/lib/net/free-port.js";
import { credentialsOf } from "../../scripts/lib/stacks/stack-reader.js";
import { launchChromium, type TestBrowser, withScreenshot } from "../support/browser.js";
import { projectCopy } from "../support/project-copy.js";

/** Short, so that the renewal before exp (20 s before) happens during the test. */
const TOKEN_LIFETIME = 60;

let release: () => void = () => {};
let rehearsal: Promise<RehearsalReport> | undefined;
let app: WebApp;
let refusedApp: WebApp;
let ada: TestBrowser;
let bea: TestBrowser;
let adaPage: Page;
let beaPage: Page;

beforeAll(async () => {
  const copy = projectCopy("web-app");
  const allowedPort = await freePort();
  // Only the app's origin: the second app, on another port, is outside the list.
  copy.edit(
    "Pulumi.dev.yaml",
    "  kinde-hasura:hasuraDevMode: true",
    `  kinde-hasura:hasuraDevMode: true\n  kinde-hasura:hasuraCorsDomains: http://127.0.0.1:${allowedPort}`,
  );
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const live = await new Promise<LiveStack>((resolve, reject) => {
    rehearsal = rehearse({
      projectRoot: copy.root,
      stack: "dev",
      stateRoot: copy.stateRoot,
      env: { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
      whileUp: async (stack) => {
        resolve(stack);
        await held;
      },
    });
    rehearsal.then(
      (report) => reject(new Error(`the rehearsal ended before the stack was up: ${report.failure?.step}: ${report.failure?.message}`)),
      reject,
    );
  });
  const settings = parseStackSettings((k) => live.config[`kinde-hasura:${k}`], { project: "kinde-hasura", stack: "dev" });
  const plan: WebPlan = webPlanOf({ settings, outputs: live.outputs, credentials: credentialsOf(settings, live.outputs) });
  app = await startWebApp(plan, { port: allowedPort, signInPort: 0, accessTokenLifetime: TOKEN_LIFETIME });
  refusedApp = await startWebApp(plan, { port: 0, signInPort: 0, accessTokenLifetime: TOKEN_LIFETIME });
  [ada, bea] = await Promise.all([launchChromium(), launchChromium()]);
  adaPage = await ada.context.newPage();
  beaPage = await bea.context.newPage();
}, 240_000);

afterAll(async () => {
  await Promise.all([ada?.close(), bea?.close(), app?.stop(), refusedApp?.stop()]);
  release();
  await rehearsal;
}, 60_000);

/** From the app's "Sign in" through the local sign-in's form back to the app, signed in. */
async function signIn(page: Page, appUrl: string, userId: string): Promise<void> {
  await page.goto(appUrl);
  await expect.poll(() => page.textContent("#status")).toContain("Signed out");
  await page.click("#sign-in");
  await page.waitForSelector("input#user");
  expect(new URL(page.url()).origin).not.toBe(new URL(appUrl).origin);
  await page.fill("input#user", userId);
  await page.click("button#sign-in");
  await page.waitForURL((url) => url.origin === new URL(appUrl).origin);
}

/** The ids of the rows the page shows, as Hasura returned them. */
const shownIds = (page: Page) => page.$$eval("#rows tr", (rows) => rows.map((r) => (r as HTMLElement).dataset.id));

describe("the example app in Chromium, against a rehearsed dev stack and the local sign-in", () => {
  it("signs a seed user in and shows exactly that user's row", { timeout: 60_000 }, async () => {
    await withScreenshot(adaPage, "web-sign-in", async () => {
      await signIn(adaPage, app.url, "kp_seed_ada");
      await expect.poll(() => adaPage.textContent("#status"), { timeout: 15_000 }).toBe("Signed in as kp_seed_ada (stack dev).");
      await expect.poll(() => shownIds(adaPage)).toEqual(["kp_seed_ada"]);
      expect(await adaPage.textContent("#rows")).toContain("Ada Lovelace");
      expect(await adaPage.textContent("#error")).toBe("");
      await expect.poll(() => adaPage.textContent("#live"), { timeout: 15_000 }).toContain("Live: connected");
      expect(await adaPage.textContent("#live-name")).toBe("Ada Lovelace");
    });
  });

  it("creates a new user's row on first sign-in, and a second user in a second browser sees only theirs", { timeout: 60_000 }, async () => {
    await withScreenshot(beaPage, "web-second-user", async () => {
      await signIn(beaPage, app.url, "kp_browser_bea");
      await expect.poll(() => beaPage.textContent("#status"), { timeout: 15_000 }).toBe("Signed in as kp_browser_bea (stack dev).");
      await expect.poll(() => shownIds(beaPage)).toEqual(["kp_browser_bea"]);
      const text = await beaPage.textContent("#rows");
      for (const other of ["kp_seed_ada", "Ada Lovelace", "kp_seed_grace", "kp_seed_alan"]) expect(text).not.toContain(other);
    });
  });

  it("renames the caller's row and the subscription shows it; the other user's page does not", { timeout: 60_000 }, async () => {
    await withScreenshot(adaPage, "web-rename", async () => {
      await adaPage.fill("#name", "Ada Byron");
      await adaPage.click("#save");
      await expect.poll(() => adaPage.textContent("#live-name"), { timeout: 15_000 }).toBe("Ada Byron");
      await expect.poll(() => adaPage.textContent("#rows")).toContain("Ada Byron");
      expect(await shownIds(adaPage)).toEqual(["kp_seed_ada"]);
    });
    await beaPage.reload();
    await expect.poll(() => shownIds(beaPage), { timeout: 15_000 }).toEqual(["kp_browser_bea"]);
    expect(await beaPage.textContent("#live-name")).not.toContain("Ada");
  });

  it("renews the subscription with a fresh token before exp and keeps showing changes", { timeout: 90_000 }, async () => {
    await withScreenshot(adaPage, "web-renewal", async () => {
      const expiresAt = (text: string | null) => /token expires at ([^;]+);/.exec(text ?? "")?.[1];
      const first = expiresAt(await adaPage.textContent("#live"));
      expect(first).toBeDefined();
      // Renewal comes 20 s before exp of a 60 s token; the token the page started with ends then.
      await expect.poll(() => adaPage.textContent("#live"), { timeout: 70_000, interval: 1000 }).toContain("renewed 1 time(s)");
      // A fresh token, not the old one again: the renewed subscription's token expires later.
      const renewed = expiresAt(await adaPage.textContent("#live"));
      expect(renewed).toBeDefined();
      expect(renewed).not.toBe(first);
      await adaPage.fill("#name", "Ada King");
      await adaPage.click("#save");
      await expect.poll(() => adaPage.textContent("#live-name"), { timeout: 15_000 }).toBe("Ada King");
      expect(await adaPage.textContent("#error")).toBe("");
    });
  });

  it("signs out: the app is signed out and signing in asks who you are again", { timeout: 60_000 }, async () => {
    await withScreenshot(adaPage, "web-sign-out", async () => {
      await adaPage.click("#sign-out");
      await adaPage.waitForURL((url) => url.origin === new URL(app.url).origin && !url.pathname.startsWith("/session"), { timeout: 15_000 });
      await expect.poll(() => adaPage.textContent("#status"), { timeout: 15_000 }).toContain("Signed out");
      expect(await adaPage.isHidden("#signed-in")).toBe(true);
      await adaPage.click("#sign-in");
      // The sign-in's session ended too: it asks again instead of signing Ada straight back in.
      await adaPage.waitForSelector("input#user", { timeout: 15_000 });
    });
  });

  it("on an origin outside hasuraCorsDomains, shows the browser's refusal as text naming the setting", { timeout: 60_000 }, async () => {
    const page = await bea.context.newPage();
    await withScreenshot(page, "web-cors-refused", async () => {
      await signIn(page, refusedApp.url, "kp_seed_grace");
      await expect.poll(() => page.textContent("#error"), { timeout: 15_000 }).toContain(`The browser refused Hasura's answer: Hasura is up`);
      expect(await page.textContent("#error")).toContain(`this page's origin ${refusedApp.url} is not in stack dev's hasuraCorsDomains`);
      expect(await shownIds(page)).toEqual([]);
    });
  });
});

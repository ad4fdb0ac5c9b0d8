// One way for the Node-side browser checks (demo page, sync-batch-norm workers page, package
// consumers, the shared bodies in Firefox) to drive either engine: Debian's Chromium through
// Playwright, Debian's Firefox through puppeteer-core (WebDriver BiDi). A check is written
// once against EngineBrowser / EnginePage and runs for every engine of ENGINES present here.
import { CHROMIUM_PATH, chromiumLaunchOptions, chromiumMissingReason, hasChromium } from "./chromium.js";
import { FIREFOX_PATH, firefoxLaunchOptions, firefoxMissingReason, hasFirefox } from "./firefox.js";

export interface EnginePage {
  goto(url: string): Promise<void>;
  /** Resolves once fn() is truthy in the page. */
  waitFor(fn: () => unknown, timeoutMs: number): Promise<void>;
  /** fn runs in the page (it must not close over Node values: pass them as arg). */
  evaluate<T, A = undefined>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T>;
  screenshot(path: string): Promise<void>;
  /** Uncaught errors of the page ("pageerror"), in order. */
  readonly pageErrors: string[];
  /** console.error messages of the page, in order. */
  readonly consoleErrors: string[];
  close(): Promise<void>;
}

export interface EngineBrowser {
  newPage(viewport?: { width: number; height: number }): Promise<EnginePage>;
  close(): Promise<void>;
}

export interface Engine {
  readonly name: "chromium" | "firefox";
  readonly label: "Chromium" | "Firefox";
  readonly path: string;
  readonly available: boolean;
  /** Why the engine's checks are skipped here. */
  readonly missingReason: string;
  /** The variable that, set to 1 (as .ci/run does), makes the engine's absence an error. */
  readonly requiredBy: string;
  launch(): Promise<EngineBrowser>;
}

/** What Playwright's and puppeteer's pages share, as far as these checks use them. */
interface LibraryPage {
  on(event: "pageerror", listener: (error: Error) => void): unknown;
  on(event: "console", listener: (message: { type(): string; text(): string }) => void): unknown;
  goto(url: string): Promise<unknown>;
  screenshot(options: { path: string; fullPage: boolean }): Promise<unknown>;
  close(): Promise<void>;
}

/** An EnginePage over a library's page; the two libraries differ only in the argument order of these two. */
function enginePage(page: LibraryPage, waitFor: EnginePage["waitFor"], evaluate: EnginePage["evaluate"]): EnginePage {
  const pageErrors: string[] = [], consoleErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => (m.type() === "error" ? consoleErrors.push(m.text()) : undefined));
  return {
    pageErrors, consoleErrors, waitFor, evaluate,
    goto: async (url) => void (await page.goto(url)),
    screenshot: async (path) => void (await page.screenshot({ path, fullPage: true })),
    close: () => page.close(),
  };
}

async function launchChromium(): Promise<EngineBrowser> {
  const { chromium } = await import("playwright");
  const browser = await chromium.launch(chromiumLaunchOptions);
  return {
    async newPage(viewport) {
      const page = await browser.newPage(viewport ? { viewport } : {});
      return enginePage(page,
        async (fn, timeout) => void (await page.waitForFunction(fn, null, { timeout })),
        (fn, arg) => page.evaluate(fn, arg as never));
    },
    close: () => browser.close(),
  };
}

/**
 * puppeteer's setViewport sends the viewport and a screen-orientation override together;
 * Debian's firefox-esr 140 knows only the first ("unknown command
 * emulation.setScreenOrientationOverride"), and the viewport is applied all the same.
 */
function ignoreMissingOrientationOverride(error: unknown): void {
  if (!String(error).includes("setScreenOrientationOverride")) throw error;
}

async function launchFirefox(): Promise<EngineBrowser> {
  const puppeteer = (await import("puppeteer-core")).default;
  const browser = await puppeteer.launch(firefoxLaunchOptions);
  return {
    async newPage(viewport) {
      const page = await browser.newPage();
      if (viewport) await page.setViewport(viewport).catch(ignoreMissingOrientationOverride);
      // puppeteer types on() by its PageEvent enum, whose "pageerror" and "console" are these.
      return enginePage(page as unknown as LibraryPage,
        async (fn, timeout) => void (await page.waitForFunction(fn, { timeout })),
        (fn, arg) => page.evaluate(fn as (a: unknown) => never, arg) as never);
    },
    close: () => browser.close(),
  };
}

export const CHROMIUM: Engine = {
  name: "chromium", label: "Chromium", path: CHROMIUM_PATH, available: hasChromium, missingReason: chromiumMissingReason,
  requiredBy: "BATCHNORM_WASM_REQUIRE_CHROMIUM", launch: launchChromium,
};
export const FIREFOX: Engine = {
  name: "firefox", label: "Firefox", path: FIREFOX_PATH, available: hasFirefox, missingReason: firefoxMissingReason,
  requiredBy: "BATCHNORM_WASM_REQUIRE_FIREFOX", launch: launchFirefox,
};

/** Every engine the browser checks run in (each where it is installed). */
export const ENGINES: readonly Engine[] = [CHROMIUM, FIREFOX];

/** Launches the engine, runs use(browser), always closes it. */
export async function withBrowser<T>(engine: Engine, use: (browser: EngineBrowser) => Promise<T>): Promise<T> {
  const browser = await engine.launch();
  try {
    return await use(browser);
  } finally {
    await browser.close();
  }
}

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import playwright from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

const run = promisify(execFile);
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(process.cwd(), 'test-results', 'web');
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** Builds the web app (npm run build:web) into a fresh folder the test app serves. */
export async function buildWebApp(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'citypay-web-'));
  await run(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'apps/web/vite.config.ts', '--outDir', out, '--emptyOutDir', '--logLevel', 'error'], {
    cwd: process.cwd(),
    // Jest runs with NODE_ENV=test, which would make Vite bundle React's development build
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (!existsSync(join(out, 'index.html'))) throw new Error('web build wrote no index.html');
  return out;
}

/** Debian's chromium, headless, quiet (no background traffic), a fresh temporary profile per launch. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface AxeViolation {
  page: string;
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

const AXE = join(process.cwd(), 'node_modules', 'axe-core', 'axe.min.js');

/** What the page keeps in localStorage under this key. */
export function stored(page: Page, key: string): Promise<string | null> {
  return page.evaluate((k) => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem(k), key);
}

/** axe-core on the current page; returns its serious and critical violations. */
export async function axe(page: Page, name: string): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE });
  const results = await page.evaluate(async () => {
    // runs in the page (no DOM types in this Node program)
    const w = globalThis as unknown as {
      document: unknown;
      axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> };
    };
    const r = await w.axe.run(w.document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ page: name, ...v }));
}

/**
 * Text the page shows (screen-reader-only text included) that looks like one
 * of the API's codes (UPPER_SNAKE: TRANSIT_OPERATOR, PENDING_TAP_OUT, ...):
 * an enum shown untranslated. Code samples (<code>, <pre>) are meant literally.
 */
export async function rawCodes(page: Page, name: string): Promise<AxeViolation[]> {
  const found = await page.evaluate(() => {
    // runs in the page (no DOM types in this Node program)
    const doc = (globalThis as unknown as { document: any }).document;
    const walker = doc.createTreeWalker(doc.body, 4 /* NodeFilter.SHOW_TEXT */);
    const out: string[] = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.parentElement || n.parentElement.closest('code, pre, script, style, noscript')) continue;
      for (const m of String(n.textContent).matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g)) out.push(m[0]);
    }
    return out;
  });
  return found.length ? [{ page: name, id: 'untranslated-code', impact: 'serious', help: 'An API code is shown as text: translate it', targets: [...new Set(found)] }] : [];
}

/**
 * Screenshot of the page at phone and desktop sizes (test-results/web, git-ignored),
 * and its accessibility check and its check for codes shown untranslated (collected into `violations`).
 */
export async function capture(page: Page, name: string, violations: AxeViolation[]): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // the signed-in app keeps its live event stream (GET /v1/me/events) open, so the network is
  // never idle: wait for the load, then for the pages' loading indicators (<Loading />) to go
  await page.waitForLoadState('load').catch(() => undefined);
  await page
    .waitForFunction(() => !(globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector('p.muted[role=status]'), undefined, { timeout: 10_000 })
    .catch(() => undefined);
  await page.waitForLoadState('networkidle', { timeout: 1_000 }).catch(() => undefined);
  violations.push(...(await axe(page, name)), ...(await rawCodes(page, name)));
  const original = page.viewportSize();
  for (const [size, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.${size}.png`), fullPage: true, animations: 'disabled' });
  }
  if (original) await page.setViewportSize(original);
}

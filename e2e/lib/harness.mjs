// The shared harness of the browser tests (e2e/*.mjs): the binary, a served
// demo city, the browser, logging in, evidence of a failed step, jobs.

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(HERE, '..');
export const BINARY = process.env.JIANGUAN_BIN ?? path.join(ROOT, 'target', 'debug', 'jianguan');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(HERE, 'artifacts');
export const PASSWORD = 'jianguan-demo';
// Every wait is bounded: the whole story must stay well under two minutes.
export const STEP_TIMEOUT_MS = 30_000;

/** Runs the binary to completion; returns its standard output. */
export function jianguan(...args) {
  return execFileSync(BINARY, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts `jianguan serve` on a free port; resolves to { base, child } once it prints its address. */
export function serve(dataDir) {
  const child = spawn(BINARY, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (chunk) => { log += chunk; });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no address:\n${out}\n${log}`)), 20_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (http:\/\/[^\s]+)/);
      if (match) {
        clearTimeout(timer);
        resolve({ base: match[1], child, log: () => log });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}):\n${out}\n${log}`));
    });
  });
}

/** The browser: a fresh profile, no network but loopback. */
export async function browse() {
  const profile = mkdtempSync(path.join(tmpdir(), 'jianguan-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  return { context, profile };
}

/** Logs in through the login form (ending any other session first). */
export async function logIn(page, base, username) {
  await page.context().clearCookies();
  await page.goto(`${base}/login`);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  // The header names the account once logged in.
  await page.getByRole('button', { name: '退出' }).waitFor();
}

/** Saves a screenshot and the HTML of the page, for a failed step. */
export async function keepEvidence(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const stem = path.join(ARTIFACTS, name.replace(/[^\w\u4e00-\u9fff-]+/g, '_'));
  await page.screenshot({ path: `${stem}.png`, fullPage: true }).catch(() => {});
  writeFileSync(`${stem}.html`, await page.content().catch(() => ''));
}

/** Today and a date `days` later (capped at the year's end), as YYYY-MM-DD. */
export function dateWindow(days) {
  const today = new Date();
  const end = new Date(today.getTime() + days * 86_400_000);
  const yearEnd = new Date(Date.UTC(today.getUTCFullYear(), 11, 31));
  const iso = (date) => date.toISOString().slice(0, 10);
  return [iso(today), iso(end < yearEnd ? end : yearEnd)];
}

/** Waits for the background job shown on the page to finish; fails if it failed. */
export async function waitForJob(page, timeout = 60_000) {
  const done = page.locator('.job [role=status], .job [role=alert]').first();
  await done.waitFor({ timeout });
  const text = await done.textContent();
  assert.doesNotMatch(text, /失败/, `the job failed: ${text}`);
  return text;
}


/**
 * The steps of a browser test: `step(name, body)` runs one as a node:test
 * subtest of `t`; after a failure the later steps are skipped. A failure
 * keeps evidence (screenshot, page HTML, named `prefix` + step) and adds the
 * page's address and the server log's tail to the error.
 */
export function stepper(t, page, server, prefix = '') {
  let failed = false;
  return async (name, body) => {
    await t.test(name, { skip: failed ? 'an earlier step failed' : undefined }, async () => {
      try {
        await body();
      } catch (error) {
        failed = true;
        await keepEvidence(page, `${prefix}${name}`);
        error.message += `\n(page ${page.url()}; server log tail:\n${server.log().slice(-2000)})`;
        throw error;
      }
    });
  };
}

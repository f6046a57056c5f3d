// The end-to-end story of the web application, in a real browser (Debian's
// Chromium driven by playwright-core; no browser is ever downloaded).
//
// It builds nothing: it runs the debug binary (target/debug/jianguan, or
// $JIANGUAN_BIN) to make a 400-entity demo city in a temporary folder, serves
// it on a free loopback port, then walks one year's work through the pages:
// directories import → plan → approval → round → draw → result → public portal.
// Each step is a node:test subtest; after a failure the later steps are
// skipped, and a screenshot and the page's HTML go to e2e/artifacts/.
//
// Run: node --test e2e/story.mjs   (scripts/test.sh does, after cargo build)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const BINARY = process.env.JIANGUAN_BIN ?? path.join(ROOT, 'target', 'debug', 'jianguan');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(HERE, 'artifacts');
const PASSWORD = 'jianguan-demo';
// Every wait is bounded: the whole story must stay well under two minutes.
const STEP_TIMEOUT_MS = 30_000;

/** Runs the binary to completion; returns its standard output. */
function jianguan(...args) {
  return execFileSync(BINARY, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts `jianguan serve` on a free port; resolves to { base, child } once it prints its address. */
function serve(dataDir) {
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
async function browse() {
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
async function logIn(page, base, username) {
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
async function keepEvidence(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const stem = path.join(ARTIFACTS, name.replace(/[^\w\u4e00-\u9fff-]+/g, '_'));
  await page.screenshot({ path: `${stem}.png`, fullPage: true }).catch(() => {});
  writeFileSync(`${stem}.html`, await page.content().catch(() => ''));
}

test('一年的工作：名录导入 → 计划 → 批次抽取 → 结果 → 公示', { timeout: 180_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jianguan-e2e-'));
  const demo = jianguan('demo', '--entities', '400', '--no-serve', '--data-dir', dataDir);
  assert.match(demo, /演示账号/);
  const upload = path.join(dataDir, 'entities.xlsx');
  jianguan('export', 'entities', '--out', upload, '--data-dir', dataDir);

  const server = await serve(dataDir);
  const { context, profile } = await browse();
  const page = context.pages()[0] ?? (await context.newPage());
  const base = server.base;
  // What the steps learn and pass on.
  const story = {};

  let failed = false;
  /** One step; skipped after a failure; evidence kept when it fails. */
  const step = (name, body, options = {}) =>
    t.test(name, options, async (s) => {
      if (failed && !options.todo) {
        s.skip('an earlier step failed');
        return;
      }
      try {
        await body();
      } catch (error) {
        if (!options.todo) failed = true;
        await keepEvidence(page, name);
        error.message += `\n(page ${page.url()}; server log tail:\n${server.log().slice(-2000)})`;
        throw error;
      }
    });

  try {
    await step('系统管理员登录，看到工作台', async () => {
      await logIn(page, base, 'admin');
      await page.goto(`${base}/dashboard`);
      await assert.doesNotReject(page.getByRole('link', { name: '名录库' }).first().waitFor());
      assert.match(await page.title(), /工作台/);
    });

    await step('名录库：上传 XLSX 导入检查对象', async () => {
      // TODO(directories page): upload `upload` through the import form, wait for the job, see the counts.
      story.upload = upload;
    }, { todo: '名录库上传页尚未合并 (directories upload page not merged yet)' });

    await step('部门工作人员新建计划并备案', async () => {
      await logIn(page, base, 'scjg.staff');
      // TODO(plans pages): create a plan (标题、范围、比例), then 备案 (file) it; keep its id in story.plan.
    }, { todo: '计划页尚未合并 (plan pages not merged yet)' });

    await step('部门管理员审批并公示计划', async () => {
      // TODO(plans pages): as scjg.admin approve, then publish story.plan.
    }, { todo: '计划页尚未合并 (plan pages not merged yet)' });

    await step('系统管理员提交批次、录入信标、抽取', async () => {
      // TODO(rounds pages): commit a round with story.plan, type the beacon on the witness screen,
      // draw, wait for the progress to finish; keep a drawn entity in story.entity.
    }, { todo: '批次页尚未合并 (round pages not merged yet)' });

    await step('执法人员录入结果，工作人员公示', async () => {
      // TODO(results pages): as scjg.inspector enter a result for a visit of the round; as scjg.staff publish it.
    }, { todo: '结果页尚未合并 (result pages not merged yet)' });

    await step('公众在公示平台查到结果并核验抽取', async () => {
      await context.clearCookies();
      await page.goto(`${base}/gongshi`);
      assert.match(await page.title(), /公示平台/);
      // TODO(public portal): search story.entity by name and code, open the verification page, see the verdict.
    });
  } finally {
    await context.close();
    server.child.kill('SIGTERM');
    rmSync(profile, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

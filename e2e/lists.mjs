// Long lists and printable notices (issue 18), in a real browser: a round's
// visits are searched by a company's name and paged with the filters kept;
// the list exports as an XLSX job; a 检查通知书 opens from a visit row and
// prints without the app's menu (print CSS), naming the company, the items
// and the inspectors.
//
// Run: node --test e2e/lists.mjs   (after cargo build -p jianguan --bin jianguan)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jianguan, serve, browse, logIn, stepper, waitForJob } from './lib/harness.mjs';

const ROUND = '2025-Q1';

/** The number in the pager's 共 N 条. */
async function total(page) {
  const text = await page.locator('.pager span').first().textContent();
  const match = text.match(/共 (\d+) 条/);
  assert.ok(match, `a count: ${text}`);
  return Number(match[1]);
}

test('长列表：搜索、翻页、导出与检查通知书', { timeout: 120_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jianguan-e2e-lists-'));
  const demo = jianguan('demo', '--entities', '400', '--no-serve', '--data-dir', dataDir);
  assert.match(demo, /演示账号/);
  const server = await serve(dataDir);
  const { context, profile } = await browse();
  const page = context.pages()[0] ?? (await context.newPage());
  const base = server.base;
  const step = stepper(t, page, server, 'lists-');

  try {
    await logIn(page, base, 'admin');
    const rows = page.locator('td[data-label="市场主体"]');

    await step('按企业名称搜索检查任务', async () => {
      await page.goto(`${base}/rounds/${ROUND}/visits`);
      const all = await total(page);
      assert.ok(all > 50, `the round spans pages: ${all}`);
      const named = (await rows.first().locator('.named').textContent()).trim();
      const name = named.split(' ')[0];
      await page.getByLabel('搜索').fill(name);
      const started = Date.now();
      await page.getByRole('button', { name: '筛选' }).click();
      await page.waitForURL(/[?&]q=/);
      const elapsed = Date.now() - started;
      const found = await total(page);
      assert.ok(found >= 1 && found < all, `the search narrows: ${found} of ${all}`);
      assert.ok((await rows.first().textContent()).includes(name), 'the company is found');
      assert.ok(elapsed < 5_000, `searched in ${elapsed} ms`);
    });

    await step('翻到第 2 页，筛选条件保留', async () => {
      await page.goto(`${base}/rounds/${ROUND}/visits`);
      await page.getByLabel('检查部门').selectOption('SCJG');
      await page.getByRole('button', { name: '筛选' }).click();
      await page.waitForURL(/department=SCJG/);
      const scjg = await total(page);
      if (scjg <= 50) {
        // Few SCJG visits this run: page the whole round instead.
        await page.goto(`${base}/rounds/${ROUND}/visits`);
      }
      const first = (await rows.first().textContent()).trim();
      await page.locator('.pager a[rel="next"]').click();
      await page.waitForURL(/page=2/);
      if (scjg > 50) assert.match(page.url(), /department=SCJG/, 'the filter stays on page 2');
      await page.getByText(/第 2 \/ \d+ 页/).waitFor();
      assert.notEqual((await rows.first().textContent()).trim(), first, 'another page of visits');
    });

    await step('导出 XLSX 作为后台任务完成并可下载', async () => {
      await page.getByRole('button', { name: '导出 XLSX' }).click();
      await page.waitForURL('**/visits/export');
      const outcome = await waitForJob(page);
      assert.match(outcome, /已导出 \d+ 条/);
      const href = await page.locator('.job a.button').getAttribute('href');
      const file = await page.request.get(`${base}${href}`);
      assert.equal(file.status(), 200);
      const bytes = await file.body();
      assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'an XLSX file');
    });

    await step('打开检查通知书并按打印样式显示', async () => {
      await page.goto(`${base}/rounds/${ROUND}/visits`);
      const row = page.locator('tr', { has: page.locator('a', { hasText: '检查通知书' }) }).first();
      const named = (await row.locator('td[data-label="市场主体"] .named').textContent()).trim();
      const name = named.split(' ')[0];
      await row.getByRole('link', { name: '检查通知书' }).click();
      await page.waitForURL('**/notice');
      await page.getByRole('heading', { name: '检查通知书' }).waitFor();
      assert.equal((await page.locator('[data-field="entity-name"]').textContent()).trim(), name);
      assert.ok((await page.locator('[data-field="item"]').count()) > 0, 'the items');
      const inspectors = await page.locator('[data-field="inspector"]').allTextContents();
      assert.ok(inspectors.every((n) => /[\u4e00-\u9fff]{2,}/.test(n)), `inspectors by name: ${inspectors}`);
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.locator('header.top').isVisible(), false, 'no menu on paper');
      assert.equal(await page.getByRole('button', { name: '打印' }).isVisible(), false, 'no print button on paper');
      assert.ok(await page.locator('.visit-notice').isVisible(), 'the notice prints');
      assert.ok(await page.getByText('盖章').isVisible(), 'a space for the seal');
      await page.emulateMedia({ media: 'screen' });
    });
  } finally {
    await context.close();
    server.child.kill('SIGTERM');
    rmSync(profile, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

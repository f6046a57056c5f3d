// Errors as staff meet them, in a real browser (issue 18, "Found" 3): a plan
// form with a period over the new year is refused in Chinese inside the app
// frame, beside the form, the typed input kept and the field marked; corrected,
// it is saved. Without script the server's error page keeps the frame too.
//
// Run: cargo build -p jianguan --bin jianguan && CHROMIUM=/usr/bin/chromium node --test e2e/errors.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jianguan, serve, browse, logIn, stepper } from './lib/harness.mjs';

test('中文错误提示留在应用内', { timeout: 90_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jianguan-e2e-errors-'));
  jianguan('demo', '--entities', '400', '--no-serve', '--data-dir', dataDir);
  const server = await serve(dataDir);
  const { context, profile } = await browse();
  const page = context.pages()[0] ?? (await context.newPage());
  const base = server.base;
  const plan = `E2E-E${Date.now().toString(36).toUpperCase()}`;
  const title = '跨年度错误提示测试计划';
  const step = stepper(t, page, server, 'errors-');

  try {
    await step('跨年度的计划：错误在表单上方，输入保留，字段标出', async () => {
      await logIn(page, base, 'scjg.staff');
      await page.goto(`${base}/plans/new?lead=SCJG`);
      await page.getByLabel(/^计划编号/).fill(plan);
      await page.getByLabel('计划名称').fill(title);
      await page.getByLabel('执行期间：开始').fill('2026-11-01');
      await page.getByLabel('结束（同一年度内）').fill('2027-01-31');
      await page.locator('input[name=items]').first().check();
      await page.getByRole('button', { name: '保存为草稿' }).click();
      const alert = page.locator('.form-error[role=alert]');
      await alert.waitFor();
      const message = await alert.textContent();
      assert.match(message, /计划结束日期/);
      assert.match(message, /同一自然年度/);
      assert.doesNotMatch(message, /[A-Za-z]{3,} [A-Za-z]{2,} [A-Za-z]{2,}/, 'no English sentence');
      assert.equal(await alert.getAttribute('data-error-code'), 'invalid_field');
      assert.ok(page.url().endsWith('/plans/new?lead=SCJG'), `stayed on the form: ${page.url()}`);
      // Inside the app frame: the navigation and the user, not the login link.
      assert.ok(await page.locator('#menu').isVisible());
      assert.match(await page.locator('header.top .who').textContent(), /退出/);
      assert.equal(await page.getByRole('link', { name: '工作人员登录' }).count(), 0);
      // The input is kept and the field at fault is marked.
      assert.equal(await page.getByLabel(/^计划编号/).inputValue(), plan);
      assert.equal(await page.getByLabel('计划名称').inputValue(), title);
      assert.equal(await page.getByLabel('执行期间：开始').inputValue(), '2026-11-01');
      const end = page.getByLabel('结束（同一年度内）');
      assert.equal(await end.inputValue(), '2027-01-31');
      assert.equal(await end.getAttribute('aria-invalid'), 'true');
      assert.ok(await page.locator('#error-period_end.field-error').isVisible());
      assert.equal(await page.evaluate(() => document.activeElement?.name), 'period_end');
      assert.equal(await page.getByRole('button', { name: '保存为草稿' }).isEnabled(), true, 'not left busy');
    });

    await step('改正后提交成功', async () => {
      await page.getByLabel('结束（同一年度内）').fill('2026-12-31');
      await page.getByRole('button', { name: '保存为草稿' }).click();
      await page.waitForURL(`**/plans/${plan}`);
      await page.locator('.flash .message', { hasText: '已创建' }).waitFor();
      assert.match(await page.locator('main').textContent(), new RegExp(title));
    });

    await step('同一编号再建：409 提示在表单上方', async () => {
      await page.goto(`${base}/plans/new?lead=SCJG`);
      await page.getByLabel(/^计划编号/).fill(plan);
      await page.locator('input[name=items]').first().check();
      await page.getByRole('button', { name: '保存为草稿' }).click();
      const alert = page.locator('.form-error[role=alert]');
      await alert.waitFor();
      assert.match(await alert.textContent(), new RegExp(`计划编号 ${plan} 已存在`));
      assert.equal(await page.getByLabel(/^计划编号/).getAttribute('aria-invalid'), 'true');
    });

    await step('没有脚本时：错误页在应用内，可返回修改', async () => {
      const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
      const response = await page.request.post(`${base}/plans`, {
        form: {
          csrf, id: `${plan}-B`, title, lead: 'SCJG', items: 'SCJG-001-1', inspectors: '2', rate_A: '5',
          period_start: '2026-11-01', period_end: '2027-01-31', frequency: '每年1次',
        },
        maxRedirects: 0,
      });
      assert.equal(response.status(), 400);
      const html = await response.text();
      assert.match(html, /id="menu"/);
      assert.match(html, /计划结束日期/);
      assert.match(html, /返回修改/);
      assert.doesNotMatch(html, /工作人员登录/);
    });
  } finally {
    await context.close();
    server.child.kill();
    rmSync(profile, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

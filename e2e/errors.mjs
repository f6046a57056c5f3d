// Errors as staff meet them, in a real browser (issue 18, "Found" 3): a plan
// form with a period over the new year is refused in Chinese inside the app
// frame, beside the form, the typed input kept and the field marked; corrected,
// it is saved. Without script the server's error page keeps the frame too.
// Every staff form does the same (a bad enterprise code at 12345 intake, a bad
// 统一社会信用代码 on a department, result dates in the wrong order).
//
// Run: cargo build -p jianguan --bin jianguan && CHROMIUM=/usr/bin/chromium node --test e2e/errors.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jianguan, serve, browse, logIn, stepper, dateWindow } from './lib/harness.mjs';

/** The alert above the form, the marked field, the address unchanged. */
async function refusedInline(page, { url, field, pattern }) {
  const alert = page.locator('.form-error[role=alert]');
  await alert.waitFor();
  const message = await alert.textContent();
  assert.match(message, pattern);
  assert.doesNotMatch(message, /[A-Za-z]{3,} [A-Za-z]{2,} [A-Za-z]{2,}/, 'no English sentence');
  assert.equal(page.url(), url, 'stayed on the form');
  assert.ok(await page.locator('#menu').isVisible(), 'inside the app frame');
  const input = page.locator(`form [name="${field}"]`);
  assert.equal(await input.getAttribute('aria-invalid'), 'true', `${field} is marked`);
  assert.ok(await page.locator(`#error-${field}.field-error`).isVisible());
  assert.equal(await page.evaluate(() => document.activeElement?.name), field);
}

test('中文错误提示留在应用内', { timeout: 120_000 }, async (t) => {
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

    await step('12345 受理：主体代码有误，提示在代码栏旁，输入保留；改正后受理', async () => {
      await logIn(page, base, 'hotline.operator');
      const url = `${base}/hotline`;
      await page.goto(url);
      await page.locator('#in-name').fill('王女士');
      await page.locator('#in-phone').fill('13800001234');
      await page.locator('#in-category').fill('食品安全');
      await page.locator('#in-content').fill('超市出售过期牛奶');
      await page.locator('#in-entity').fill('9142XXXX');
      await page.getByRole('button', { name: '受理', exact: true }).click();
      await refusedInline(page, { url, field: 'entity_code', pattern: /统一社会信用代码“9142XXXX”有误/ });
      assert.equal(await page.locator('#in-content').inputValue(), '超市出售过期牛奶');
      assert.equal(await page.locator('#in-phone').inputValue(), '13800001234');
      await page.locator('#in-entity').fill('');
      await page.getByRole('button', { name: '受理', exact: true }).click();
      await page.waitForURL('**/hotline/orders/**');
      assert.match(await page.locator('main').textContent(), /超市出售过期牛奶/);
    });

    await step('部门编辑：统一社会信用代码有误，栏位标出；改正后保存', async () => {
      await logIn(page, base, 'admin');
      const url = `${base}/directories/departments/SCJG`;
      await page.goto(url);
      const uscc = page.getByLabel(/^统一社会信用代码/);
      const original = await uscc.inputValue();
      await page.getByLabel('简称（可空）').fill('市监E2E');
      await uscc.fill('123');
      await page.getByRole('button', { name: '保存', exact: true }).click();
      await refusedInline(page, { url, field: 'uscc', pattern: /统一社会信用代码“123”无效/ });
      assert.equal(await page.getByLabel('简称（可空）').inputValue(), '市监E2E');
      await uscc.fill(original);
      await page.getByRole('button', { name: '保存', exact: true }).click();
      await page.locator('main [role=status]', { hasText: '已保存部门 SCJG' }).waitFor();
      assert.equal(page.url(), url);
      assert.equal(await page.getByLabel('简称（可空）').inputValue(), '市监E2E');
    });

    // As in names.mjs, the random draws may leave the demo inspector no pending task.
    await logIn(page, base, 'scjg.inspector');
    await page.goto(`${base}/results`);
    const entry = '结果录入：结束日期早于开始日期，栏位标出；改正后保存';
    if ((await page.locator('a[href^="/results/visits/"]').count()) === 0) {
      await t.test(entry, { skip: 'the random draws left the demo inspector no pending task this run' }, () => {});
    } else await step(entry, async () => {
      const href = await page.locator('a[href^="/results/visits/"]').first().getAttribute('href');
      const url = `${base}${href}`;
      await page.goto(url);
      const [today] = dateWindow(0);
      const earlier = new Date(Date.parse(today) - 86_400_000).toISOString().slice(0, 10);
      await page.getByLabel('检查开始日期').fill(today);
      await page.getByLabel(/^检查结束日期/).fill(earlier);
      await page.getByLabel('备注').fill('现场检查，已拍照');
      await page.getByRole('button', { name: '保存结果' }).click();
      await refusedInline(page, { url, field: 'check_end', pattern: /检查结束日期早于开始日期/ });
      assert.equal(await page.getByLabel('备注').inputValue(), '现场检查，已拍照');
      await page.getByLabel(/^检查结束日期/).fill(today);
      await page.getByLabel('检查开始日期').fill(today);
      await page.getByRole('button', { name: '保存结果' }).click();
      await page.waitForURL('**/results?done=**');
      await page.getByText(/已录入 .* 条结果/).first().waitFor();
    });
  } finally {
    await context.close();
    server.child.kill();
    rmSync(profile, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

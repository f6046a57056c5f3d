// Irreversible steps and access, in a real browser (issue 18, "Found" 9 and 10):
// the menu fits at 1366×768 and collapses on a phone, the skip link is the
// first tab stop, a submit button is disabled while its request runs, 公示
// asks for confirmation, and the message after each step is shown.
//
// Run: cargo build -p jianguan --bin jianguan && CHROMIUM=/usr/bin/chromium node --test e2e/steps.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jianguan, serve, browse, logIn, stepper } from './lib/harness.mjs';

test('确认、处理中、提示与无障碍', { timeout: 90_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jianguan-e2e-steps-'));
  jianguan('demo', '--entities', '400', '--no-serve', '--data-dir', dataDir);
  const server = await serve(dataDir);
  const { context, profile } = await browse();
  const page = context.pages()[0] ?? (await context.newPage());
  const base = server.base;
  const plan = `E2E-S${Date.now().toString(36).toUpperCase()}`;

  const step = stepper(t, page, server, 'steps-');
  const topEntries = () => page.locator('header.top nav > a, header.top nav > details > summary');

  try {
    await step('1366×768：菜单每一项都在屏幕内', async () => {
      await page.setViewportSize({ width: 1366, height: 768 });
      for (const user of ['admin', 'scjg.admin', 'credit.office']) {
        await logIn(page, base, user);
        await page.goto(`${base}/dashboard`);
        const entries = topEntries();
        const count = await entries.count();
        assert.ok(count >= 5, `${user}: ${count} menu entries`);
        for (let i = 0; i < count; i += 1) {
          const entry = entries.nth(i);
          assert.ok(await entry.isVisible(), `${user}: entry ${i} hidden`);
          const box = await entry.boundingBox();
          assert.ok(box && box.x >= 0 && box.x + box.width <= 1366 && box.y < 60,
            `${user}: ${await entry.textContent()} at ${JSON.stringify(box)}`);
        }
        assert.equal(await page.getByRole('button', { name: '菜单' }).isVisible(), false);
      }
      // A group opens in place and its links work.
      await logIn(page, base, 'admin');
      await page.goto(`${base}/dashboard`);
      await page.locator('header.top nav summary', { hasText: '监督' }).click();
      await page.getByRole('link', { name: '审计台账' }).click();
      await page.waitForURL('**/ledger**');
    });

    await step('跳到正文是第一个 Tab 停靠点', async () => {
      await page.goto(`${base}/dashboard`);
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => ({
        text: document.activeElement?.textContent,
        href: document.activeElement?.getAttribute('href'),
        outline: getComputedStyle(document.activeElement).outlineStyle,
      }));
      assert.deepEqual([focused.text, focused.href], ['跳到正文', '#main']);
      assert.ok(await page.getByRole('link', { name: '跳到正文' }).isVisible(), 'the skip link shows when focused');
      assert.notEqual(focused.outline, 'none', 'a visible focus ring');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    });

    await step('390×844：菜单收起，点“菜单”展开', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${base}/dashboard`);
      const toggle = page.getByRole('button', { name: '菜单' });
      assert.ok(await toggle.isVisible());
      assert.equal(await page.locator('header.top nav').isVisible(), false, 'collapsed');
      await toggle.click();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      assert.ok(await page.getByRole('link', { name: '抽查计划' }).isVisible());
      assert.ok(await page.locator('header.top nav summary', { hasText: '信用' }).isVisible());
      await toggle.click();
      assert.equal(await page.locator('header.top nav').isVisible(), false, 'closed again');
      await page.setViewportSize({ width: 1366, height: 768 });
    });

    await step('提交期间按钮停用并显示“处理中…”，完成后提示', async () => {
      await logIn(page, base, 'scjg.staff');
      await page.goto(`${base}/plans/new?lead=SCJG`);
      await page.getByLabel(/^计划编号/).fill(plan);
      await page.getByLabel('计划名称').fill('确认与提示测试计划');
      await page.locator('input[name=items]').first().check();
      await page.getByLabel('B 类抽查比例（%）').fill('5');
      await page.getByRole('button', { name: '保存为草稿' }).click();
      await page.waitForURL(`**/plans/${plan}`);
      await page.locator('.flash .message', { hasText: '已创建' }).waitFor();
      // The filing request is held 2 s; meanwhile the button is looked at, in
      // the page itself (Playwright's own actions wait for the navigation).
      let sent = 0;
      page.on('request', (request) => { if (request.url().endsWith(`/plans/${plan}/file`)) sent += 1; });
      await page.route(`**/plans/${plan}/file`, async (route) => {
        await new Promise((resolve) => { setTimeout(resolve, 2000); });
        await route.continue();
      });
      const selector = `form[action="/plans/${plan}/file"] button`;
      const seen = await page.evaluate((s) => new Promise((resolve) => {
        const button = document.querySelector(s);
        button.click();
        setTimeout(() => {
          const state = { disabled: button.disabled, text: button.textContent.trim() };
          // Submitting the busy form again (a double click, Enter) sends nothing more.
          button.form.requestSubmit();
          resolve(state);
        }, 300);
      }), selector);
      assert.deepEqual(seen, { disabled: true, text: '处理中…' });
      await page.locator('.flash .message', { hasText: `计划 ${plan} 已备案` }).waitFor();
      await page.unroute(`**/plans/${plan}/file`);
      assert.equal(sent, 1, 'the filing was sent once');
      // Shown once: not after a reload.
      await page.reload();
      assert.equal(await page.locator('.flash .message').count(), 0);
    });

    await step('批准与公示先确认；取消则不办理', async () => {
      await logIn(page, base, 'scjg.admin');
      await page.goto(`${base}/plans/${plan}`);
      const asked = [];
      let answer = 'accept';
      const onDialog = (dialog) => {
        asked.push(dialog.message());
        return answer === 'accept' ? dialog.accept() : dialog.dismiss();
      };
      page.on('dialog', onDialog);
      await page.getByRole('button', { name: '批准' }).click();
      await page.locator('.flash .message', { hasText: `计划 ${plan} 已批准` }).waitFor();
      assert.match(asked[0] ?? '', /批准计划/);
      answer = 'dismiss';
      await page.getByRole('button', { name: '公示' }).click();
      await page.waitForTimeout(300);
      assert.match(asked[1] ?? '', /公示计划.*不能撤回/);
      assert.equal(await page.getByRole('button', { name: '公示' }).isEnabled(), true, 'cancelled: still there');
      assert.doesNotMatch(await page.locator('.flash').textContent(), /已向社会公示/, 'nothing done');
      answer = 'accept';
      await page.getByRole('button', { name: '公示' }).click();
      await page.locator('.flash .message', { hasText: `计划 ${plan} 已向社会公示` }).waitFor();
      assert.equal(asked.length, 3);
      page.off('dialog', onDialog);
    });

    await step('再次公示：在应用框架内以中文拒绝', async () => {
      const response = await page.request.post(`${base}/plans/${plan}/publish`, {
        form: { csrf: await page.locator('meta[name="csrf-token"]').getAttribute('content') },
        maxRedirects: 0,
        failOnStatusCode: false,
      });
      // Already published: refused in Chinese inside the app frame.
      assert.equal(response.status(), 409);
      const html = await response.text();
      assert.match(html, /id="menu"/);
      assert.doesNotMatch(html, /工作人员登录/);
    });
  } finally {
    await context.close();
    server.child.kill();
    rmSync(profile, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

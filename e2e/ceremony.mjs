// The draw as a ceremony, in a real browser (issue 18): commit → the portal
// shows the commitment → draw with two witnesses typed one per line (with
// spaces inside) → the screen updates in place (no 抽取 button left) → the
// printable 抽取见证记录 carries the full record's digest and no seed → after
// publication the citizen finds the entity by name and reads the sentence.
//
// Run: cargo build -p jianguan --bin jianguan && node --test e2e/ceremony.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jianguan, serve, browse, logIn, stepper } from './lib/harness.mjs';

const WITNESSES = ['市司法局 王明', '区公证处 李华'];

test('抽取见证：承诺即公示 → 见证抽取 → 见证记录 → 公众按名称验证', { timeout: 120_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jianguan-e2e-ceremony-'));
  jianguan('demo', '--entities', '400', '--no-serve', '--data-dir', dataDir);
  const server = await serve(dataDir);
  const { context, profile } = await browse();
  const page = context.pages()[0] ?? (await context.newPage());
  // The draw and the publication ask for confirmation first; the witnesses accept.
  page.on('dialog', (dialog) => dialog.accept());
  const base = server.base;
  const round = `E2E-W${Date.now().toString(36).toUpperCase()}`;
  const story = {};

  const step = stepper(t, page, server, 'ceremony-');

  try {
    await step('系统管理员承诺批次，承诺值即在公示平台公布', async () => {
      await logIn(page, base, 'admin');
      await page.goto(`${base}/rounds`);
      await page.getByLabel(/^批次编号/).fill(round);
      await page.getByLabel('检查窗口：开始').fill('2025-10-01');
      await page.getByLabel(/^结束/).fill('2025-12-31');
      await page.locator('input[name=plans][value="HS2025-J001"]').check();
      await page.getByRole('button', { name: /承诺/ }).click();
      await page.waitForURL(`**/rounds/${round}`);
      story.commitment = (await page.locator('.card .mono').first().textContent()).trim();
      assert.match(story.commitment, /^[0-9a-f]{64}$/);
      // 承诺值已公布: the link opens the portal's page of the committed round.
      const link = page.getByRole('link', { name: '在公示平台公布' });
      assert.equal(await link.getAttribute('href'), `/gongshi/rounds/${round}`);
      const publicPage = await context.newPage();
      await publicPage.goto(`${base}/gongshi/rounds/${round}`);
      const text = await publicPage.locator('main').textContent();
      assert.ok(text.includes(story.commitment), 'the portal shows the commitment');
      assert.match(text, /已承诺/);
      assert.match(text, /HS2025-J001/);
      await publicPage.close();
    });

    await step('见证人每行一人录入，抽取后页面原地更新，不再有抽取按钮', async () => {
      await page.getByLabel(/^见证人/).fill(WITNESSES.join('\n'));
      await page.getByLabel(/信标/).fill('2025-10-09 福彩3D 第2025270期 123');
      assert.equal(await page.locator('form[data-busy-label]').count() > 0, true, 'the form says what it does while busy');
      await page.getByRole('button', { name: '抽取', exact: true }).click();
      // No reload here: the state region refreshes itself when the draw ends.
      await page.locator('[data-round-status]', { hasText: '已抽取' }).waitFor({ timeout: 60_000 });
      assert.equal(await page.getByRole('button', { name: '抽取', exact: true }).count(), 0);
      assert.equal(await page.locator('textarea[name=witnesses]').count(), 0);
      const recorded = await page.locator('.witness').allTextContents();
      assert.deepEqual(recorded, WITNESSES, 'two witnesses, each as typed');
    });

    await step('打印抽取见证记录：有完整记录摘要，没有种子', async () => {
      await page.getByRole('link', { name: '打印抽取见证记录' }).click();
      await page.waitForURL(`**/rounds/${round}/witness-record`);
      story.digest = (await page.locator('[data-field=full-record-sha256]').textContent()).trim();
      assert.match(story.digest, /^[0-9a-f]{64}$/);
      assert.equal((await page.locator('[data-field=commitment]').textContent()).trim(), story.commitment);
      assert.deepEqual(await page.locator('[data-field=witness]').allTextContents(), WITNESSES);
      story.recordText = await page.locator('main').textContent();
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.locator('header.top').isVisible(), false, 'the print hides the app frame');
      await page.emulateMedia({ media: 'screen' });
    });

    await step('公开后公示平台核对摘要一致，见证记录上没有种子', async () => {
      await page.goto(`${base}/rounds/${round}`);
      await page.getByRole('button', { name: /公开秘密/ }).click();
      await page.getByText('已公开').first().waitFor();
      await context.clearCookies();
      const view = await (await page.request.get(`${base}/gongshi/rounds/${round}/record.json`)).json();
      assert.equal(view.full_record_sha256, story.digest);
      assert.ok(!story.recordText.includes(view.round_seed), 'the witness record never carried the seed');
      assert.ok(!story.recordText.includes(view.secret), 'nor the secret');
      await page.goto(`${base}/gongshi/rounds/${round}`);
      await page.getByText('签字确认的摘要一致').waitFor();
      const row = page.locator('td[data-label="市场主体"]').first();
      story.name = (await row.textContent()).trim();
      story.entity = (await page.locator('td[data-label="统一社会信用代码"]').first().textContent()).trim();
      assert.ok(story.name.length > 0);
    });

    await step('公众按企业名称查找并读到结论句', async () => {
      await page.goto(`${base}/gongshi/verify`);
      await page.getByLabel('抽取批次').selectOption(round);
      await page.getByLabel(/统一社会信用代码/).fill(story.name);
      await page.getByRole('button', { name: '验证' }).click();
      const choice = page.locator(`a[href$="code=${story.entity}"]`);
      if (await page.getByText('请选择').count() > 0) await choice.click();
      const sentence = (await page.locator('.verdict-sentence').first().textContent()).trim();
      assert.match(sentence, /贵单位抽签号/);
      assert.match(sentence, /因此被抽中/);
      const main = await page.locator('main').textContent();
      assert.doesNotMatch(main, /将接受一次检查/, 'the window is over');
      assert.match(main, /用大白话说/);
    });
  } finally {
    await context.close();
    server.child.kill();
    rmSync(profile, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

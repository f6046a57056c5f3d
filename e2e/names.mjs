// Names, not codes, and who sees what (issue 18), in a real browser: the demo
// inspector (scjg.inspector) holds a valid certificate, finds a task by the
// company's name and address and enters its result; a visit list shows
// entities, departments and inspectors by name, the codes small beside them;
// the inspector sees 录入结果 only on its own visits, and each one opens.
//
// Run: node --test e2e/names.mjs   (after cargo build -p jianguan --bin jianguan)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jianguan, serve, browse, logIn, dateWindow, stepper } from './lib/harness.mjs';

const ROUND = '2025-Q1';

test('名称而非代码：执法人员按企业名称找到任务并录入结果', { timeout: 120_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jianguan-e2e-names-'));
  const demo = jianguan('demo', '--entities', '400', '--no-serve', '--data-dir', dataDir);
  assert.match(demo, /演示账号/);
  const server = await serve(dataDir);
  const { context, profile } = await browse();
  const page = context.pages()[0] ?? (await context.newPage());
  const base = server.base;

  const step = stepper(t, page, server, 'names-');

  try {
    // The demo's draws are random (each round's secret is fresh), so on rare runs
    // the demo inspector is on no team still awaiting results: then the entry
    // step is skipped, saying so; the Rust test web::names covers it every run.
    await logIn(page, base, 'scjg.inspector');
    await page.goto(`${base}/results`);
    const tasks = await page.locator('a[href^="/results/visits/"]').count();
    const entry = '执法人员看到带企业名称和地址的任务并录入结果';
    if (tasks === 0) {
      assert.equal(await page.locator('.certificate-notice').count(), 0, 'the demo inspector is certified');
      await t.test(entry, { skip: 'the random draws left the demo inspector no pending task this run' }, () => {});
    } else await step(entry, async () => {
      assert.equal(await page.locator('.certificate-notice').count(), 0, 'the demo inspector is certified');
      const row = page.locator('tr', { has: page.locator('a[href^="/results/visits/"]') }).first();
      await row.waitFor();
      const cell = row.locator('td[data-label="市场主体"]');
      const code = (await cell.locator('code.code').textContent()).trim();
      assert.match(code, /^[0-9A-Z]{18}$/);
      const text = (await cell.textContent()).trim();
      const name = text.slice(0, text.indexOf(code)).trim();
      assert.ok(name.length > 1 && !/^[0-9A-Z]+$/.test(name), `a company name before the code: ${text}`);
      const address = (await cell.locator('.named-detail').textContent()).trim();
      assert.ok(address.length > 0, 'the address under the name');
      await row.getByRole('link', { name: '录入' }).click();
      await page.waitForURL('**/results/visits/**');
      await page.getByText(name).first().waitFor();
      const [today] = dateWindow(0);
      await page.getByLabel('检查开始日期').fill(today);
      await page.getByLabel(/^检查结束日期/).fill(today);
      await page.getByRole('button', { name: '保存结果' }).click();
      await page.waitForURL('**/results?done=**');
      assert.equal(await page.locator('.error-box').count(), 0, 'the result is saved');
      await page.getByText(/已录入 .* 条结果/).first().waitFor();
    });

    await step('执法人员只在本人参加的任务上看到“录入结果”', async () => {
      await page.goto(`${base}/rounds/${ROUND}/visits`);
      const links = page.locator('a', { hasText: '录入结果' });
      const rows = await page.locator('td[data-label="市场主体"]').count();
      assert.ok(rows > 0);
      assert.ok((await links.count()) < rows, 'no link on the visits of other teams');
      for (const href of await links.evaluateAll((all) => all.map((a) => a.getAttribute('href')))) {
        const answer = await page.request.get(`${base}${href}`);
        assert.equal(answer.status(), 200, `${href} opens`);
      }
    });

    await step('检查任务列表显示企业名称、部门名称和执法人员姓名', async () => {
      await logIn(page, base, 'scjg.staff');
      await page.goto(`${base}/rounds/${ROUND}/visits`);
      const entity = page.locator('td[data-label="市场主体"]').first();
      const code = (await entity.locator('code.code').textContent()).trim();
      const text = (await entity.textContent()).trim();
      assert.ok(text.indexOf(code) > 1, `the name comes before the code: ${text}`);
      const team = page.locator('td[data-label="检查组"]').first();
      const teamText = (await team.textContent()).trim();
      assert.doesNotMatch(teamText, /^SCJG/, `the department by name: ${teamText}`);
      assert.match(teamText, /市场监督管理局|市场监管/, teamText);
      const cert = (await team.locator('code.code').nth(1).textContent()).trim();
      const before = teamText.slice(0, teamText.indexOf(cert));
      assert.match(before, /[\u4e00-\u9fff]{2,} $/, `an inspector's name before ${cert}: ${teamText}`);
    });
  } finally {
    await context.close();
    server.child.kill('SIGTERM');
    rmSync(profile, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

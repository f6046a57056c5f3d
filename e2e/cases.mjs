// Penalty cases (issue 19), in a real browser: the Justice Bureau opens the
// findings, follows a figure to the cases behind it, and raises a 整改通知
// on one finding (confirmed); a department's staff see their own department
// and enter a case (a bad fine shown beside its field, corrected, saved).
//
// Run: node --test e2e/cases.mjs   (after cargo build -p jianguan --bin jianguan)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jianguan, serve, browse, logIn, stepper } from './lib/harness.mjs';

test('行政处罚案件：问题统计、案件与整改通知', { timeout: 120_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jianguan-e2e-cases-'));
  jianguan('demo', '--entities', '400', '--no-serve', '--data-dir', dataDir);
  const server = await serve(dataDir);
  const { context, profile } = await browse();
  const page = context.pages()[0] ?? (await context.newPage());
  const base = server.base;
  const step = stepper(t, page, server, 'cases-');

  try {
    await logIn(page, base, 'sfj.supervisor');

    let figure = 0;
    await step('司法局打开问题统计并点击数字查看案件', async () => {
      await page.goto(`${base}/cases`);
      await page.getByRole('heading', { name: '问题统计（按部门与规则）' }).waitFor();
      const link = page.locator('#findings-table a.figure').first();
      figure = Number((await link.textContent()).trim());
      assert.ok(figure > 0, 'a figure');
      const rule = await link.getAttribute('data-rule');
      await link.click();
      await page.waitForURL(new RegExp(`rule=${rule}`));
      await page.getByText(`共 ${figure} 条`).waitFor();
      assert.equal(await page.locator(`#cases-table .finding[data-rule="${rule}"]`).count(), Math.min(figure, 50));
    });

    await step('就一项问题下发整改通知（需确认）', async () => {
      const asked = [];
      const onDialog = (dialog) => {
        asked.push(dialog.message());
        return dialog.accept();
      };
      page.on('dialog', onDialog);
      await page.getByRole('button', { name: '下发整改通知' }).first().click();
      await page.waitForURL(/\/supervision\/notices\//);
      page.off('dialog', onDialog);
      assert.equal(asked.length, 1, 'asked once');
      assert.match(asked[0], /下发整改通知/);
      await page.locator('main').getByText('行政处罚案件').first().waitFor();
    });

    await step('部门工作人员只看到本部门的案件', async () => {
      await context.clearCookies();
      await logIn(page, base, 'scjg.staff');
      await page.goto(`${base}/cases`);
      const departments = await page.locator('#findings-table a.figure').evaluateAll(
        (links) => links.map((a) => a.dataset.department),
      );
      assert.ok(departments.every((d) => d === 'SCJG'), `${departments}`);
      assert.equal(await page.getByRole('button', { name: '下发整改通知' }).count(), 0);
    });

    await step('部门工作人员录入案件：金额有误时就地提示并保留输入，改正后保存', async () => {
      await page.locator('#new-case').click();
      await page.waitForURL(/\/cases\/new$/);
      await page.fill('#id', 'SCJG-E2E-0001');
      await page.fill('#party_name', '张三');
      await page.fill('#party_id', '11010519491231002X');
      await page.fill('#behaviour', 'SCJG-WF-001');
      await page.fill('#filed_on', '2025-03-01');
      await page.fill('#decided_on', '2025-03-10');
      await page.check('input[name="kinds"][value="罚款"]');
      await page.selectOption('#tier', '一般处罚');
      await page.selectOption('#legal_review', '是');
      await page.fill('#fine', '1234.567');
      await page.getByRole('button', { name: '保存' }).click();
      const note = page.locator('#error-fine');
      await note.waitFor();
      assert.match(await note.textContent(), /至多两位小数/);
      assert.equal(await page.locator('#fine').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.inputValue('#party_name'), '张三', 'input kept');
      assert.match(page.url(), /\/cases\/new$/);
      await page.fill('#fine', '1234.56');
      await page.getByRole('button', { name: '保存' }).click();
      await page.waitForURL(/\/cases\/SCJG-E2E-0001$/);
      await page.getByText('案件 SCJG-E2E-0001 已保存').waitFor();
      const party = (await page.locator('#party-id').textContent()).trim();
      assert.notEqual(party, '11010519491231002X', 'the ID number masked');
      assert.ok(await page.locator('#edit-case').isVisible());
    });
  } finally {
    await context.close();
    server.child.kill('SIGTERM');
    rmSync(profile, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

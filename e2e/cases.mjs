// Penalty cases (issue 19), in a real browser: the Justice Bureau opens the
// findings, follows a figure to the cases behind it, and raises a 整改通知
// on one finding (confirmed); a department's staff see their own department.
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
      await page.getByText('行政处罚案件').first().waitFor();
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
  } finally {
    await context.close();
    server.child.kill('SIGTERM');
    rmSync(profile, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

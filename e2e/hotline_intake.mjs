// 12345 intake as a call centre works it (issue 18), in a real browser: the
// intake form first; the enterprise found by name among two of the same name,
// told apart by address; the order filed, then found by its number and by a
// keyword; the department replies; the operator calling back reveals the
// caller's full number, and the Justice Bureau reads the reveal on the ledger.
//
// Run: node --test e2e/hotline_intake.mjs   (after cargo build -p jianguan --bin jianguan)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jianguan, serve, browse, logIn, stepper } from './lib/harness.mjs';

/** A valid 统一社会信用代码 (GB 32100) for a body of 16 characters. */
function uscc(body) {
  const chars = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const value = (c) => (/[0-9]/.test(c) ? Number(c) : c.charCodeAt(0) - 55);
  const org = body.slice(8, 16);
  const orgWeights = [3, 7, 9, 10, 5, 8, 4, 2];
  const orgSum = [...org].reduce((sum, c, i) => sum + value(c) * orgWeights[i], 0);
  const orgCheck = 11 - (orgSum % 11);
  const withOrg = body + (orgCheck === 10 ? 'X' : orgCheck === 11 ? '0' : String(orgCheck));
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const sum = [...withOrg].reduce((s, c, i) => s + chars.indexOf(c) * weights[i], 0);
  return withOrg + chars[(31 - (sum % 31)) % 31];
}

const NAME = '黄石孪生餐饮管理有限公司';
const TWINS = [
  { code: uscc('9142020077770001'), district: '420202', address: '黄石港区孪生路 1 号' },
  { code: uscc('9142020077770002'), district: '420204', address: '下陆区孪生路 2 号' },
];
const PHONE = '13900765432';

test('12345 受理：按名称和地址找企业、按编号和关键词查工单、回访时显示完整号码并留痕', { timeout: 90_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jianguan-e2e-hotline-'));
  const demo = jianguan('demo', '--entities', '400', '--no-serve', '--data-dir', dataDir);
  assert.match(demo, /演示账号/);
  // Two enterprises of the same name, at two addresses.
  const file = path.join(dataDir, 'twins.csv');
  writeFileSync(file, '统一社会信用代码,主体名称,主体类型,所属区域,行业代码,成立日期,登记状态,住所\n'
    + TWINS.map((e) => `${e.code},${NAME},企业,${e.district},,2018-05-01,存续,${e.address}`).join('\n') + '\n');
  const imported = jianguan('import', 'entities', file, '--data-dir', dataDir, '--json');
  assert.match(imported, /"imported":\s*2/, imported);

  const server = await serve(dataDir);
  const { context, profile } = await browse();
  const page = context.pages()[0] ?? (await context.newPage());
  const base = server.base;
  const step = stepper(t, page, server, 'hotline-');
  const id = `E2E-GD${Date.now().toString(36).toUpperCase()}`;
  const chosen = TWINS[1];

  try {
    await step('受理表单在页首，按名称找到同名企业并按地址选中', async () => {
      await logIn(page, base, 'hotline.operator');
      await page.goto(`${base}/hotline`);
      const intake = await page.locator('#intake').boundingBox();
      const orders = await page.locator('#orders').boundingBox();
      assert.ok(intake.y < orders.y, 'the intake form comes before the list');
      await page.locator('#in-entity-q').fill('孪生餐饮');
      const choices = page.locator('#entity-matches input[type=radio][name=entity]');
      await choices.nth(1).waitFor();
      assert.equal(await choices.count(), 2, 'both enterprises of the name');
      const labels = await page.locator('#entity-matches li').allTextContents();
      for (const twin of TWINS) {
        assert.ok(labels.some((l) => l.includes(twin.address) && l.includes(twin.code)), `${twin.address}: ${labels}`);
      }
      await page.locator('#entity-matches li', { hasText: chosen.address }).locator('input[type=radio]').check();
      await page.locator('#in-id').fill(id);
      await page.locator('#in-name').fill('赵六');
      await page.locator('#in-phone').fill(PHONE);
      await page.locator('#in-category').fill('食品安全');
      await page.locator('#in-content').fill('端到端测试：孪生餐饮后厨油烟扰民');
      await page.locator('#in-department').selectOption('SCJG');
      await page.getByRole('button', { name: '受理', exact: true }).click();
      await page.waitForURL(`**/hotline/orders/${id}`);
      const entity = await page.locator('td.entity').textContent();
      assert.ok(entity.includes(NAME) && entity.includes(chosen.address) && entity.includes(chosen.code), entity);
      assert.ok(!(await page.locator('main').textContent()).includes(PHONE), 'the caller is masked');
    });

    await step('按工单编号和关键词查到工单', async () => {
      await page.goto(`${base}/hotline`);
      await page.locator('#s-number').fill(id);
      await page.getByRole('button', { name: '查找', exact: true }).click();
      await page.locator(`#orders a[href="/hotline/orders/${id}"]`).waitFor();
      assert.match(await page.locator('#orders').textContent(), /共 1 件/);
      await page.goto(`${base}/hotline`);
      await page.locator('#s-keyword').fill('油烟扰民');
      await page.getByRole('button', { name: '查找', exact: true }).click();
      await page.locator(`#orders a[href="/hotline/orders/${id}"]`).waitFor();
      assert.ok(!(await page.locator('#orders').textContent()).includes(PHONE), 'the list is masked');
    });

    await step('承办部门签收并答复', async () => {
      await logIn(page, base, 'scjg.staff');
      await page.goto(`${base}/hotline/orders/${id}`);
      await page.getByRole('button', { name: '签收', exact: true }).click();
      await page.locator('h1 [data-status="已签收"]').waitFor();
      await page.locator('#f-reply').fill('已责令整改油烟净化设施');
      await page.getByRole('button', { name: '答复', exact: true }).click();
      await page.locator('h1 [data-status="已答复"]').waitFor();
      assert.equal(await page.locator('#reveal-phone').count(), 0, 'the department cannot reveal the number');
    });

    await step('话务员回访时显示完整号码，司法局在审计台账看到这次查看', async () => {
      await logIn(page, base, 'hotline.operator');
      await page.goto(`${base}/hotline/orders/${id}`);
      await page.locator('#reveal-phone').click();
      await page.locator('.revealed-phone').first().waitFor();
      assert.equal((await page.locator('.revealed-phone').first().textContent()).trim(), PHONE);

      await logIn(page, base, 'sfj.supervisor');
      await page.goto(`${base}/ledger`);
      await page.locator('#action').selectOption({ label: '查看完整来电号码' });
      await page.getByRole('button', { name: '筛选', exact: true }).click();
      const row = page.locator('#ledger tbody tr', { hasText: id });
      await row.waitFor();
      const text = await row.textContent();
      assert.match(text, /查看完整来电号码/);
      assert.match(text, /hotline\.operator/);
      assert.match(text, /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
      assert.ok(!text.includes(PHONE), 'the ledger does not carry the number');
    });
  } finally {
    await context.close();
    server.child.kill('SIGTERM');
    rmSync(profile, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

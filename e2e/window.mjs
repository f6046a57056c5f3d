// The comprehensive window (issue 21), in a real browser: window staff take in
// an application for a 一窗通办 matter (收件), accept it (受理) and pass it to
// the department (分办); the department's administrator decides (审批, not the
// 受理人, confirmed); the window hands out the result (出件) and closes it
// (办结); the 受理凭证 carries a QR code, and its public status page shows the
// stage without the applicant's ID number.
//
// Run: node --test e2e/window.mjs   (after cargo build -p jianguan --bin jianguan)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jianguan, serve, browse, logIn, stepper } from './lib/harness.mjs';

const CATALOGUE = `事项编码*,事项名称*,实施部门*,事项类型,办件类型*,法定时限（工作日）,承诺时限*,一窗通办,一证通办,申请材料,证明事项,结果证照类型
E2E-W1,小餐饮登记,SCJG,行政许可,承诺件,20,5,是,否,申请书,,
`;
const PERSON = '11010519491231002X';

test('综合窗口：收件到办结，受理凭证与办件查询', { timeout: 120_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jianguan-e2e-window-'));
  jianguan('demo', '--entities', '400', '--no-serve', '--data-dir', dataDir);
  const catalogue = path.join(dataDir, 'catalogue.csv');
  writeFileSync(catalogue, CATALOGUE);
  jianguan('services', 'matters', 'import', catalogue, '--data-dir', dataDir);
  const server = await serve(dataDir);
  const { context, profile } = await browse();
  const page = context.pages()[0] ?? (await context.newPage());
  const base = server.base;
  const step = stepper(t, page, server, 'window-');
  page.on('dialog', (dialog) => dialog.accept());
  let fileUrl = '';

  const stage = async (name) => {
    await page.locator('h1 .tag', { hasText: name }).waitFor();
  };

  try {
    await step('窗口人员收件（无差别受理）', async () => {
      await logIn(page, base, 'scjg.staff');
      await page.goto(`${base}/services/window`);
      await page.selectOption('#sw-matter', 'E2E-W1');
      await page.fill('#sw-name', '张三');
      await page.fill('#sw-id', PERSON);
      await page.fill('#sw-window', '综合窗口 7');
      await page.fill('#sw-submitted', '申请书');
      await page.getByRole('button', { name: '收件' }).click();
      await page.waitForURL(/\/services\/window\/BJ-/);
      fileUrl = page.url();
      await stage('已收件');
    });

    await step('受理并分办至部门', async () => {
      await page.getByRole('button', { name: '受理' }).click();
      await stage('已受理');
      await page.getByRole('button', { name: '分办' }).click();
      await stage('审批中');
    });

    await step('部门审批准予（需确认）', async () => {
      await logIn(page, base, 'scjg.admin');
      await page.goto(fileUrl);
      await page.selectOption('#sf-decision', '准予');
      await page.fill('#sf-reason', '材料齐全，符合条件');
      await page.getByRole('button', { name: '提交审批' }).click();
      await stage('待出件');
    });

    await step('综合窗口出件并办结', async () => {
      await logIn(page, base, 'scjg.staff');
      await page.goto(fileUrl);
      await page.getByRole('button', { name: '出件' }).click();
      await stage('已出件');
      await page.getByRole('button', { name: '办结' }).click();
      await stage('已办结');
    });

    let code = '';
    await step('受理凭证带二维码，办件查询页不显示证件号码', async () => {
      await page.goto(`${fileUrl}/receipt`);
      assert.equal(await page.locator('.qr svg').count(), 1, 'a QR code');
      const html = await page.content();
      code = (html.match(/status\?code=([0-9A-F]{32})/) ?? [])[1] ?? '';
      assert.equal(code.length, 32, 'the query code');
      await context.clearCookies();
      await page.goto(`${base}/gongshi/services/status?code=${code}`);
      await page.locator('#status .stage', { hasText: '已办结' }).waitFor();
      const text = await page.locator('main').textContent();
      assert.ok(text.includes('小餐饮登记'));
      assert.ok(!text.includes(PERSON) && !text.includes('110105'), 'no ID number');
    });

    await step('申请人在办件查询页评价一次', async () => {
      await page.selectOption('#review', '满意');
      await page.getByRole('button', { name: '提交评价' }).click();
      await page.locator('#status .review', { hasText: '满意' }).waitFor();
      assert.equal(await page.getByRole('button', { name: '提交评价' }).count(), 0);
    });
  } finally {
    await context.close();
    server.child.kill('SIGTERM');
    rmSync(profile, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

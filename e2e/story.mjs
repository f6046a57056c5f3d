// The end-to-end story of the web application, in a real browser (Debian's
// Chromium driven by playwright-core; no browser is ever downloaded).
//
// It builds nothing: it runs the debug binary (target/debug/jianguan, or
// $JIANGUAN_BIN) to make a 400-entity demo city in a temporary folder, serves
// it on a free loopback port, then walks one year's work through the pages:
// directories import → plan → approval → round → draw → result → public portal,
// then credit checks and a 12345 complaint that opens an out-of-plan inspection.
// Each step is a node:test subtest; after a failure the later steps are
// skipped, and a screenshot and the page's HTML go to e2e/artifacts/.
//
// Run: node --test e2e/story.mjs   (scripts/test.sh runs every e2e/*.mjs, after cargo build)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  jianguan,
  serve,
  browse,
  logIn,
  dateWindow,
  waitForJob,
  stepper,
} from './lib/harness.mjs';

test('一年的工作：名录导入 → 计划 → 批次抽取 → 结果 → 公示', { timeout: 240_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jianguan-e2e-'));
  const demo = jianguan('demo', '--entities', '400', '--no-serve', '--data-dir', dataDir);
  assert.match(demo, /演示账号/);
  const upload = path.join(dataDir, 'entities.xlsx');
  jianguan('export', 'entities', '--out', upload, '--data-dir', dataDir);

  const server = await serve(dataDir);
  const { context, profile } = await browse();
  const page = context.pages()[0] ?? (await context.newPage());
  // Irreversible steps (批准、公示、公开) ask first; the story accepts (e2e/steps.mjs checks the asking).
  page.on('dialog', (dialog) => dialog.accept());
  const base = server.base;
  // What the steps learn and pass on: plan, round, entity, name.
  const story = {};

  const step = stepper(t, page, server);

  try {
    await step('系统管理员登录，看到工作台', async () => {
      await logIn(page, base, 'admin');
      await page.goto(`${base}/dashboard`);
      await page.getByRole('link', { name: '名录库' }).first().waitFor();
      assert.match(await page.title(), /工作台/);
    });

    await step('名录库：上传 XLSX 导入检查对象', async () => {
      await page.goto(`${base}/directories`);
      await page.getByLabel('名录类型').selectOption('entities');
      await page.getByLabel(/^文件/).setInputFiles(upload);
      await page.getByRole('button', { name: '上传并导入' }).click();
      // The file is the city's own export: every row reads back unchanged, none is refused.
      const outcome = await waitForJob(page);
      assert.match(outcome, /读取 400 行，导入 0 行（新增 0，更新 0，未变 400）/);
      assert.match(outcome, /拒绝 0 行/);
    });

    await step('部门工作人员新建计划并备案', async () => {
      await logIn(page, base, 'scjg.staff');
      await page.goto(`${base}/plans/new?lead=SCJG`);
      const id = `E2E-${Date.now().toString(36).toUpperCase()}`;
      await page.getByLabel(/^计划编号/).fill(id);
      await page.getByLabel('计划名称').fill('端到端测试计划');
      await page.locator('input[name=items]').first().check();
      await page.getByRole('button', { name: '保存为草稿' }).click();
      await page.waitForURL(`**/plans/${id}`);
      await page.getByRole('button', { name: '备案' }).click();
      await page.getByText('已备案').first().waitFor();
      story.plan = id;
    });

    await step('部门管理员批准并公示计划', async () => {
      await logIn(page, base, 'scjg.admin');
      await page.goto(`${base}/plans/${story.plan}`);
      await page.getByRole('button', { name: '批准' }).click();
      await page.getByRole('button', { name: '公示' }).click();
      // Sent by app.js: the button goes when the published plan's page loads.
      await page.getByRole('button', { name: '公示' }).waitFor({ state: 'detached' });
      await page.getByText('已公示').first().waitFor();
    });

    await step('系统管理员承诺批次、见证人录入信标、抽取并公开', async () => {
      await logIn(page, base, 'admin');
      await page.goto(`${base}/rounds`);
      const id = `E2E-R${Date.now().toString(36).toUpperCase()}`;
      const [start, end] = dateWindow(30);
      await page.getByLabel(/^批次编号/).fill(id);
      await page.getByLabel('检查窗口：开始').fill(start);
      await page.getByLabel(/^结束/).fill(end);
      await page.locator(`input[name=plans][value="${story.plan}"]`).check();
      await page.getByRole('button', { name: /承诺/ }).click();
      await page.waitForURL(`**/rounds/${id}`);
      // The witness screen: the commitment is shown before the beacon is typed.
      await page.getByText('承诺值').first().waitFor();
      await page.getByLabel(/见证人/).fill('张三\n李四');
      await page.getByLabel(/信标/).fill(`${start} 端到端测试信标 3245.67`);
      await page.getByRole('button', { name: '抽取' }).click();
      await waitForJob(page);
      await page.goto(`${base}/rounds/${id}`);
      await page.getByRole('button', { name: /公开秘密/ }).click();
      await page.getByText('已公开').first().waitFor();
      await page.goto(`${base}/rounds/${id}/visits`);
      const code = (await page.locator('td[data-label="市场主体"] code.code').first().textContent()).trim();
      assert.match(code, /^[0-9A-Z]{18}$/);
      story.round = id;
      story.entity = code;
    });

    await step('执法人员录入结果，部门工作人员公开', async () => {
      // 谁检查、谁录入: the inspector enters a visit of the round whose team they are on;
      // when the draw put them on none, the department's staff enters it.
      await logIn(page, base, 'scjg.inspector');
      await page.goto(`${base}/results`);
      const prefix = `/results/visits/${story.round}/`;
      const own = page.locator(`a[href^="${prefix}"]`).first();
      if ((await own.count()) > 0) {
        story.entity = (await own.getAttribute('href')).slice(prefix.length);
        await own.click();
      } else {
        await logIn(page, base, 'scjg.staff');
        await page.goto(`${base}${prefix}${story.entity}`);
      }
      const [today] = dateWindow(0);
      await page.getByLabel('检查开始日期').fill(today);
      await page.getByLabel(/^检查结束日期/).fill(today);
      await page.getByRole('button', { name: '保存结果' }).click();
      // The form is sent by app.js (inline errors): wait for the page it goes to.
      await page.waitForURL('**/results?done=**');
      assert.equal(await page.locator('.error-box, [role=alert]').count(), 0, 'the result is saved');
      await logIn(page, base, 'scjg.staff');
      await page.goto(`${base}/results`);
      const waiting = page.locator(`input[name=ids][value*="${story.entity}"]`);
      assert.ok((await waiting.count()) > 0, 'the entered result waits to be published');
      await page.getByRole('button', { name: '公开所选结果' }).click();
      await page.waitForURL('**/results?done=**');
      assert.equal(await waiting.count(), 0, 'the result is published');
      story.published = true;
    });

    await step('公众在公示平台按代码和名称查到结果', async () => {
      await context.clearCookies();
      await page.goto(`${base}/gongshi/results?q=${story.entity}`);
      const row = page.locator('tr', { hasText: story.entity }).first();
      await row.waitFor();
      const name = (await row.locator('td[data-label="市场主体"]').textContent()).trim();
      assert.ok(name.length > 0);
      await page.goto(`${base}/gongshi/results`);
      await page.getByLabel('企业名称或统一社会信用代码').fill(name);
      await page.getByLabel('企业名称或统一社会信用代码').press('Enter');
      await page.locator('tr', { hasText: story.entity }).first().waitFor();
    });

    await step('公众打开抽取验证页，看到结论', async () => {
      await context.clearCookies();
      await page.goto(`${base}/gongshi/verify`);
      await page.getByLabel('抽取批次').selectOption(story.round);
      await page.getByLabel('统一社会信用代码').fill(story.entity);
      await page.getByRole('button', { name: '验证' }).click();
      await page.getByText('已抽中').first().waitFor();
    });

    await step('公众访问公示平台首页', async () => {
      await context.clearCookies();
      await page.goto(`${base}/gongshi`);
      assert.match(await page.title(), /公示/);
    });

    await step('信用办导入核查事项和信用名单', async () => {
      const matters = path.join(dataDir, 'credit-matters.csv');
      writeFileSync(matters, '事项编码,事项名称,领域,主管部门,阻断名单,警示名单,激励名单\n'
        + 'E2E-GWY,公务员招录（端到端）,公务员招录调任,市人社局,严重失信主体名单,经营异常名录,红名单\n');
      const lists = path.join(dataDir, 'credit-lists.csv');
      writeFileSync(lists, '名单类型,主体名称,统一社会信用代码或身份证号码,列入日期,有效期至,认定部门,列入原因\n'
        + '严重失信主体名单,甲公司,91420200MA4KLT0142,2025-01-01,2099-12-31,黄石市市场监督管理局,拒不履行判决\n'
        + '红名单,乙公司,91420202MA4KLT022R,2025-01-01,2099-12-31,黄石市发展和改革委员会,纳税信用A级\n');
      await logIn(page, base, 'credit.office');
      for (const [kind, file] of [['matters', matters], ['entries', lists]]) {
        await page.goto(`${base}/credit`);
        await page.locator('#import-kind').selectOption(kind);
        await page.locator('#import-file').setInputFiles(file);
        await page.getByRole('button', { name: '上传并导入' }).click();
        const outcome = await waitForJob(page);
        assert.match(outcome, /拒绝 0 行/);
      }
    });

    await step('部门工作人员批量核查申请人并下载带水印的报告', async () => {
      const applicants = path.join(dataDir, 'applicants.csv');
      writeFileSync(applicants, '统一社会信用代码或身份证号码,主体名称\n'
        + '91420200MA4KLT0142,甲公司\n91420202MA4KLT022R,乙公司\n91420200MA4KLT049L,丁公司\n');
      await logIn(page, base, 'scjg.staff');
      await page.goto(`${base}/credit/check/batch`);
      await page.getByLabel('核查事项').selectOption('E2E-GWY');
      await page.getByLabel(/^申请人名单/).setInputFiles(applicants);
      await page.getByRole('button', { name: '上传并核查' }).click();
      const outcome = await waitForJob(page);
      assert.match(outcome, /已核查 3 人：阻断 1，激励 1，无记录 1/);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: /下载核查报告/ }).click(),
      ]);
      assert.match(download.suggestedFilename(), /\.xlsx$/);
      const saved = path.join(dataDir, 'report.xlsx');
      await download.saveAs(saved);
      assert.equal(readFileSync(saved).subarray(0, 2).toString(), 'PK');
    });

    await step('核查结果页带用户水印且不可复制', async () => {
      await page.goto(`${base}/credit/check`);
      await page.getByLabel('核查事项').selectOption('E2E-GWY');
      await page.getByLabel('统一社会信用代码或身份证号码').fill('91420200MA4KLT0142');
      await page.getByRole('button', { name: '核查', exact: true }).click();
      await page.locator('[data-outcome="block"]').waitFor();
      const mark = page.locator('.watermark');
      assert.match(await mark.getAttribute('data-watermark'), /scjg\.staff/);
      const style = await mark.evaluate((el) => {
        const css = getComputedStyle(el);
        return { image: css.backgroundImage, events: css.pointerEvents, position: css.position };
      });
      assert.match(style.image, /^url\("data:image\/svg\+xml/);
      assert.equal(style.events, 'none');
      assert.equal(style.position, 'fixed');
      assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('main')).userSelect), 'none');
      // A copy is cancelled.
      const copied = await page.evaluate(() => document.dispatchEvent(new Event('copy', { cancelable: true })));
      assert.equal(copied, false);
    });
    await step('12345 热线受理企业投诉并派单，部门签收后转立案检查，工单与检查互相链接', async () => {
      assert.ok(story.entity, 'an entity of the directory, from the draw');
      await logIn(page, base, 'hotline.operator');
      await page.goto(`${base}/hotline`);
      const id = `E2E-RX${Date.now().toString(36).toUpperCase()}`;
      await page.locator('#in-id').fill(id);
      await page.locator('#in-channel').selectOption('12315');
      await page.locator('#in-name').fill('王五');
      await page.locator('#in-phone').fill('13912345678');
      await page.locator('#in-category').fill('食品安全');
      await page.locator('#in-content').fill('端到端测试：该企业销售过期食品');
      await page.locator('#in-entity').fill(story.entity);
      await page.locator('#in-department').selectOption('SCJG');
      await page.getByRole('button', { name: '受理', exact: true }).click();
      await page.waitForURL(`**/hotline/orders/${id}`);
      await page.locator('h1 [data-status="已派单"]').waitFor();
      // The caller is shown masked.
      assert.match(await page.locator('main').textContent(), /王\* 139\*\*\*\*5678/);

      await logIn(page, base, 'scjg.staff');
      await page.goto(`${base}/hotline/orders/${id}`);
      await page.getByRole('button', { name: '签收', exact: true }).click();
      await page.locator('h1 [data-status="已签收"]').waitFor();
      const inspectors = page.locator('input[name=inspectors]');
      assert.ok((await inspectors.count()) >= 2, 'SCJG has certified inspectors');
      await inspectors.nth(0).check();
      await inspectors.nth(1).check();
      await page.getByRole('button', { name: '转立案检查', exact: true }).click();
      await page.waitForURL(`**/hotline/orders/${id}`);
      // The order links to the inspection …
      const link = page.locator('a.inspection').first();
      await link.waitFor();
      const href = await link.getAttribute('href');
      assert.match(href, /^\/supervision#oop-SCJG-JWJ-\d{4}-\d{4}$/);
      const inspection = href.slice('/supervision#oop-'.length);
      await link.click();
      await page.waitForURL('**/supervision*');
      // … and the out-of-plan register links back to the order.
      const row = page.locator(`tr[id="oop-${inspection}"]`);
      await row.waitFor();
      assert.match(await row.textContent(), /投诉举报/);
      await row.locator(`a[href="/hotline/orders/${id}"]`).click();
      await page.waitForURL(`**/hotline/orders/${id}`);
      await page.locator('a.inspection', { hasText: inspection }).waitFor();
    });
  } finally {
    await context.close();
    server.child.kill('SIGTERM');
    rmSync(profile, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// The public volunteer sign-up form (issue 8): no axe-core violations in
// Kazakh, Russian and English, empty and in its error state; a sign-up sent
// without JavaScript reaches the console's pending list, where a dispatcher
// approves it. And a consultation chosen on /request reaches the
// consultants' queue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BASE, openContext, login, axe, describeViolations, screenshot, randomPhone, clickAndLoad } from './lib.mjs';

let browser;
let page;

before(async () => {
  browser = await openContext();
  page = await browser.context.newPage();
});

after(async () => {
  await browser?.close();
});

// consolePage opens a console page, logging in first when asked to.
async function consolePage(path) {
  await page.goto(`${BASE()}${path}`);
  if (new URL(page.url()).pathname.startsWith('/console/login')) {
    await login(page, 'en');
    await page.goto(`${BASE()}${path}`);
  }
}

async function assertNoViolations(p, name) {
  const v = await axe(p);
  assert.equal(v.length, 0, `${name}: ${v.length} axe-core violation(s):\n${describeViolations(v)}`);
}

for (const lang of ['kk', 'ru', 'en']) {
  test(`the volunteer form in ${lang} has no accessibility violations, empty and in its error state`, async () => {
    const res = await page.goto(`${BASE()}/volunteer?lang=${lang}`);
    assert.equal(res.status(), 200);
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    assert.ok(await page.locator('#district option').count() > 3, 'the district list is empty');
    await assertNoViolations(page, `/volunteer (${lang})`);
    await screenshot(page, `volunteer-${lang}`);

    await clickAndLoad(page, page.locator('form#volunteer-form button.primary'));
    const summary = page.locator('#error-summary');
    await summary.waitFor();
    assert.equal(await summary.getAttribute('role'), 'alert');
    for (const field of ['name', 'phone', 'district', 'language-kk', 'consent']) {
      assert.equal(await summary.locator(`a[href="#${field}"]`).count(), 1, `the summary does not link to #${field}`);
    }
    assert.equal(await page.getAttribute('#name', 'aria-invalid'), 'true');
    assert.equal(await page.getAttribute('#consent', 'aria-invalid'), 'true');
    await assertNoViolations(page, `/volunteer error state (${lang})`);
    await screenshot(page, `volunteer-${lang}-errors`);
  });
}

test('the request form and the barriers page link to the volunteer form', async () => {
  for (const path of ['/request?lang=en', '/barriers?lang=en']) {
    await page.goto(`${BASE()}${path}`);
    assert.equal(await page.locator('footer a[href="/volunteer?lang=en"]').count(), 1, `${path} has no link to /volunteer`);
  }
});

test('a sign-up without JavaScript appears in the pending list and a dispatcher approves it', { timeout: 180000 }, async () => {
  const name = `E2E Волонтёр ${randomBytes(3).toString('hex')}`;
  const nojs = await openContext({ javaScriptEnabled: false });
  try {
    const p = await nojs.context.newPage();
    await p.goto(`${BASE()}/volunteer?lang=ru`);
    await p.locator('#name').fill(name);
    await p.locator('#phone').fill(randomPhone());
    await p.locator('#district').selectOption('Есиль');
    await p.locator('#language-ru').check();
    await p.locator('#skill-car').check();
    await p.locator('#notes').fill('По субботам');
    await p.locator('#consent').check();
    await clickAndLoad(p, p.locator('form#volunteer-form button.primary'));
    // axe needs JavaScript, which this browser has not: the thank-you
    // page's markup is checked by the Go tests (checkMarkup).
    assert.equal((await p.locator('h1').textContent()).trim(), 'Спасибо, что записались');
    await screenshot(p, 'volunteer-nojs-done');
  } finally {
    await nojs.close();
  }

  await consolePage('/console/volunteers/pending');
  const row = page.locator('table#pending tbody tr', { hasText: name });
  assert.equal(await row.count(), 1, `${name} is not in the pending list`);
  assert.match(await row.textContent(), /Есиль/);
  assert.match(await row.textContent(), /По субботам/);
  await screenshot(page, 'volunteer-pending');
  await clickAndLoad(page, row.locator('form[action$="/approve"] button'));
  assert.match(page.url(), /done=approve/);
  assert.equal(await page.locator('table#pending tbody tr', { hasText: name }).count(), 0, 'still pending after approval');
});

test('a consultation chosen on the request form appears in the consultants\' queue', { timeout: 180000 }, async () => {
  const words = `E2E consultation ${randomBytes(3).toString('hex')}`;
  await page.goto(`${BASE()}/request?lang=en`);
  await page.locator('#phone').fill(randomPhone());
  await page.locator('#category-legal').check();
  await page.locator('#description').fill(words);
  await clickAndLoad(page, page.locator('form#request-form button.primary'));
  const code = (await page.locator('.code').textContent()).trim();
  assert.match(code, /^[A-Z]{3}-[0-9]{4}$/);
  assert.match(await page.locator('main').textContent(), /A consultant will call or text you back/);

  await consolePage('/console/consultations');
  const row = page.locator('table#consultations tbody tr', { hasText: code });
  assert.equal(await row.count(), 1, `${code} is not in the consultants' queue`);
  assert.match(await row.textContent(), new RegExp(words));
  await screenshot(page, 'consultation-queue');
});

// The public request form (issue 3): no axe-core violations in Kazakh,
// Russian and English, also in its error state, and a submission with
// JavaScript switched off creates a ticket and shows its code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, openContext, axe, describeViolations, screenshot, randomPhone, clickAndLoad } from './lib.mjs';

let browser;
let page;

before(async () => {
  browser = await openContext();
  page = await browser.context.newPage();
});

after(async () => {
  await browser?.close();
});

async function assertNoViolations(name) {
  const v = await axe(page);
  assert.equal(v.length, 0, `${name}: ${v.length} axe-core violation(s):\n${describeViolations(v)}`);
}

for (const lang of ['kk', 'ru', 'en']) {
  test(`the form in ${lang} has no accessibility violations, empty and in its error state`, async () => {
    const res = await page.goto(`${BASE()}/request?lang=${lang}`);
    assert.equal(res.status(), 200);
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    await assertNoViolations(`/request (${lang})`);
    await screenshot(page, `request-${lang}`);

    // Submit it empty: the server answers with the summary of errors.
    await clickAndLoad(page, page.locator('form#request-form button.primary'));
    const summary = page.locator('#error-summary');
    await summary.waitFor();
    assert.equal(await summary.getAttribute('role'), 'alert');
    assert.ok(await summary.locator('a[href="#phone"]').count() === 1, 'the summary does not link to the phone field');
    assert.equal(await page.getAttribute('#phone', 'aria-invalid'), 'true');
    await assertNoViolations(`/request error state (${lang})`);
    await screenshot(page, `request-${lang}-errors`);
  });
}

test('a submission with JavaScript disabled creates a ticket and shows its code', async () => {
  const nojs = await openContext({ javaScriptEnabled: false });
  try {
    const p = await nojs.context.newPage();
    await p.goto(`${BASE()}/request?lang=ru`);
    await p.locator('#phone').fill(randomPhone());
    await p.locator('#name').fill('Тест e2e');
    await p.locator('input[name="category"]').first().check();
    await p.locator('#description').fill('Нужно проводить до поликлиники (e2e, без JavaScript)');
    await p.locator('#address').fill('Астана, проспект Мангилик Ел 8');
    await clickAndLoad(p, p.locator('form#request-form button.primary'));
    const code = (await p.locator('.code').textContent()).trim();
    assert.match(code, /^[A-Z]{3}-[0-9]{4}$/, `no ticket code on the page: ${JSON.stringify(code)}`);
    console.log(`# the form without JavaScript made ticket ${code}`);
    await screenshot(p, 'request-nojs-done');
  } finally {
    await nojs.close();
  }
});

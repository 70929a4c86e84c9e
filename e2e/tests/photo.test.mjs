// Photos of a barrier report (issue 8): the form's file input has no axe-core
// violations in Kazakh, Russian and English, also when a photo is refused;
// a photo uploaded through the browser shows up, described and turned
// upright, on the console's ticket page, without its EXIF.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, openContext, login, axe, describeViolations, screenshot, randomPhone, clickAndLoad } from './lib.mjs';

// A 64×48 JPEG as a phone saves it: EXIF orientation 6 (turn right to view)
// and a description naming a GPS position.
const PHOTO = Buffer.from('/9j/4QBERXhpZgAASUkqAAgAAAACABIBAwABAAAABgAAAA4BAgAWAAAAJgAAAAAAAABHUFMgNTEuMTI4M04gNzEuNDMwNUUA/9sAhAAGBAUGBQQGBgUGBwcGCAoQCgoJCQoUDg8MEBcUGBgXFBYWGh0lHxobIxwWFiAsICMmJykqKRkfLTAtKDAlKCkoAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAAwAEADASIAAhEBAxEB/8QBogAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoLEAACAQMDAgQDBQUEBAAAAX0BAgMABBEFEiExQQYTUWEHInEUMoGRoQgjQrHBFVLR8CQzYnKCCQoWFxgZGiUmJygpKjQ1Njc4OTpDREVGR0hJSlNUVVZXWFlaY2RlZmdoaWpzdHV2d3h5eoOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4eLj5OXm5+jp6vHy8/T19vf4+foBAAMBAQEBAQEBAQEAAAAAAAABAgMEBQYHCAkKCxEAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDl6KKK+SP1IKKKKACiiigAooooAKK5aiv0L/UT/qI/8l/+2Ph/9c/+nH/k3/2p1NFctRR/qJ/1Ef8Akv8A9sH+uf8A04/8m/8AtTqaK5aij/UT/qI/8l/+2D/XP/px/wCTf/anU0Vy1FH+on/UR/5L/wDbB/rn/wBOP/Jv/tQooor9BPhwooooAKKKKACiiigD/9k=', 'base64');

const refused = {
  kk: '1-фотосурет JPEG немесе PNG емес',
  ru: 'Фотография 1 не в формате JPEG или PNG',
  en: 'Photo 1 is not a JPEG or PNG',
};

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

async function fillBarrier(p, description) {
  await p.locator('#phone').fill(randomPhone());
  await p.locator('#category-accessibility').check();
  await p.locator('#description').fill(description);
  await p.locator('#address').fill('Астана, проспект Мангилик Ел 8');
}

for (const lang of ['kk', 'ru', 'en']) {
  test(`the photo field in ${lang} is labelled, explained and has no violations, also when a photo is refused`, async () => {
    await page.goto(`${BASE()}/request?lang=${lang}`);
    const input = page.locator('input#photos[type="file"]');
    assert.equal(await input.count(), 1, 'no photo field');
    assert.equal(await input.getAttribute('accept'), 'image/jpeg,image/png');
    assert.ok((await page.locator('label[for="photos"]').textContent()).trim().length > 0, 'the photo field has no label');
    assert.match(await input.getAttribute('aria-describedby'), /photos-hint/);
    await assertNoViolations(`/request with the photo field (${lang})`);

    const description = `Нет пандуса у аптеки (e2e ${lang})`;
    await fillBarrier(page, description);
    await input.setInputFiles([{ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo at all') }]);
    await clickAndLoad(page, page.locator('form#request-form button.primary'));
    const link = page.locator('#error-summary a[href="#photos"]');
    assert.equal(await link.count(), 1, 'the summary does not link to the photo field');
    assert.equal((await link.textContent()).trim(), refused[lang]);
    assert.equal(await page.getAttribute('#photos', 'aria-invalid'), 'true');
    assert.equal(await page.inputValue('#description'), description, 'the description was lost');
    await assertNoViolations(`/request with a refused photo (${lang})`);
    await screenshot(page, `request-photo-refused-${lang}`);
  });
}

test('a photo uploaded through the browser shows up on the console ticket page, without EXIF', async () => {
  await page.goto(`${BASE()}/request?lang=en`);
  await fillBarrier(page, 'The ramp at the pharmacy is broken (e2e photo)');
  await page.locator('#photos').setInputFiles([{ name: 'IMG_0001.JPG', mimeType: 'image/jpeg', buffer: PHOTO }]);
  await clickAndLoad(page, page.locator('form#request-form button.primary'));
  const code = (await page.locator('.code').textContent()).trim();
  assert.match(code, /^[A-Z]{3}-[0-9]{4}$/, `no ticket code on the page: ${JSON.stringify(code)}`);

  await login(page, 'en');
  await page.goto(`${BASE()}/console?lang=en`);
  await clickAndLoad(page, page.locator(`tr[data-code="${code}"] a`).first());
  const img = page.locator('#photos img[alt="Photo 1 of 1 sent with the report"]');
  assert.equal(await img.count(), 1, 'no described photo on the ticket page');
  await page.waitForFunction(() => document.querySelector('#photos img')?.complete);
  const size = await img.evaluate((el) => [el.naturalWidth, el.naturalHeight]);
  assert.deepEqual(size, [48, 64], 'the photo did not load, or was not turned upright');
  const res = await page.request.get(new URL(await img.getAttribute('src'), BASE()).toString());
  assert.equal(res.status(), 200);
  assert.equal(res.headers()['content-type'], 'image/jpeg');
  assert.equal(res.headers()['x-content-type-options'], 'nosniff');
  const bytes = await res.body();
  assert.equal(bytes.includes('Exif'), false, 'the served photo still has EXIF');
  assert.equal(bytes.includes('51.1283'), false, 'the served photo still has the GPS text');
  await screenshot(page, 'ticket-with-photo');
  await assertNoViolations('ticket page with a photo');
});

// Shared helpers of the browser tests: the browser, logging in, axe-core,
// and webhooks signed the way Twilio signs them. run.sh sets the E2E_*
// variables; the tests refuse to run without them rather than guess.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the browser tests through e2e/run.sh (make e2e)`);
  return v;
}

export const BASE = () => env('E2E_BASE_URL');
export const USER = () => env('E2E_USER');
export const PASSWORD = () => env('E2E_PASSWORD');
export const ARTIFACTS = () => process.env.E2E_ARTIFACTS || join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

// The switches the brief names: no sandbox (root in CI), no GPU, and no
// traffic of the browser's own (updates, sync, QUIC probes), so that the
// tests work offline and nothing but the service is contacted.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// openContext starts Debian's chromium with a fresh profile directory of its
// own (removed by close) and returns the browser context.
export async function openContext(options = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'dsp-e2e-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: env('E2E_CHROMIUM'),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    locale: 'ru-RU',
    ...options,
  });
  context.setDefaultTimeout(15000);
  const close = async () => {
    await context.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  return { context, close };
}

// login signs in through the login form, as a person would.
export async function login(page, lang = 'en') {
  await page.goto(`${BASE()}/console/login?lang=${lang}`);
  await page.locator('input[name="name"]').fill(USER());
  await page.locator('input[name="password"]').fill(PASSWORD());
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/console/login')),
    page.locator('form#login button[type="submit"], form#login input[type="submit"]').first().click(),
  ]);
}

let axeSource;

// axe runs axe-core on the page with the WCAG 2.0, 2.1 and 2.2 A and AA
// rules and returns the violations. The script is evaluated through the
// DevTools protocol, which the page's Content-Security-Policy does not
// block, so the page is checked with its real policy in force.
export async function axe(page) {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      resultTypes: ['violations'],
    }));
  return result.violations;
}

// describeViolations makes axe's answer readable in a test failure.
export function describeViolations(violations) {
  return violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}\n` +
    v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.split('\n').join(' ')}`).join('\n'),
  ).join('\n');
}

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS(), { recursive: true });
  const path = join(ARTIFACTS(), `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

// twilioSignature is Twilio's webhook signature: HMAC-SHA1 under the auth
// token over the full URL followed by each POST parameter, sorted by name,
// as name then value; base64.
export function twilioSignature(token, url, params) {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return createHmac('sha1', token).update(data, 'utf8').digest('base64');
}

// postSMS sends a text to the service's /twilio/sms as Twilio would.
export async function postSMS(from, body) {
  const url = `${BASE()}/twilio/sms`;
  const params = {
    MessageSid: 'SM' + randomBytes(16).toString('hex'),
    AccountSid: 'AC' + randomBytes(16).toString('hex'),
    From: from,
    To: '+77000000000',
    Body: body,
    NumMedia: '0',
  };
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': twilioSignature(env('E2E_DEV_TOKEN'), url, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, text: await res.text(), sid: params.MessageSid };
}

// randomPhone is a Kazakh mobile number that no seeded person has.
export function randomPhone() {
  const n = randomBytes(4).readUInt32BE(0) % 10000000;
  return '+7705' + String(n).padStart(7, '0');
}

// clickAndLoad clicks what submits a form or follows a link and waits until
// the next document has loaded, whatever its URL (a form may post back to
// its own address).
export async function clickAndLoad(page, locator) {
  const committed = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
  await locator.click();
  await committed;
  await page.waitForLoadState();
}

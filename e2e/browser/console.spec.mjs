// Drives the console in headless Chromium (Debian's, never a downloaded one) against a running api
// and worker: a wrong key is refused with the API's message, the right one signs in, a submitted
// job streams its text and ends succeeded with its cost, the job list shows it, the page fits a
// 375 px screen, signing out forgets the key, and the admin token shows the tenants. Exit 0 when
// every check holds; the last line says "console e2e: ok".
//
// Env: LLMQ_CONSOLE_URL (the api's base URL), LLMQ_CONSOLE_KEY (a key of the tenant named
// LLMQ_CONSOLE_TENANT), LLMQ_CONSOLE_ADMIN_TOKEN,
// LLMQ_CONSOLE_SCREENSHOTS (directory for the screenshots), LLMQ_CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const base = process.env.LLMQ_CONSOLE_URL;
const key = process.env.LLMQ_CONSOLE_KEY;
const admin = process.env.LLMQ_CONSOLE_ADMIN_TOKEN;
const tenantName = process.env.LLMQ_CONSOLE_TENANT;
const shots = process.env.LLMQ_CONSOLE_SCREENSHOTS;
if (!base || !key || !admin || !tenantName || !shots) {
  console.error(
    'Set LLMQ_CONSOLE_URL, LLMQ_CONSOLE_KEY, LLMQ_CONSOLE_ADMIN_TOKEN, LLMQ_CONSOLE_TENANT and LLMQ_CONSOLE_SCREENSHOTS.',
  );
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

function check(condition, message) {
  if (!condition) {
    throw new Error(`check failed: ${message}`);
  }
  console.log(`ok: ${message}`);
}

const browser = await chromium.launch({
  executablePath: process.env.LLMQ_CHROMIUM || '/usr/bin/chromium',
  headless: true,
});
try {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Failed loads are told by the response listener below, which names the URL.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console error: ${message.text()}`);
    }
  });
  page.on('response', (answer) => {
    // Only the refused sign-in (401) is expected.
    if (answer.status() >= 400 && answer.status() !== 401) {
      problems.push(`${answer.status()} for ${answer.url()}`);
    }
  });
  page.setDefaultTimeout(30_000);

  const response = await page.goto(`${base}/console`);
  check(response.ok() && page.url() === `${base}/console/`, 'GET /console lands on /console/');
  check(
    /default-src 'self'/.test(response.headers()['content-security-policy'] ?? ''),
    'the page is served with its Content-Security-Policy',
  );

  // The page's SSE parser, on frames cut anywhere: CRLF, comments, multi-line data, no trailing frame.
  const parsed = await page.evaluate(async () => {
    const { SseParser } = await import('./api.js');
    const text = ': keep-alive\r\n\r\nid: 1\r\nevent: delta\r\ndata: {"content":"a"}\r\n\r\n'
      + 'id: 2\nevent: done\ndata: {"x":\ndata: 1}\n\nid: 3\ndata: cut';
    const results = [];
    for (const size of [1, 2, 7, text.length]) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) {
        events.push(...parser.feed(text.slice(i, i + size)));
      }
      results.push(JSON.stringify(events));
    }
    return results;
  });
  const expected = JSON.stringify([
    { id: '1', event: 'delta', data: '{"content":"a"}' },
    { id: '2', event: 'done', data: '{"x":\n1}' },
  ]);
  check(parsed.every((result) => result === expected), `the SSE parser splits frames however they arrive${parsed[0] === expected ? '' : `: ${parsed[0]}`}`);

  await page.getByLabel('Tenant API key or admin token').fill('not-a-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const refusal = page.locator('#sign-in-error');
  await refusal.waitFor({ state: 'visible' });
  check(
    (await refusal.textContent()).includes('Send a valid key'),
    "a wrong key shows the API's problem detail",
  );
  await page.screenshot({ path: join(shots, 'sign-in.png') });

  await page.getByLabel('Tenant API key or admin token').fill(key);
  await page.keyboard.press('Enter');
  await page.locator('#tenant').waitFor({ state: 'visible' });
  check(await page.locator('#sign-in').isHidden(), 'the right key signs in');
  const stored = await page.evaluate(() => ({
    session: sessionStorage.getItem('llmq.credential'),
    local: localStorage.length,
    cookie: document.cookie,
    url: location.href,
  }));
  check(stored.session === key, 'the key is kept in sessionStorage');
  check(
    stored.local === 0 && stored.cookie === '' && !stored.url.includes(key),
    'and nowhere else (no localStorage, cookie or URL)',
  );

  // Counts the output's changes, so a stream of several deltas is told from one final write.
  await page.evaluate(() => {
    window.outputChanges = 0;
    new MutationObserver((records) => {
      window.outputChanges += records.length;
    }).observe(document.getElementById('live-output'), {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
  await page.getByLabel('User message').fill('Say hello to the console.');
  await page.getByLabel('Max tokens').fill('64');
  await page.getByRole('button', { name: 'Submit' }).click();
  await page.locator('#live:not([hidden]), #submit-error:not([hidden])').first().waitFor({ timeout: 60_000 });
  const submitError = page.locator('#submit-error');
  check(
    await submitError.isHidden(),
    `the submit was accepted${(await submitError.isVisible()) ? `, not: ${await submitError.textContent()}` : ''}`,
  );
  const jobId = await page.locator('#live-id').textContent();
  check(/^[0-9a-f-]{36}$/.test(jobId), `the job was accepted (${jobId})`);

  await page.locator('#live-status', { hasText: 'succeeded' }).waitFor({ timeout: 90_000 });
  const output = await page.locator('#live-output').textContent();
  const changes = await page.evaluate(() => window.outputChanges);
  check(output.trim().length > 0, `streamed text appeared (${output.length} characters)`);
  check(changes >= 3, `it arrived as several delta events (${changes} updates)`);
  const cost = await page.locator('#live-cost').textContent();
  check(/^\$\d+\.\d{6}$/.test(cost), `the cost is shown (${cost})`);
  check(
    /\d+ in, \d+ out/.test(await page.locator('#live-usage').textContent()),
    'the usage is shown',
  );

  const row = page.locator('#jobs-rows tr', { hasText: jobId });
  await row.waitFor();
  check((await row.textContent()).includes('succeeded'), 'the job list shows the job succeeded');
  await page.screenshot({ path: join(shots, 'tenant.png'), fullPage: true });

  await page.setViewportSize({ width: 375, height: 800 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 375, `the page fits a 375 px screen (${width} px)`);
  await page.screenshot({ path: join(shots, 'tenant-phone.png'), fullPage: true });

  await page.setViewportSize({ width: 1100, height: 900 });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#sign-in').waitFor({ state: 'visible' });
  check(
    (await page.evaluate(() => sessionStorage.length)) === 0 &&
      (await page.locator('#jobs-rows tr').count()) === 0,
    'signing out forgets the key and the jobs shown',
  );
  await page.getByLabel('Tenant API key or admin token').fill(admin);
  await page.keyboard.press('Enter');
  await page.locator('#operator').waitFor({ state: 'visible' });
  await page.locator('#tenants-rows tr', { hasText: tenantName }).waitFor();
  check(await page.locator('#tenant').isHidden(), 'the admin token shows the tenants, not a tenant view');

  check(problems.length === 0, `no script errors or policy violations${problems.length ? `: ${problems.join('; ')}` : ''}`);
  console.log('console e2e: ok');
} finally {
  await browser.close();
}

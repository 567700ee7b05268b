// The account page in real headless Chromium: sign in, a supervisor adds a field officer in
// their district, a token is shown once and works, a wrong password and a foreign scope are
// refused with the server's message, sign-out ends the session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from '../testing/browser.js';
import { startServer } from '../testing/server.js';

let server;
let browser;
before(async () => {
  server = await startServer({
    plots: 50,
    users: [{ username: 'sup64', role: 'supervisor', scope: '64', password: 'supervisor-pass' }],
    env: { PLOTMAP_AUTH_ANONYMOUS: 'off' },
  });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signIn(page, username, password) {
  await page.fill('#sign-in input[name=username]', username);
  await page.fill('#sign-in input[name=password]', password);
  await page.click('#sign-in button[type=submit]');
}

test('a supervisor signs in, adds staff in scope, makes a token and signs out', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.base}/admin`);
  assert.equal(await page.isVisible('#sign-in-section'), true);

  await signIn(page, 'sup64', 'wrong-password');
  await page.waitForSelector('#message.error');
  assert.match(await page.textContent('#message'), /wrong username or password/);

  await signIn(page, 'sup64', 'supervisor-pass');
  await page.waitForSelector('#users-section:not([hidden])');
  assert.match(await page.textContent('#whoami'), /sup64 · ผู้ควบคุม \(supervisor\) · 64 \(สุโขทัย\)/);

  await page.fill('#add-user input[name=username]', 'field1');
  await page.selectOption('#add-user select[name=role]', 'staff');
  await page.fill('#add-user input[name=scope]', '6401');
  await page.fill('#add-user input[name=password]', 'field-password');
  await page.click('#add-user button[type=submit]');
  await page.waitForSelector('tr[data-username=field1]');
  assert.match(await page.textContent('tr[data-username=field1]'), /6401 \(เมืองสุโขทัย\)/);

  // Outside their province: the server's refusal is shown, nothing is added.
  await page.fill('#add-user input[name=username]', 'field2');
  await page.fill('#add-user input[name=scope]', '50');
  await page.fill('#add-user input[name=password]', 'field-password');
  await page.click('#add-user button[type=submit]');
  await page.waitForFunction(() => /inside their own scope/.test(document.getElementById('message').textContent));
  assert.equal(await page.$('tr[data-username=field2]'), null);

  await page.fill('#add-token input[name=name]', 'QGIS office');
  await page.click('#add-token button[type=submit]');
  await page.waitForSelector('#new-token:not([hidden])');
  const token = (await page.textContent('#new-token-value')).trim();
  assert.match(token, /^pm_[A-Za-z0-9_-]{43}$/);
  // Anonymous access is off on this server; the token opens the API to a tool.
  assert.equal((await fetch(`${server.base}/api/v1/plots?limit=1`)).status, 401);
  const withToken = await fetch(`${server.base}/api/v1/plots?limit=1`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(withToken.status, 200);
  assert.match(await page.textContent('#tokens'), /QGIS office/);

  // A reload keeps the session (HttpOnly cookie the page cannot read).
  await page.reload();
  await page.waitForSelector('#users-section:not([hidden])');
  assert.equal(await page.evaluate(() => document.cookie), '');

  await page.click('#sign-out');
  await page.waitForSelector('#sign-in-section:not([hidden])');
  const after = await context.request.get(`${server.base}/api/v1/session`);
  assert.equal(after.status(), 401);
  assert.deepEqual(errors, []);
  await context.close();
});

// How fast the field app comes up on a mid-range phone over a weak connection: Chromium with
// Lighthouse's mobile throttling ("Slow 4G": 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s
// up; the CPU slowed 4x), against a real plotmap server on loopback. Measured, not asserted:
//   cold   first visit, nothing cached: until the sign-in form can be used
//   warm   a later start (service worker and its cache in place), signed in: until the
//          officer's page is there, and until the map has drawn
// Also what was transferred. Run by bench/run-app-bench.sh (which builds and starts plotmap).
// Usage: node bench/app-shell.mjs BASE_URL USERNAME PASSWORD [RUNS]
import { launchChromium } from '../web/testing/browser.js';

const [base, username, password, runsText = '5'] = process.argv.slice(2);
const runs = Number(runsText);
const slow4g = { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 };

const browser = await launchChromium();

async function throttled(context) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', slow4g);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  let bytes = 0;
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
  return { page, bytes: () => bytes };
}

const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'th-TH' };
const cold = [];
const warm = [];
const warmMap = [];
let coldBytes = 0;
let warmBytes = 0;
for (let i = 0; i < runs; i += 1) {
  const context = await browser.newContext(phone);
  // Cold: a new phone opens the app.
  let t = await throttled(context);
  let start = Date.now();
  await t.page.goto(`${base}/app/`);
  await t.page.waitForSelector('#sign-in-view:not([hidden]) button[type=submit]');
  cold.push(Date.now() - start);
  coldBytes = t.bytes();
  await t.page.fill('#sign-in input[name=username]', username);
  await t.page.fill('#sign-in input[name=password]', password);
  await t.page.click('#sign-in button[type=submit]');
  await t.page.waitForFunction(() => window.plotmapApp?.map?.loaded());
  await t.page.evaluate(() => navigator.serviceWorker.ready);
  await t.page.close();
  // Warm: the officer opens the app again the next morning.
  t = await throttled(context);
  start = Date.now();
  await t.page.goto(`${base}/app/`);
  await t.page.waitForSelector('#work-view:not([hidden])');
  warm.push(Date.now() - start);
  await t.page.waitForFunction(() => window.plotmapApp?.map?.loaded());
  warmMap.push(Date.now() - start);
  warmBytes = t.bytes();
  await context.close();
}
await browser.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (b) => `${Math.round(b / 1024)} KiB`;
console.log(`field app on Slow 4G (150 ms, 1.6 Mbit/s) + 4x CPU, ${runs} runs, median (min-max):`);
console.log(`  cold start, sign-in form usable: ${median(cold)} ms (${Math.min(...cold)}-${Math.max(...cold)}), ${kb(coldBytes)} over the network`);
console.log(`  warm start, officer's page:      ${median(warm)} ms (${Math.min(...warm)}-${Math.max(...warm)})`);
console.log(`  warm start, map drawn:           ${median(warmMap)} ms (${Math.min(...warmMap)}-${Math.max(...warmMap)}), ${kb(warmBytes)} over the network`);

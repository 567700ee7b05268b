// Debian's Chromium, headless, as every browser test and benchmark here starts it: no
// sandbox (root in CI), and none of the background connections a closed network refuses.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const quiet = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic'];

/** `extraArgs`, e.g. a software GPU for WebGL screenshots. */
export function launchChromium(extraArgs = []) {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...quiet, ...extraArgs] });
}

/** The folder the browser tests write their screenshots to (build/screenshots/), made if missing. */
export function screenshotDir() {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

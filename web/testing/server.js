// Starts the real plotmap binary on a free loopback port with a fresh demo database, for the
// browser-side tests. TEST_PLOTMAP_BINARY names the binary (ctest sets it).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/// `users`: [{ username, role, scope?, password }] added with `plotmap user add` before serving.
/// `prepare(binary, db, dir)`, run before serving, may make files in `dir` and returns more
/// environment for the server (e.g. archives baked from the database).
export async function startServer({ plots = 300, users = [], env = {}, prepare = null } = {}) {
  const binary = process.env.TEST_PLOTMAP_BINARY;
  if (!binary) throw new Error('set TEST_PLOTMAP_BINARY to the plotmap executable');
  const dir = mkdtempSync(join(tmpdir(), 'plotmap-web-'));
  const db = join(dir, 'plotmap.sqlite');
  execFileSync(binary, ['init', '--db', db], { stdio: 'ignore', timeout: 120000 });
  execFileSync(binary, ['demo', '--db', db, '--plots', String(plots)], { stdio: 'ignore', timeout: 120000 });
  for (const u of users) {
    const args = ['user', 'add', '--db', db, '--username', u.username, '--role', u.role, '--password-stdin'];
    if (u.scope) args.push('--scope', u.scope);
    execFileSync(binary, args, { input: `${u.password}\n`, stdio: ['pipe', 'ignore', 'inherit'], timeout: 60000 });
  }
  const prepared = prepare ? prepare(binary, db, dir) : {};
  const child = spawn(binary, ['serve', '--db', db, '--listen', '127.0.0.1:0'], {
    env: { ...process.env, PLOTMAP_SERVER_ACCESS_LOG: 'false', ...env, ...prepared },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('plotmap did not start in 30 s')), 30000);
    let seen = '';
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const m = seen.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`plotmap exited with ${code}`)));
  });
  return {
    base,
    db, // the database file, for counts made independently with SQL
    dir, // the folder holding it (and what prepare made)
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/// XYZ tile containing a lon/lat point.
export function tileOf(lon, lat, z) {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.asinh(Math.tan(r)) / Math.PI) / 2) * n);
  return { z, x, y };
}

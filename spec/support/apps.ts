import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from './http';
import { sleep } from './store';

export { snippet } from './snippets';

/* Apps run as users run them: a README snippet or an example, as a process of its own, over HTTP. */

const ROOT = path.resolve(__dirname, '../..');
export const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** Starts `node args` in `cwd` with `env`, waits for "listening", returns the output so far and a stop. */
export async function serve(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<{ output: () => string; stop(): void }> {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  for (let i = 0; i < 200 && !output.includes('listening') && child.exitCode === null; i++) await sleep(50);
  if (!output.includes('listening')) child.kill();
  expect(output).to.include('listening');
  return { output: () => output, stop: () => child.kill() };
}

/** GET (or POST) with the cookie jar of one browser; returns the body. */
export async function visit(browser: Pick<Browser, 'cookie'>, url: string, method = 'GET'): Promise<string> {
  const response = await fetch(url, { method, redirect: 'manual', headers: browser.cookie ? { cookie: browser.cookie } : {} });
  const cookie = response.headers.getSetCookie()[0];
  if (cookie) browser.cookie = cookie.split(';')[0];
  return response.text();
}

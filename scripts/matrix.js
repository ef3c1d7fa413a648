'use strict';
// The compatibility matrix: every combination of the driver, express and express-session
// versions installed side by side as npm aliases (see package.json) runs the integration
// tests, a few at a time (they mostly wait on timers). Each run starts its own server
// unless MONGODB_URI is set. Exits non-zero if any combination fails. Arguments, if any, name
// the combinations to run, as ESM_MATRIX spells them (e.g. `mongodb=mongodb-5,express=express-4`;
// an empty string is the newest of everything). Every run writes and looks up as on MongoDB:
// FenceLateWrites on (ESM_FENCE=1) and one filter for 2.x and 1.x documents (ESM_LOOKUP=either),
// where FerretDB v1 gets neither by default and npm test runs that way.

const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const axes = {
  mongodb: ['mongodb-5', 'mongodb-6', 'mongodb'],
  express: ['express-4', 'express'],
  'express-session': ['express-session-1.17', 'express-session'],
};
const PARALLEL = 4;
const RUN_LIMIT_MS = 15 * 60_000;
// Child processes there load the default versions, and the 1,000-session test is a load test.
const EXCLUDE = ['concurrency', 'package', 'readme', 'example-app'].map((name) => `spec/integration/${name}.spec.ts`);

function combinations() {
  let all = [[]];
  for (const [name, versions] of Object.entries(axes)) {
    all = all.flatMap((combo) => versions.map((version) => [...combo, [name, version]]));
  }
  return all.map((combo) =>
    combo
      .filter(([name, version]) => name !== version)
      .map((pair) => pair.join('='))
      .join(','),
  );
}

function version(alias) {
  return require(path.join(root, 'node_modules', alias, 'package.json')).version;
}

function label(matrix) {
  const chosen = Object.fromEntries(
    matrix
      .split(',')
      .filter(Boolean)
      .map((pair) => pair.split('=')),
  );
  return Object.keys(axes)
    .map((name) => `${name}@${version(chosen[name] || name)}`)
    .join(' ');
}

function run(matrix) {
  return new Promise((resolve) => {
    const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const args = [mocha, 'spec/integration', ...EXCLUDE.flatMap((file) => ['--exclude', file])];
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ESM_MATRIX: matrix, ESM_FENCE: '1', ESM_LOOKUP: 'either' },
    });
    let output = '';
    // A run takes about a minute; one that hangs fails instead of stalling CI.
    const timer = setTimeout(() => {
      output += `\nmatrix: killed after ${RUN_LIMIT_MS / 60_000} minutes\n`;
      child.kill('SIGKILL');
    }, RUN_LIMIT_MS);
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => {
      clearTimeout(timer);
      const count = (word) => Number((new RegExp(`(\\d+) ${word}`).exec(output) || [])[1] || 0);
      resolve({ matrix, code, output, passing: count('passing'), failing: count('failing'), pending: count('pending') });
    });
  });
}

async function main() {
  const chosen = process.argv.slice(2);
  const queue = chosen.length > 0 ? chosen : combinations();
  const results = [];
  const workers = Array.from({ length: PARALLEL }, async () => {
    while (queue.length > 0) {
      const matrix = queue.shift();
      const result = await run(matrix);
      const ok = result.code === 0 && result.passing > 0;
      console.log(
        `${ok ? 'ok  ' : 'FAIL'} ${label(matrix)}: ${result.passing} passing, ${result.failing} failing, ${result.pending} pending`,
      );
      if (!ok) console.log(result.output);
      results.push({ ...result, ok });
    }
  });
  await Promise.all(workers);
  const failed = results.filter((result) => !result.ok);
  const total = (key) => results.reduce((sum, result) => sum + result[key], 0);
  // A combination that failed without a failing test (a crash, a hang) still counts as a failure.
  const failedTests = Math.max(total('failing'), failed.length);
  console.log(
    `matrix: ${results.length} combinations, ${failed.length} failed; ${total('passing')} passed, ${failedTests} failed, ${total('pending')} skipped`,
  );
  process.exit(failed.length > 0 ? 1 : 0);
}

main();

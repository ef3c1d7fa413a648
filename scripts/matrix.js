'use strict';
// The compatibility matrix: the integration tests on combinations of Node.js, the driver,
// express-session and express. The packages are installed side by side as npm aliases (see
// package.json), and spec/support/matrix.ts loads the ones a run names in ESM_MATRIX; Node.js
// binaries come from the registry's node-<platform>-<arch> packages (`npm pack`), cached in
// .cache/node (git-ignored; remove it for newer releases). Not every combination runs: every
// pair of values (lines, below) runs together at least once, which finds what breaks between
// two of them as the whole product would, at a fraction of the runs. Within a line, the runs
// take its versions in turn, oldest first: the oldest is the floor of the peer range.
//
// Usage: node scripts/matrix.js [--list | --table | combination...]. A combination is spelled
// as its label's pairs, e.g. `node=22,mongodb=mongodb-3,express=express-4`; what it leaves out
// is the default (this Node.js, the newest packages). Each run starts its own server unless
// MONGODB_URI is set, and writes and looks up as on MongoDB: FenceLateWrites on (ESM_FENCE=1)
// and one filter for 2.x and 1.x documents (ESM_LOOKUP=either), where FerretDB v1 gets neither
// by default and npm test runs that way. Exits non-zero if any combination fails.

const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** Each axis: its lines, each with the versions (npm aliases, or Node.js releases) it runs. */
const AXES = {
  node: [['20.19.0'], ['22'], ['24'], ['26']],
  mongodb: [
    ['mongodb-3.6', 'mongodb-3'],
    ['mongodb-4.10', 'mongodb-4'],
    ['mongodb-legacy-6.0', 'mongodb-legacy'],
    ['mongodb-5.7', 'mongodb-5'],
    ['mongodb-6.0', 'mongodb-6'],
    ['mongodb-7.0', 'mongodb'],
  ],
  'express-session': [['express-session-1.15.0', 'express-session-1.15'], ['express-session-1.17'], ['express-session']],
  express: [['express-4.16'], ['express-4'], ['express']],
};
// Three at a time: a run mostly waits on timers, but four on two busy cores timed out a test
// of 200 sequential writes (20 s for what takes 3 s alone).
const PARALLEL = Number(process.env.ESM_MATRIX_PARALLEL) || 3;
const RUN_LIMIT_MS = 15 * 60_000;
// Child processes there load the default versions, and the 1,000-session test is a load test.
const EXCLUDE = ['concurrency', 'package', 'readme', 'example-app'].map((name) => `spec/integration/${name}.spec.ts`);

/**
 * Rows of value indexes, one per axis, such that every pair of values of two axes is in some
 * row: each pair of the two largest axes once, the other axes chosen per row to cover the most
 * pairs not yet covered (ties: the value used least), then a row for each pair still missing.
 */
function pairwise(sizes) {
  const axes = sizes.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a] || a - b);
  const key = (i, vi, j, vj) => (i < j ? `${i}=${vi},${j}=${vj}` : `${j}=${vj},${i}=${vi}`);
  const missing = new Set();
  for (let i = 0; i < sizes.length; i++)
    for (let j = i + 1; j < sizes.length; j++)
      for (let vi = 0; vi < sizes[i]; vi++) for (let vj = 0; vj < sizes[j]; vj++) missing.add(key(i, vi, j, vj));
  const used = sizes.map((size) => new Array(size).fill(0));
  const rows = [];
  const complete = (row) => {
    for (const axis of axes) {
      if (row[axis] !== undefined) continue;
      const gain = (v) => row.filter((value, other) => value !== undefined && missing.has(key(axis, v, other, value))).length;
      let best = 0;
      for (let v = 1; v < sizes[axis]; v++) {
        if (gain(v) > gain(best) || (gain(v) === gain(best) && used[axis][v] < used[axis][best])) best = v;
      }
      row[axis] = best;
    }
    row.forEach((v, i) => {
      used[i][v]++;
      row.forEach((w, j) => missing.delete(key(i, v, j, w)));
    });
    rows.push(row);
  };
  const [first, second] = axes;
  for (let a = 0; a < sizes[first]; a++) {
    for (let b = 0; b < sizes[second]; b++) {
      const row = new Array(sizes.length);
      row[first] = a;
      row[second] = b;
      complete(row);
    }
  }
  while (missing.size > 0) {
    const row = new Array(sizes.length);
    for (const pair of [...missing][0].split(',')) {
      const [axis, value] = pair.split('=').map(Number);
      row[axis] = value;
    }
    complete(row);
  }
  return rows;
}

/** The combinations CI runs, as objects from axis name to version; lines take their versions in turn. */
function combinations() {
  const names = Object.keys(AXES);
  const turns = new Map();
  return pairwise(names.map((name) => AXES[name].length)).map((row) =>
    Object.fromEntries(
      row.map((line, i) => {
        const versions = AXES[names[i]][line];
        const turn = turns.get(versions) ?? 0;
        turns.set(versions, turn + 1);
        return [names[i], versions[turn % versions.length]];
      }),
    ),
  );
}

/** `node=22,mongodb=mongodb-3` as an object; what it leaves out is the default. */
function parse(spec) {
  return Object.fromEntries(
    spec
      .split(',')
      .filter(Boolean)
      .map((pair) => pair.split('=')),
  );
}

function spell(combo) {
  return Object.entries(combo)
    .filter(([name, version]) => name === 'node' || name !== version)
    .map((pair) => pair.join('='))
    .join(',');
}

function installed(alias) {
  return require(path.join(root, 'node_modules', alias, 'package.json'));
}

function label(combo, nodeVersion) {
  const packages = Object.keys(AXES)
    .filter((name) => name !== 'node')
    .map((name) => {
      const { name: real, version } = installed(combo[name] || name);
      return `${real}@${version}`;
    });
  return [`node@${nodeVersion}`, ...packages].join(' ');
}

/** The registry package that holds Node.js binaries for this machine. */
function nodePackage() {
  if (process.platform !== 'linux' && process.platform !== 'darwin') {
    throw new Error(`matrix: no Node.js binaries for ${process.platform} in the registry's node-* packages this script reads`);
  }
  return `node-${process.platform}-${process.arch}`;
}

/** A Node.js binary of `release` (e.g. `22`, newest 22.x; `20.19.0`), fetched once with `npm pack`. */
function nodeBinary(release) {
  if (release === undefined) return process.execPath;
  const dir = path.join(root, '.cache', 'node', release);
  const binary = path.join(dir, 'node');
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(dir, { recursive: true });
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const spec = `${nodePackage()}@${release}`;
  console.log(`matrix: fetching Node.js ${release} (npm pack ${spec})`);
  const packed = execFileSync(npm[0], [...npm.slice(1), 'pack', spec, '--silent', '--pack-destination', dir], { encoding: 'utf8' });
  const tarball = path.join(dir, packed.trim().split('\n').pop());
  execFileSync('tar', ['xzf', tarball, '-C', dir, '--strip-components=2', 'package/bin/node']);
  fs.rmSync(tarball);
  return binary;
}

function run(combo, node) {
  return new Promise((resolve) => {
    const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
    // quick-bson's spec too: the sealed session must be the bytes of every driver's own bson.
    const args = [mocha, 'spec/integration', 'spec/unit/quick-bson.spec.ts', ...EXCLUDE.flatMap((file) => ['--exclude', file])];
    const { node: _node, ...packages } = combo;
    const child = spawn(node, args, {
      cwd: root,
      env: { ...process.env, ESM_MATRIX: spell(packages), ESM_FENCE: '1', ESM_LOOKUP: 'either' },
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
      resolve({ code, output, passing: count('passing'), failing: count('failing'), pending: count('pending') });
    });
  });
}

/** The README's support table: every version the matrix runs, by package. */
function table() {
  const rows = new Map([['Node.js', AXES.node.flat().map((release) => (release.includes('.') ? release : `${release} (newest)`))]]);
  for (const name of Object.keys(AXES).filter((axis) => axis !== 'node')) {
    for (const alias of AXES[name].flat()) {
      const { name: real, version } = installed(alias);
      rows.set(`\`${real}\``, [...(rows.get(`\`${real}\``) ?? []), version]);
    }
  }
  const lines = ['| Package | Versions the matrix runs |', '| --- | --- |'];
  for (const [name, versions] of rows) lines.push(`| ${name} | ${versions.join(', ')} |`);
  return lines.join('\n');
}

/**
 * What the matrix proves, as ranges: per package and major version, from the oldest version
 * that runs on (a caret range); Node.js likewise, from its lines. package.json must say the same.
 */
function provenRanges() {
  const floors = new Map();
  for (const name of Object.keys(AXES).filter((axis) => axis !== 'node')) {
    for (const alias of AXES[name].flat()) {
      const { name: real, version } = installed(alias);
      const major = version.split('.')[0];
      const byMajor = floors.get(real) ?? new Map();
      const floor = byMajor.get(major);
      if (!floor || compare(version, floor) < 0) byMajor.set(major, version);
      floors.set(real, byMajor);
    }
  }
  const ranges = { node: AXES.node.map(([oldest]) => `^${oldest}`).join(' || ') };
  for (const [real, byMajor] of floors) {
    ranges[real] = [...byMajor.values()]
      .sort(compare)
      .map((floor) => `^${floor}`)
      .join(' || ');
  }
  return ranges;
}

function compare(a, b) {
  const [x, y] = [a, b].map((version) => version.split('.').map(Number));
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--table') return console.log(table());
  if (argv[0] === '--list') return console.log(combinations().map(spell).join('\n'));
  const queue = argv.length > 0 ? argv.map(parse) : combinations();
  // Fetched before any run starts: npm pack of one release at a time.
  const binaries = new Map();
  for (const combo of queue) if (!binaries.has(combo.node)) binaries.set(combo.node, nodeBinary(combo.node));
  const versions = new Map(
    [...binaries].map(([release, binary]) => [release, execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim().slice(1)]),
  );
  const results = [];
  const workers = Array.from({ length: PARALLEL }, async () => {
    while (queue.length > 0) {
      const combo = queue.shift();
      const result = await run(combo, binaries.get(combo.node));
      const ok = result.code === 0 && result.passing > 0;
      console.log(
        `${ok ? 'ok  ' : 'FAIL'} ${label(combo, versions.get(combo.node))}: ${result.passing} passing, ${result.failing} failing, ${result.pending} pending`,
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

module.exports = { AXES, combinations, pairwise, provenRanges, table };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

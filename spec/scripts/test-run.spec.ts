import { expect } from 'chai';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { documentation } from '../support/docs';
import { withProgress } from '../support/progress';
import { isFerretDB, serverBanner, serverUri } from '../support/server';

/* What `npm test` says before its tests: an unreachable MONGODB_URI in one line, and which server it runs on. */

const ROOT = path.resolve(__dirname, '../..');
const NPM = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
const UNREACHABLE = 'mongodb://127.0.0.1:1/';

interface Ended {
  code: number | NodeJS.Signals;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `command` (`label` in progress lines) with MONGODB_URI set; past `limitMs`, kills its whole process group. */
function run(label: string, command: string[], uri: string, limitMs: number): Promise<Ended> {
  const started = Date.now();
  const child = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
    env: { ...process.env, MONGODB_URI: uri },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  // Without the check, `npm test` would go on to the whole suite: never let it.
  const limit = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), limitMs);
  const ended = new Promise<Ended>((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(limit);
      resolve({ code: code ?? signal!, stdout, stderr, ms: Date.now() - started });
    }),
  );
  return withProgress(`${label} with MONGODB_URI=${uri.replace(/\/\/[^@]*@/, '//')} (the check waits up to 5 s for an answer)`, ended);
}

const NO_ANSWER = (uri: string): string =>
  `npm test: no server answered at MONGODB_URI=${uri} within 5 s (connect ECONNREFUSED 127.0.0.1:1); ` +
  'start that server, correct MONGODB_URI, or unset it to test against the bundled FerretDB\n';

describe('npm test, before its tests', function () {
  this.timeout(30_000);

  it(`with MONGODB_URI=${UNREACHABLE}: ends within 15 s, in one line naming the URI and the cause`, async () => {
    const ended = await run('npm test', [...NPM, 'test'], UNREACHABLE, 20_000);
    expect(ended.stderr).to.equal(NO_ANSWER(UNREACHABLE));
    expect(ended.code).to.equal(1);
    expect(ended.ms).to.be.below(15_000);
    // npm's own "> script" header lines, and nothing from the build, the lint, mocha or c8.
    expect(ended.stdout.split('\n').filter((line) => line && !line.startsWith('> '))).to.deep.equal([]);
  });

  it('never shows the password of the URI', async () => {
    const ended = await run(
      'scripts/check-server.js',
      [process.execPath, 'scripts/check-server.js'],
      'mongodb://alice:s3cret@127.0.0.1:1/app',
      15_000,
    );
    expect(ended.stderr).to.equal(NO_ANSWER('mongodb://127.0.0.1:1/app'));
    expect(ended.code).to.equal(1);
  });

  it('with a reachable MONGODB_URI: passes, silently', async () => {
    const ended = await run('scripts/check-server.js', [process.execPath, 'scripts/check-server.js'], serverUri(), 15_000);
    expect([ended.code, ended.stdout, ended.stderr]).to.deep.equal([0, '', '']);
  });

  it('names the server the way the README does: FerretDB by its own version, and the MongoDB it answers as', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pinned = (require('../../ferretdb') as { version(): string }).version();
    const literally = (text: string): string => text.replaceAll('.', '\\.');
    if (isFerretDB() && !process.env.MONGODB_URI) {
      expect(pinned).to.match(/^v\d+\.\d+\.\d+$/);
      expect(serverBanner()).to.match(
        new RegExp(`^server: FerretDB ${literally(pinned)} \\(answers as MongoDB \\d+\\.\\d+\\.\\d+\\) at mongodb://`),
      );
      // The README (or the docs/ pages it links to) names that version: v1.24 for v1.24.2.
      expect(documentation()).to.match(new RegExp(`FerretDB\\s+${literally(pinned.replace(/\.\d+$/, ''))}\\b`));
    } else {
      expect(serverBanner()).to.match(/^server: (MongoDB|FerretDB) \S+.* at mongodb/);
    }
  });
});

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The test server's launcher is built with Go: without a Go new enough, one line says what to do.
const ROOT = path.resolve(__dirname, '../..');
const NEED = 'Install Go 1.24 or later (https://go.dev/dl/) to build the test server, or set MONGODB_URI';

function checkGoWith(bin: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['-e', "require('./ferretdb').checkGo()"], {
    cwd: ROOT,
    env: { ...process.env, PATH: bin },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the Go check before building the test server', () => {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'esm-go-'));
  after(() => fs.rmSync(bin, { recursive: true, force: true }));

  it('without Go: one line naming both ways out, exit 1, no stack trace', () => {
    const result = checkGoWith(bin);
    expect(result.status).to.equal(1);
    expect(result.stderr.trim().split('\n')).to.have.length(1);
    expect(result.stderr).to.include('Go is not installed (no `go` on PATH)').and.include(NEED);
  });

  it("with Go 1.19 (Debian 12's package): says it is too old, before Go tries to fetch another", () => {
    fs.writeFileSync(path.join(bin, 'go'), '#!/bin/sh\necho go version go1.19.8 linux/amd64\n', { mode: 0o755 });
    const result = checkGoWith(bin);
    expect(result.status).to.equal(1);
    expect(result.stderr.trim()).to.equal(
      `express-session-mongodb: Go 1.19 is too old. ${NEED} to a MongoDB server of yours (MONGODB_URI=mongodb://localhost:27017/ npm test).`,
    );
  });

  it('with Go 1.24: passes', () => {
    fs.writeFileSync(path.join(bin, 'go'), '#!/bin/sh\necho go version go1.24.0 linux/amd64\n', { mode: 0o755 });
    expect(checkGoWith(bin)).to.deep.include({ status: 0, stderr: '' });
  });
});

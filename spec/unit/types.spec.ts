import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

// The public types are the API reference (npm run docs): every option and method says what it does.
describe('public types', () => {
  const file = path.resolve(__dirname, '../../types/index.d.ts');
  const program = ts.createProgram([file], { strict: true, skipLibCheck: true });
  const source = program.getSourceFile(file)!;

  function members(name: string): Array<{ name: string; documented: boolean }> {
    const found: Array<{ name: string; documented: boolean }> = [];
    const visit = (node: ts.Node): void => {
      if (ts.isInterfaceDeclaration(node) && node.name.text === name) {
        for (const member of node.members) {
          const jsDoc = (member as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
          found.push({ name: member.name?.getText(source) ?? '(call)', documented: jsDoc.some((doc) => Boolean(doc.comment)) });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
  }

  it('type-check cleanly', () => {
    expect(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).to.deep.equal([]);
  });

  it('document every option', () => {
    const options = members('Options');
    expect(options.map((o) => o.name)).to.include.members([
      'CollectionName',
      'TimeToLive',
      'IndexSessionID',
      'Filter',
      'DeleteFlags',
      'DeleteFlag',
      'TouchInterval',
      'OperationTimeoutMS',
      'MaxLifetime',
      'UserKey',
      'EncryptionKeys',
    ]);
    expect(options.filter((o) => !o.documented).map((o) => o.name)).to.deep.equal([]);
  });

  it('document every method of the store', () => {
    const methods = members('SessionStore');
    expect(new Set(methods.map((m) => m.name))).to.deep.equal(
      new Set([
        'get',
        'set',
        'touch',
        'destroy',
        'length',
        'all',
        'clear',
        'FlagDeletion',
        'Cleanup',
        'UserSessions',
        'FlagUserSessions',
        'close',
        'ready',
        'on',
        'once',
        'off',
        'emit',
      ]),
    );
    // An overload carries its doc on its first signature.
    const firstOfEach = methods.filter((m, i) => methods.findIndex((other) => other.name === m.name) === i);
    expect(firstOfEach.filter((m) => !m.documented).map((m) => m.name)).to.deep.equal([]);
  });

  it('document every event, and type each listener by the event it listens to', () => {
    const events = members('StoreEvents');
    expect(events.map((e) => e.name)).to.have.members('create update set touch destroy get all revoke disconnect connect'.split(' '));
    expect(events.filter((e) => !e.documented).map((e) => e.name)).to.deep.equal([]);
    // A listener typed as the event's arguments compiles; one that expects others does not.
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'esm-events-'));
    const typesPath = JSON.stringify(path.resolve(__dirname, '../../types/index'));
    const source = path.join(scratch, 'listen.ts');
    // The scratch file lies outside the package: express-session's types by their path.
    const expressSession = JSON.stringify(path.resolve(__dirname, '../../node_modules/@types/express-session'));
    fs.writeFileSync(
      source,
      [
        `import createStore = require(${typesPath});`,
        'declare const store: createStore.SessionStore;',
        "store.on('revoke', (userId, count) => count.toFixed() + String(userId));",
        "store.once('touch', (sid, session) => sid.length + (session?.cookie.maxAge ?? 0));",
        "store.on('set', (sid: number) => sid);",
        "store.emit('create', 1);",
        "store.on('custom', (...args) => args.length).emit('custom', 1, 2);",
        `const plain: import(${expressSession}).Store = store;`,
        'plain.on("set", () => {});',
      ].join('\n'),
    );
    try {
      const checked = ts.createProgram([source], { strict: true, skipLibCheck: true, noEmit: true, module: ts.ModuleKind.CommonJS });
      const errors = ts
        .getPreEmitDiagnostics(checked)
        .map((d) => ({ line: checked.getSourceFile(source)!.getLineAndCharacterOfPosition(d.start!).line }));
      expect(errors.map((e) => e.line)).to.deep.equal([4, 5]);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});

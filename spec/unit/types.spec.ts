import { expect } from 'chai';
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
      ]),
    );
    // An overload carries its doc on its first signature.
    const firstOfEach = methods.filter((m, i) => methods.findIndex((other) => other.name === m.name) === i);
    expect(firstOfEach.filter((m) => !m.documented).map((m) => m.name)).to.deep.equal([]);
  });
});

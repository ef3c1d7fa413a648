import { expect } from 'chai';
import { Binary, type Db } from 'mongodb';
import fs from 'node:fs';
import path from 'node:path';
import createStore = require('../../lib');
import { freshDb } from '../support/server';
import { codeBlocks, documentationPages, snippet } from '../support/snippets';
import { openStore, sessionWith, type SessionStore } from '../support/store';

/*
 * The README is a front page and docs/ holds one page per topic. Every code block in them is a
 * named snippet that some spec runs (the ones too small for a spec of their own run here), and
 * every link between the pages leads somewhere.
 */

const ROOT = path.resolve(__dirname, '../..');
const CODE = new Set(['js', 'ts', 'mjs', 'cjs']);

/**
 * Calls a snippet written as `createStore(db, callback, {...})` lines; resolves with each
 * callback's error, once `check` has had each store.
 */
async function runOptionsSnippet(
  name: string,
  db: Db,
  check = async (_store: SessionStore): Promise<void> => {},
): Promise<Array<Error | null>> {
  const stores: SessionStore[] = [];
  const errors: Array<Error | null> = [];
  const lines = snippet(name)
    .split('\n')
    .filter((line) => line.trim() !== '').length;
  await new Promise<void>((resolve) => {
    const callback = (err: Error | null, store?: SessionStore): void => {
      errors.push(err);
      if (store) stores.push(store);
      if (errors.length === lines) resolve();
    };
    new Function('createStore', 'db', 'callback', snippet(name))(createStore, db, callback);
  });
  try {
    for (const store of stores) await check(store);
  } finally {
    await Promise.all(stores.map((store) => store.close()));
  }
  return errors;
}

describe('README and docs/', () => {
  it('keep the README a front page of at most 300 lines', () => {
    const [, readme] = documentationPages()[0]!;
    expect(readme.split('\n').length).to.be.at.most(300);
  });

  it('name every code block, and some spec runs each name', () => {
    const specs = fs
      .readdirSync(path.join(ROOT, 'spec'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.spec.ts'))
      .map((file) => fs.readFileSync(path.join(ROOT, 'spec', file), 'utf8'))
      .join('\n');
    const blocks = codeBlocks().filter((block) => CODE.has(block.language));
    expect(blocks.length).to.be.greaterThan(5);
    for (const block of blocks) {
      expect(block.name, `an unnamed ${block.language} block in ${block.file}:\n${block.code}`).to.be.a('string');
      expect(specs, `no spec runs the snippet ${block.name} (${block.file})`).to.match(new RegExp(`'${block.name}'`));
    }
  });

  it('link only to files and headings that exist', () => {
    const anchor = (heading: string): string =>
      heading
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-');
    for (const [file, text] of documentationPages()) {
      for (const [, target] of text.matchAll(/\]\(((?!https?:)[^)\s]+)\)/g)) {
        const [where, hash] = target!.split('#');
        const page = where ? path.join(path.dirname(path.join(ROOT, file)), where) : path.join(ROOT, file);
        expect(fs.existsSync(page), `${file} links to ${target}`).to.equal(true);
        if (!hash || !page.endsWith('.md')) continue;
        const headings = [...fs.readFileSync(page, 'utf8').matchAll(/^#+ (.*)$/gm)].map((m) => anchor(m[1]!));
        expect(headings, `${file} links to ${target}`).to.include(hash);
      }
    }
  });

  it("the UserKey snippet's two ways of naming the user both start a store", async () => {
    expect(await runOptionsSnippet('userkey-options', freshDb())).to.deep.equal([null, null]);
  });

  it('the encryption snippet starts a store that seals what it writes', async () => {
    const db = freshDb();
    const before = process.env.SESSION_KEY;
    process.env.SESSION_KEY = 'k'.repeat(44);
    try {
      const sealed = async (store: SessionStore): Promise<void> => {
        await store.set('sealed', sessionWith({ secret: 'plain' }));
        const stored = await db.collection('Sessions').findOne({ SessionID: 'sealed' });
        expect(stored!.Data).to.be.instanceOf(Binary);
        expect(await store.get('sealed')).to.have.property('secret', 'plain');
      };
      expect(await runOptionsSnippet('encryption-options', db, sealed)).to.deep.equal([null]);
    } finally {
      if (before === undefined) delete process.env.SESSION_KEY;
      else process.env.SESSION_KEY = before;
    }
  });

  it("the stored document's shape lists exactly the fields a set writes", async () => {
    const db = freshDb();
    const store = await openStore(db);
    try {
      const session = sessionWith({ views: 1 });
      session.cookie.expires = new Date(Date.now() + 60_000);
      await store.set('shape', session);
      const stored = await db.collection('Sessions').findOne({ SessionID: 'shape' });
      const documented = [...snippet('document-shape').matchAll(/(\w+): /g)].map((m) => m[1]).filter((name) => name !== 'cookie');
      expect(Object.keys(stored!).sort()).to.deep.equal(documented.sort());
    } finally {
      await store.close();
    }
  });
});

import { expect } from 'chai';
import { freshDb } from '../support/server';
import { Browser, startApp } from '../support/http';
import { openStore, sleep, type Options, type SessionStore } from '../support/store';

type Body = { id: string; values: Record<string, string>; error?: string | null; before?: string };

describe('through express and express-session over HTTP', () => {
  let app: Awaited<ReturnType<typeof startApp>> | undefined;
  let store: SessionStore;
  let browser: Browser;

  async function serve(options: Options = {}): Promise<void> {
    store = await openStore(freshDb(), options);
    app = await startApp(store);
    browser = new Browser(app.url);
  }
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('keeps values across requests under one session ID', async () => {
    await serve();
    const first = await browser.get<Body>('/set?a=1');
    expect(browser.cookie).to.be.a('string');
    await browser.get<Body>('/set?b=2');
    const { body } = await browser.get<Body>('/get');
    expect(body.values).to.deep.equal({ a: '1', b: '2' });
    expect(body.id).to.equal(first.body.id);
    expect(browser.sessionId).to.equal(body.id);
    expect(await store.get(body.id)).to.deep.include({ values: { a: '1', b: '2' } });
  });

  it('regenerate gives a new session ID and drops the old session', async () => {
    await serve();
    const { body: before } = await browser.get<Body>('/set?a=1');
    const { body } = await browser.get<Body>('/regenerate');
    expect(body.before).to.equal(before.id);
    expect(body.id).not.to.equal(before.id);
    expect(body.values).to.deep.equal({});
    expect(await store.get(before.id)).to.equal(null);
  });

  it('destroy, then a new request, gives a new ID and an empty session', async () => {
    await serve();
    const { body: before } = await browser.get<Body>('/set?a=1');
    expect((await browser.get<Body>('/destroy')).body.error).to.equal(null);
    expect(await store.get(before.id)).to.equal(null);
    const { body } = await browser.get<Body>('/get');
    expect(body.id).not.to.equal(before.id);
    expect(body.values).to.deep.equal({});
  });

  it('reload picks up what was stored meanwhile; save stores at once', async () => {
    await serve();
    const { body } = await browser.get<Body>('/set?a=1');
    const stored = (await store.get(body.id))!;
    await store.set(body.id, { ...stored, values: { a: 'changed elsewhere' } });
    const reloaded = await browser.get<Body>('/reload');
    expect(reloaded.body).to.deep.equal({ error: null, values: { a: 'changed elsewhere' } });
    expect((await browser.get<Body>('/save')).body.error).to.equal(null);
    expect(await store.get(body.id)).to.deep.include({ values: { a: 'changed elsewhere', saved: 'yes' } });
  });

  describe('with TimeToLive', () => {
    it('a session idle longer than TimeToLive is gone at the next request: new ID, empty session', async () => {
      await serve({ TimeToLive: 1 });
      const { body: before } = await browser.get<Body>('/set?a=1');
      await sleep(1_300);
      const { body } = await browser.get<Body>('/get');
      expect(body.id).not.to.equal(before.id);
      expect(body.values).to.deep.equal({});
    });

    it('a session expiring during a request is saved back at its end (re-created)', async () => {
      await serve({ TimeToLive: 1 });
      const { body: before } = await browser.get<Body>('/set?a=1');
      const { body } = await browser.get<Body>('/slow?ms=1300&late=yes');
      expect(body).to.deep.equal({ id: before.id, error: null });
      expect(await store.get(before.id)).to.deep.include({ values: { a: '1', late: 'yes' } });
    });

    it('during such a request, reload reports an error; regenerate, destroy and save succeed', async () => {
      await serve({ TimeToLive: 1 });
      await browser.get<Body>('/set?a=1');
      const reload = await browser.get<Body>('/slow?ms=1300&action=reload');
      expect(reload.body.error).to.be.a('string').and.not.equal('');

      for (const action of ['regenerate', 'destroy']) {
        const fresh = new Browser(app!.url);
        await fresh.get<Body>('/set?a=1');
        const { body } = await fresh.get<Body>(`/slow?ms=1300&action=${action}`);
        expect(body.error, action).to.equal(null);
      }

      const saver = new Browser(app!.url);
      const { body: before } = await saver.get<Body>('/set?a=1');
      const { body } = await saver.get<Body>('/slow?ms=1300&action=save');
      expect(body.error).to.equal(null);
      expect(await store.get(before.id)).to.deep.include({ values: { a: '1' } });
    });
  });

  describe('the destroy race: a session destroyed while a slow request holds it', () => {
    async function race(options: Options): Promise<string> {
      await serve(options);
      const { body } = await browser.get<Body>('/set?a=1');
      const slow = browser.get<Body>('/slow?ms=600&late=yes');
      await sleep(200);
      await store.destroy(body.id);
      await slow;
      return body.id;
    }

    it('without DeleteFlags, the slow request revives it (as 1.x documents)', async () => {
      const sid = await race({});
      expect(await store.get(sid)).to.deep.include({ values: { a: '1', late: 'yes' } });
      expect((await browser.get<Body>('/get')).body.id).to.equal(sid);
    });

    it('with DeleteFlags, it stays destroyed', async () => {
      const sid = await race({ DeleteFlags: true });
      expect(await store.get(sid)).to.equal(null);
      const { body } = await browser.get<Body>('/get');
      expect(body.id).not.to.equal(sid);
      expect(body.values).to.deep.equal({});
    });
  });
});

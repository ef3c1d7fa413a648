import { expect } from 'chai';
import { writeOrder } from '../../lib/writes/write-order';

/** A write that ends when told to, and says when it started. */
function gate(log: string[], name: string): { write: () => Promise<string>; end(ok?: boolean): void } {
  let finish: (ok: boolean) => void = () => {};
  const ended = new Promise<boolean>((resolve) => (finish = resolve));
  return {
    write: async () => {
      log.push(`start ${name}`);
      if (!(await ended)) throw new Error(`${name} failed`);
      return name;
    },
    end: (ok = true) => finish(ok),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('writeOrder (unit)', () => {
  it('starts a write of a session once the one before it has settled, failed or not', async () => {
    const order = writeOrder();
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((name) => gate(log, name));
    const results = [order('s', a!.write), order('s', b!.write), order('s', c!.write)];
    await tick();
    expect(log).to.deep.equal(['start a']);
    a!.end(false);
    const failure = await results[0]!.then(
      () => null,
      (err: Error) => err.message,
    );
    expect(failure).to.equal('a failed');
    await tick();
    expect(log).to.deep.equal(['start a', 'start b']);
    b!.end();
    c!.end();
    expect(await Promise.all(results.slice(1))).to.deep.equal(['b', 'c']);
    expect(log).to.deep.equal(['start a', 'start b', 'start c']);
  });

  it('does not hold one session behind another, nor a write behind one settled long ago', async () => {
    const order = writeOrder();
    const log: string[] = [];
    const slow = gate(log, 'slow');
    const pending = order('s1', slow.write);
    expect(await order('s2', async () => 'other')).to.equal('other');
    slow.end();
    await pending;
    await tick();
    const next = gate(log, 'next');
    const result = order('s1', next.write);
    await tick();
    expect(log).to.deep.equal(['start slow', 'start next']);
    next.end();
    expect(await result).to.equal('next');
  });

  it('forgets settled sessions in sweeps, so that what it remembers stays bounded', async () => {
    const order = writeOrder(100);
    for (let i = 0; i < 1_000; i++) await order(`s${i}`, async () => i);
    expect(order.remembered()).to.be.at.most(100);
    // A session still writing is kept through a sweep: its next write waits for it.
    const log: string[] = [];
    const held = gate(log, 'held');
    const first = order('kept', held.write);
    for (let i = 0; i < 300; i++) await order(`t${i}`, async () => i);
    const after = gate(log, 'after');
    const second = order('kept', after.write);
    await tick();
    expect(log).to.deep.equal(['start held']);
    held.end();
    after.end();
    expect(await Promise.all([first, second])).to.deep.equal(['held', 'after']);
  });
});

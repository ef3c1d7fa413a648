import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';

/*
 * lib/ is in floors (docs/architecture.md): a file imports from its own folder or from a
 * floor below, never from one above, and no files import each other in a circle. Type-only
 * imports count too: they tie the files together for a reader just the same.
 */

const LIB = path.resolve(__dirname, '../../lib');

/** Top to bottom; folders on one floor may not import each other. */
const FLOORS: string[][] = [['.'], ['store'], ['writes', 'expiry'], ['calls'], ['stored'], ['driver', 'util']];

function floorOf(folder: string): number {
  const floor = FLOORS.findIndex((names) => names.includes(folder));
  if (floor < 0) throw new Error(`lib/${folder} is on no floor: add it to FLOORS and docs/architecture.md`);
  return floor;
}

/** Every lib file (relative to lib/, without extension) and the lib files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = fs.readdirSync(LIB, { recursive: true, encoding: 'utf8' }).filter((file) => /\.m?ts$/.test(file));
  for (const file of files) {
    const source = fs.readFileSync(path.join(LIB, file), 'utf8');
    const targets = [...source.matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((match) =>
      path.normalize(path.join(path.dirname(file), match[1]!)),
    );
    graph.set(file.replace(/\.m?ts$/, ''), targets);
  }
  return graph;
}

/** A circle of imports through `start`, if any. */
function circleFrom(graph: Map<string, string[]>, start: string): string[] | null {
  const stack: Array<[string, string[]]> = [[start, [start]]];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const [file, trail] = stack.pop()!;
    for (const next of graph.get(file) ?? []) {
      if (next === start) return [...trail, next];
      if (!seen.has(next)) {
        seen.add(next);
        stack.push([next, [...trail, next]]);
      }
    }
  }
  return null;
}

describe('the layout of lib/', () => {
  const graph = importGraph();

  it('has every folder on a floor, and imports only sideways or down', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = path.dirname(file);
      for (const target of targets.filter((t) => !t.startsWith('..'))) {
        const to = path.dirname(target);
        if (to !== from && floorOf(to) <= floorOf(from)) upward.push(`${file} -> ${target}`);
      }
    }
    expect(graph.size).to.be.greaterThan(30);
    expect(upward).to.deep.equal([]);
  });

  it('has no files that import each other, directly or round a circle', () => {
    const circles = [...graph.keys()].map((file) => circleFrom(graph, file)).filter((circle) => circle !== null);
    expect(circles).to.deep.equal([]);
  });

  it('keeps every function within about a screen (60 lines)', () => {
    const long: string[] = [];
    for (const file of graph.keys()) {
      const lines = fs.readFileSync(path.join(LIB, `${file}.ts`), 'utf8').split('\n');
      // A function starts where a line opens one and ends at the first line back at its indent that closes it.
      lines.forEach((line, start) => {
        const opens = /^(\s*)(export )?(async )?function\b|^(\s*)(const|let) \w+ = (async )?\([^)]*\)[^=]*=> \{$/.exec(line);
        if (!opens) return;
        const indent = (opens[1] ?? opens[4] ?? '').length;
        const end = lines.findIndex((l, i) => i > start && l.length - l.trimStart().length === indent && /^\s*\}/.test(l));
        if (end - start + 1 > 60) long.push(`${file}.ts:${start + 1} (${end - start + 1} lines)`);
      });
    }
    expect(long).to.deep.equal([]);
  });
});

import fs from 'node:fs';
import path from 'node:path';

/*
 * The code blocks of README.md and docs/*.md. Each runnable block stands under a
 * `<!-- snippet: NAME -->` line, and some spec runs it by that name: the docs spec checks
 * that no block goes without one, so a snippet nobody runs cannot rot unseen.
 */

const ROOT = path.resolve(__dirname, '../..');

/** README.md first, then every page of docs/, as [file relative to the root, text]. */
export function documentationPages(): Array<[string, string]> {
  const docs = fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs].map((file) => [file, fs.readFileSync(path.join(ROOT, file), 'utf8')]);
}

export interface CodeBlock {
  file: string;
  language: string;
  /** The snippet's name, or null for a block with no `<!-- snippet: -->` line above it. */
  name: string | null;
  code: string;
}

/** Every fenced block of the README and docs/, in order. */
export function codeBlocks(): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  for (const [file, text] of documentationPages()) {
    const fence = /(?:<!-- snippet: ([\w-]+) -->\s*)?```(\w*)\n([\s\S]*?)```/g;
    for (let match = fence.exec(text); match; match = fence.exec(text)) {
      blocks.push({ file, name: match[1] ?? null, language: match[2]!, code: match[3]! });
    }
  }
  return blocks;
}

/** The code of the snippet `name`, wherever in the README or docs/ it stands. */
export function snippet(name: string): string {
  const found = codeBlocks().find((block) => block.name === name);
  if (!found) throw new Error(`no snippet ${name} in README.md or docs/`);
  return found.code;
}

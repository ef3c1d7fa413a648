import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** README.md and the docs/*.md pages it links to, as one text: where a fact is documented may move between them. */
export function documentation(): string {
  const docs = path.join(ROOT, 'docs');
  const pages = ['README.md', ...(fs.existsSync(docs) ? fs.readdirSync(docs).map((name) => path.join('docs', name)) : [])];
  return pages
    .filter((page) => page.endsWith('.md'))
    .map((page) => fs.readFileSync(path.join(ROOT, page), 'utf8'))
    .join('\n');
}

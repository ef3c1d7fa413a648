import { documentationPages } from './snippets';

/** README.md and the docs/*.md pages it links to, as one text: where a fact is documented may move between them. */
export function documentation(): string {
  return documentationPages()
    .map(([, text]) => text)
    .join('\n');
}

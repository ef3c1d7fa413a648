import createDebug from 'debug';
import { format } from 'node:util';

/** Runs `body` with the package's debug output captured; returns the lines it logged. */
export async function debugLines(body: () => unknown): Promise<string[]> {
  const lines: string[] = [];
  const previous = createDebug.disable();
  const log = createDebug.log;
  createDebug.enable('express-session-mongodb*');
  createDebug.log = (...args: unknown[]) => void lines.push(format(...args));
  try {
    await body();
  } finally {
    createDebug.log = log;
    createDebug.enable(previous);
  }
  return lines;
}

import { execFile } from 'node:child_process';

/**
 * Runs `command` to its end and resolves with its output. Asynchronous (execFileSync would
 * block the event loop), so that a progress line (support/progress.ts) can print meanwhile.
 * A failure rejects with the command and everything it printed.
 */
export function runCommand(command: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command[0]!, command.slice(1), { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command.join(' ')} failed:\n${stdout}${stderr}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

// `zephyr new` at a real terminal: tmux runs it in a pseudo-terminal, the test reads the screen and
// types, as a person would: arrow keys, Enter, Backspace, Ctrl-C.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { zephyrBin } from './running-process.js';

const socket = `zephyr-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    // no server left to kill
  }
});

/** Starts `zephyr new …` in a fresh tmux session and returns a handle to read and type. */
function terminal(name: string, cwd: string, args: string[]) {
  const command = [process.execPath, zephyrBin, 'new', ...args].map((a) => `'${a}'`).join(' ');
  tmux(
    'new-session',
    '-d',
    '-s',
    name,
    '-x',
    '120',
    '-y',
    '40',
    '-c',
    cwd,
    `${command}; echo "EXIT=$?"; sleep 600`,
  );
  const screen = () => tmux('capture-pane', '-p', '-t', name);
  return {
    screen,
    keys: (...keys: string[]) => tmux('send-keys', '-t', name, ...keys),
    async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = screen();
        if (pattern.test(text)) return text;
        if (Date.now() > deadline) throw new Error(`no ${pattern} on screen in ${timeoutMs} ms:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

describe('zephyr new, interactively', () => {
  const packDir = inject('packDir');

  it('asks for each choice, refuses a non-empty directory in place, and writes what was chosen', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'zephyr-tty-'));
    mkdirSync(join(cwd, 'taken'));
    writeFileSync(join(cwd, 'taken', 'keep.txt'), 'mine');
    const t = terminal('create', cwd, ['--from', packDir, '--no-install']);

    await t.waitFor(/Directory/);
    t.keys('taken', 'Enter');
    await t.waitFor(/taken is not empty: choose another \(or pass --force\)/);
    t.keys('BSpace', 'BSpace', 'BSpace', 'BSpace', 'BSpace', 'my-app', 'Enter');

    await t.waitFor(/Template/);
    t.keys('Down', 'Enter'); // from the default (api) to full
    await t.waitFor(/Database/);
    t.keys('Down', 'Enter'); // PostgreSQL
    await t.waitFor(/I\/O engine/);
    t.keys('Down', 'Down', 'Enter'); // node
    await t.waitFor(/Package manager/);
    t.keys('Enter'); // npm

    const screen = await t.waitFor(/EXIT=\d+/);
    expect(screen).toContain('EXIT=0');
    expect(screen).toMatch(/\[3\/3\] writing the full template/);
    expect(screen).toContain(`Created full app in ${join(cwd, 'my-app')}`);
    const config = readFileSync(join(cwd, 'my-app', 'zephyr.config.yaml'), 'utf8');
    expect(config).toContain('io_engine: node');
    expect(config).toContain('url: postgres://');
    expect(existsSync(join(cwd, 'my-app', 'src', 'request-counter.ts'))).toBe(true);
    expect(readFileSync(join(cwd, 'taken', 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('asks only what the flags left open, and Ctrl-C cancels with nothing written', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'zephyr-tty-'));
    const t = terminal('cancel', cwd, ['half', '--template', 'minimal', '--from', packDir, '--no-install']);
    await t.waitFor(/I\/O engine/);
    expect(t.screen()).not.toMatch(/Directory|Template|Database/);
    t.keys('C-c');
    const screen = await t.waitFor(/EXIT=\d+/);
    expect(screen).toContain('Cancelled: nothing was written.');
    expect(screen).toContain('EXIT=1');
    expect(existsSync(join(cwd, 'half'))).toBe(false);
  });
});

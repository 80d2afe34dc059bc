import { describe, expect, it } from 'vitest';
import { defaultOptions, detectPackageManager } from '../src/create-options.js';
import { CreateError, parseCreateArgs } from '../src/index.js';

describe('parseCreateArgs', () => {
  it('takes every choice as a flag', () => {
    const args = parseCreateArgs([
      'my-app',
      '--template',
      'full',
      '--db',
      'postgres',
      '--engine',
      'node',
      '--pm',
      'pnpm',
      '--from',
      '/packs',
      '--force',
      '--no-install',
      '--yes',
    ]);
    expect(args).toEqual({
      options: {
        dir: 'my-app',
        template: 'full',
        db: 'postgres',
        engine: 'node',
        pm: 'pnpm',
        from: '/packs',
        force: true,
        install: false,
      },
      yes: true,
      help: false,
    });
  });

  it.each([
    [['--template', 'huge'], '--template must be one of minimal, api, full (got "huge")'],
    [['--db', 'mysql'], '--db must be one of pglite, postgres (got "mysql")'],
    [['--engine', 'epoll'], '--engine must be one of auto, io_uring, node (got "epoll")'],
    [['--pm', 'yarn'], '--pm must be one of npm, pnpm (got "yarn")'],
    [['--colour'], "Unknown option '--colour'"],
    [['--template'], "Option '-t, --template <value>' argument missing"],
    [['a', 'b'], 'expected one directory, got 2: "a" "b"'],
    [[''], 'the directory name is empty'],
    [['--from', ''], '--from needs a directory'],
    [['--template', 'minimal', '--db', 'pglite'], '--db applies to the api and full templates'],
  ])('refuses %j: %s', (argv, message) => {
    let error: unknown;
    try {
      parseCreateArgs(argv);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CreateError);
    expect((error as CreateError).code).toBe('ZEPHYR_ERR_INVALID_ARGUMENT');
    expect((error as CreateError).message).toContain(message);
  });
});

describe('defaults', () => {
  it('installs with the package manager that ran `npm create` / `pnpm create`', () => {
    expect(detectPackageManager({ npm_config_user_agent: 'pnpm/12.4.2 npm/? node/v20.20.2 linux x64' })).toBe(
      'pnpm',
    );
    expect(detectPackageManager({ npm_config_user_agent: 'npm/10.8.2 node/v20.20.2 linux x64' })).toBe('npm');
    expect(detectPackageManager({})).toBe('npm');
    expect(defaultOptions({})).toMatchObject({
      dir: 'zephyr-app',
      template: 'api',
      db: 'pglite',
      engine: 'auto',
    });
  });
});

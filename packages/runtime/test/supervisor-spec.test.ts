import { afterEach, describe, expect, it } from 'vitest';
import {
  ActorNameTakenError,
  type ActorSystem,
  type ChildSpec,
  createActorSystem,
  defineActor,
  InvalidArgumentError,
} from '../src/index.js';

const noop = defineActor<{ type: 'x' }>()({ start: () => null, receive: () => undefined });

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

describe('supervise() checks every child spec before anything starts', () => {
  const cases: [string, ChildSpec[], RegExp][] = [
    [
      'a bad capacity',
      [{ id: 'w', actor: noop, mailbox: { capacity: 0 } }],
      /child "w": mailbox.capacity must be/,
    ],
    [
      'an unknown overflow',
      [{ id: 'w', actor: noop, mailbox: { overflow: 'drop-all' as never } }],
      /child "w": mailbox.overflow/,
    ],
    [
      'a duplicate id',
      [
        { id: 'w', actor: noop },
        { id: 'w', actor: noop },
      ],
      /child "w": id is used by another child/,
    ],
    [
      'an unknown restart type',
      [{ id: 'w', actor: noop, restart: 'always' as never }],
      /child "w": restart must be/,
    ],
    [
      'an unknown placement',
      [{ id: 'w', actor: noop, placement: 'gpu' as never }],
      /child "w": placement must be/,
    ],
    [
      'a thread placement without a kind',
      [{ id: 'w', actor: noop, placement: 'thread' }],
      /child "w": placement thread needs/,
    ],
    ['a missing definition', [{ id: 'w', actor: {} as never }], /child "w": actor must be a definition/],
    ['an empty id', [{ id: '', actor: noop }], /children\[0\]: id must be a non-empty string/],
    [
      'a bad spec deep in a nested supervisor',
      [{ id: 'inner', supervisor: { children: [{ id: 'deep', actor: noop, mailbox: { capacity: -1 } }] } }],
      /child "inner" \(supervisor\), child "deep": mailbox.capacity/,
    ],
  ];

  it.each(cases)('rejects %s, naming the child and the field', async (_name, children, message) => {
    system = await createActorSystem({ onFatal: () => {} });
    expect(() => system!.supervise({ children })).toThrow(InvalidArgumentError);
    expect(() => system!.supervise({ children })).toThrow(message);
    // Nothing was started: the root has no child, and the system still works.
    expect(system.rootSupervisor.children()).toEqual([]);
    await expect(system.spawn(noop).ask({ type: 'x' })).resolves.toBeUndefined();
  });

  it('rejects an unknown strategy and a bad intensity', async () => {
    system = await createActorSystem();
    expect(() => system!.supervise({ strategy: 'one_for_some' as never })).toThrow(/strategy must be one of/);
    expect(() => system!.supervise({ intensity: { maxRestarts: -1, withinMs: 10 } })).toThrow(
      /intensity.maxRestarts/,
    );
  });

  it('rejects a name already registered, or given twice in the tree', async () => {
    system = await createActorSystem();
    system.spawn(noop, { name: 'taken' });
    expect(() => system!.supervise({ children: [{ id: 'w', actor: noop, name: 'taken' }] })).toThrow(
      ActorNameTakenError,
    );
    expect(() =>
      system!.supervise({
        children: [
          { id: 'a', actor: noop, name: 'twice' },
          { id: 'b', supervisor: { children: [{ id: 'c', actor: noop, name: 'twice' }] } },
        ],
      }),
    ).toThrow(/child "c": an actor named "twice"/);
  });
});

describe('supervisor watchers', () => {
  it('tells every watcher even when one throws, and reports the throw', async () => {
    const reported: unknown[] = [];
    system = await createActorSystem({ onHookError: (_a, _h, err) => reported.push(err) });
    const sup = system.supervise({ children: [{ id: 'w', actor: noop }] }, { id: 's' });
    const heard: string[] = [];
    sup.watch(() => heard.push('first'));
    sup.watch(() => {
      throw new Error('bad listener');
    });
    sup.watch(() => heard.push('third'));
    await system.stop('s');
    expect(heard).toEqual(['first', 'third']);
    expect(reported).toEqual([expect.objectContaining({ message: 'bad listener' })]);
  });
});

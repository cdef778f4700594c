import asyncHooks from 'node:async_hooks';
import { createRequire } from 'node:module';
import { withAsyncLocalContext } from '../../functions/shared/xray-context';

/**
 * The X-Ray SDK's trace context (a cls-hooked namespace) carried by AsyncLocalStorage: each piece of work keeps the
 * context it started in across awaits and timers, concurrent work does not see another's, and no async hook runs.
 */

interface Namespace {
  active: object | null;
  _contexts: Map<number, unknown>;
  run(fn: (context: object) => void): object;
  set(key: string, value: unknown): unknown;
  get(key: string): unknown;
  enter(context: object): void;
  createContext(): object;
}
const cls = createRequire(import.meta.url)('cls-hooked/context') as { createNamespace(name: string): Namespace };
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('X-Ray context on AsyncLocalStorage', () => {
  const { createHook } = asyncHooks;
  let namespace: Namespace;

  beforeAll(async () => {
    namespace = await withAsyncLocalContext(
      () => Promise.resolve(cls.createNamespace('xray-context-test')),
      'xray-context-test',
    );
  });

  it('keeps each piece of work in its own context across awaits and timers', async () => {
    // Prepare
    const work = (id: string) =>
      new Promise<unknown[]>((resolve) => {
        namespace.run(() => {
          namespace.set('segment', id);
          void (async () => {
            const seen = [namespace.get('segment')];
            await tick();
            seen.push(namespace.get('segment'));
            setTimeout(() => {
              resolve([...seen, namespace.get('segment')]);
            }, 2);
          })();
        });
      });

    // Act
    const [a, b] = await Promise.all([work('a'), work('b')]);

    // Assess
    expect([a, b]).toEqual([
      ['a', 'a', 'a'],
      ['b', 'b', 'b'],
    ]);
  });

  it('reads the last context entered where no work carried one, as cls-hooked does', async () => {
    // Prepare
    const root = namespace.createContext();
    namespace.enter(root);
    namespace.set('segment', 'facade');

    // Act
    const seen = await new Promise((resolve) => {
      setImmediate(() => {
        resolve(namespace.get('segment'));
      });
    });

    // Assess
    expect(seen).toBe('facade');
  });

  it("enables no async hook, and gives later callers Node's own createHook", async () => {
    // Act
    await new Promise<void>((resolve) => {
      namespace.run(() => {
        void tick().then(() => {
          resolve();
        });
      });
    });

    // Assess
    expect(namespace._contexts.size).toBe(0);
    expect(asyncHooks.createHook).toBe(createHook);
  });
});

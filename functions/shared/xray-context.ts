import asyncHooks, { AsyncLocalStorage } from 'node:async_hooks';

/** The part of cls-hooked's namespace (the X-Ray SDK's trace context) that its own methods read and write. */
interface ClsNamespace {
  active: object | null;
}

/** The X-Ray SDK's namespace, kept where cls-hooked keeps every namespace. */
const NAMESPACE = 'AWSXRay';

/** A hook that never runs: what cls-hooked gets in place of the one it would enable. */
const inertHook: asyncHooks.AsyncHook = {
  enable() {
    return this;
  },
  disable() {
    return this;
  },
};

/**
 * Loads the X-Ray SDK (through `load`) with its trace context carried by AsyncLocalStorage instead of cls-hooked's
 * async hooks. Those hooks (init, before, after and destroy for every promise of the process, the AWS SDK's
 * included) cost about a third of the API function's CPU per earn (`npm run bench -- handlercpu`); AsyncLocalStorage
 * carries a value through the same asynchronous continuations without any hook.
 *
 * cls-hooked keeps the current context in its namespace's `active` property and moves it by hand: `enter` and `exit`
 * around synchronous work (`run`, `bind`), and its hooks at each continuation (a continuation resumes with the
 * context that was active when it was created). Here `active` reads the context AsyncLocalStorage carried to the
 * running continuation, and writing it enters that context for the rest of the continuation and those it creates.
 * Where nothing was carried (work that began before the SDK set its first context) it reads the last context
 * written, as cls-hooked's namespace does outside any hooked continuation. The namespace's methods are cls-hooked's
 * own, unchanged.
 */
export async function withAsyncLocalContext<T>(load: () => Promise<T>, namespaceName = NAMESPACE): Promise<T> {
  const { createHook } = asyncHooks;
  // cls-hooked creates its hook once, when the SDK creates its namespace on import: only that call is answered.
  asyncHooks.createHook = () => {
    asyncHooks.createHook = createHook;
    return inertHook;
  };
  let loaded: T;
  try {
    loaded = await load();
  } finally {
    asyncHooks.createHook = createHook;
  }
  const namespaces = (process as unknown as { namespaces?: Record<string, ClsNamespace | undefined> }).namespaces;
  const namespace = namespaces?.[namespaceName];
  if (!namespace) throw new Error(`No ${namespaceName} namespace was created: its context cannot be carried`);
  const carried = new AsyncLocalStorage<object | null>();
  let lastWritten = namespace.active;
  Object.defineProperty(namespace, 'active', {
    configurable: true,
    enumerable: true,
    get: () => carried.getStore() ?? lastWritten,
    set: (context: object | null) => {
      lastWritten = context;
      carried.enterWith(context);
    },
  });
  return loaded;
}

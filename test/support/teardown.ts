/**
 * A resource that `beforeAll` starts, as `afterAll` must see it: the test file types its `let` as always
 * set, but a start that failed leaves it unassigned, and teardown should not add a TypeError to that failure.
 *
 * @example
 *   afterAll(async () => {
 *     await ifStarted(twin)?.stop();
 *   });
 */
export function ifStarted<T>(resource: T): T | undefined {
  return resource;
}

/**
 * Runs a synchronous body the way an `async` function runs it: its value resolves the promise and
 * anything it throws rejects it. In-memory fakes implement async ports with it, so callers see a
 * rejection (never a synchronous throw), as they would from the real adapter.
 *
 * @example
 *   getBalance(tenantId: string, memberId: string) {
 *     return asPromise(() => this.balances.get(`${tenantId}/${memberId}`) ?? null);
 *   }
 */
export function asPromise<T>(body: () => T): Promise<T> {
  return new Promise<T>((resolve) => {
    resolve(body());
  });
}

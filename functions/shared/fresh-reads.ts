/**
 * Concurrent callers of one key share reads, yet each is answered by a read that started after it
 * arrived: a caller joins the read that has not started yet, or queues the next one behind the read
 * in flight. A strongly consistent read keeps its meaning (it sees every write done before the
 * caller came) while a burst of a thousand callers in one container costs two reads at a time, not a
 * thousand connections.
 * @example const tenantStatus = freshReads((id) => store.getTenant(id, { consistent: true }));
 */
export function freshReads<T>(read: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const lanes = new Map<string, { waiting?: Promise<T>; running?: Promise<T> }>();
  return (key) => {
    const lane = lanes.get(key) ?? {};
    lanes.set(key, lane);
    if (lane.waiting) return lane.waiting;
    const before = lane.running?.then(
      () => undefined,
      () => undefined,
    );
    const waiting = Promise.resolve(before).then(() => {
      lane.waiting = undefined;
      const running = read(key);
      lane.running = running;
      const forget = () => {
        if (lane.running === running && !lane.waiting) lanes.delete(key);
      };
      running.then(forget, forget);
      return running;
    });
    lane.waiting = waiting;
    return waiting;
  };
}

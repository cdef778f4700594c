import { freshReads } from '../../functions/shared/fresh-reads';

describe('freshReads', () => {
  it('answers callers arriving together with one read, a later caller with a read started after it', async () => {
    // Prepare: reads that finish only when told to, numbered in the order they start.
    const started: ((value: number) => void)[] = [];
    const read = freshReads(
      (key) =>
        new Promise<number>((resolve) => {
          started.push((n) => {
            resolve(n + key.length);
          });
        }),
    );

    // Act: three callers together; a fourth while their read is in flight; a fifth beside the fourth.
    const together = [read('t'), read('t'), read('t')];
    await Promise.resolve();
    await Promise.resolve();
    const startedBeforeLater = started.length;
    const later = [read('t'), read('t')];
    started[0]!(10);
    const first = await Promise.all(together);
    await new Promise((resolve) => setTimeout(resolve, 0));
    started[1]!(20);
    const second = await Promise.all(later);

    // Assess
    expect(startedBeforeLater).toBe(1);
    expect(first).toEqual([11, 11, 11]);
    expect(second).toEqual([21, 21]);
    expect(started).toHaveLength(2);
  });

  it('gives every caller of a failed read its error, and reads again for the next', async () => {
    // Prepare
    let calls = 0;
    const read = freshReads(() => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error('down')) : Promise.resolve(calls);
    });

    // Act
    const failed = await Promise.allSettled([read('t'), read('t')]);
    const next = await read('t');

    // Assess
    expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    expect(next).toBe(2);
  });
});

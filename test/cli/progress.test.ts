import { describe, expect, it } from 'vitest';
import { createProgressReporter } from '../../cli/progress.js';

function aStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 100, write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WriteStream };
}

describe('export progress', () => {
  it('redraws one line with rows, pages and bytes on a terminal', () => {
    let t = 0;
    const { writes, stream } = aStream(true);
    const progress = createProgressReporter(stream, 'adhoc/x', { now: () => t });
    t = 1000;
    progress.update({ rows: 4000, pages: 1, bytes: 2048 });
    t = 2000;
    progress.update({ rows: 8000, pages: 2, bytes: 4096 });
    progress.done();
    expect(writes[0]).toMatch(/^\r\x1b\[K. adhoc\/x: 4,000 rows, 1 page\(s\), 2\.0 KB, 4,000 rows\/s$/);
    expect(writes[1]).toMatch(/8,000 rows, 2 page\(s\), 4\.0 KB/);
    expect(writes.at(-1)).toBe('\n');
    expect(writes.join('')).not.toMatch(/progress:/);
  });

  it('prints one plain line per page when not on a terminal', () => {
    const { writes, stream } = aStream(false);
    const progress = createProgressReporter(stream, 'adhoc/x');
    progress.update({ rows: 10, pages: 1, bytes: 100 });
    progress.update({ rows: 20, pages: 1, bytes: 200 });
    progress.update({ rows: 30, pages: 2, bytes: 300 });
    progress.done();
    expect(writes).toHaveLength(2);
    expect(writes[0]).toMatch(/^progress: 10 rows, 1 page\(s\), 100 B/);
    expect(writes.every((w) => !w.includes('\r'))).toBe(true);
  });
});

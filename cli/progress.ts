/**
 * Export progress on stderr: a live one-line bar on a terminal (rows, pages, bytes, rate), plain
 * lines otherwise (at most one per page, so logs stay readable).
 */
import { formatBytes } from './runtime.js';

export interface ProgressSnapshot {
  readonly rows: number;
  readonly pages: number;
  readonly bytes: number;
}

export interface ProgressReporter {
  update(p: ProgressSnapshot): void;
  done(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createProgressReporter(stream: NodeJS.WriteStream, label: string, options: { quiet?: boolean; now?: () => number } = {}): ProgressReporter {
  const now = options.now ?? Date.now;
  const started = now();
  const tty = Boolean(stream.isTTY) && !options.quiet;
  let last: ProgressSnapshot = { rows: 0, pages: 0, bytes: 0 };
  let lastPrintedPages = -1;
  let lastDraw = 0;
  let frame = 0;
  const text = (p: ProgressSnapshot) => {
    const seconds = Math.max(0.001, (now() - started) / 1000);
    return `${p.rows.toLocaleString('en-US')} rows, ${p.pages} page(s), ${formatBytes(p.bytes)}, ${Math.round(p.rows / seconds).toLocaleString('en-US')} rows/s`;
  };
  const draw = () => {
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    const bar = `${FRAMES[frame++ % FRAMES.length]} ${label}: ${text(last)}`;
    stream.write(`\r\x1b[K${bar.slice(0, width)}`);
  };
  return {
    update(p) {
      last = p;
      if (options.quiet) return;
      if (tty) {
        if (now() - lastDraw >= 80) {
          lastDraw = now();
          draw();
        }
      } else if (p.pages !== lastPrintedPages) {
        lastPrintedPages = p.pages;
        stream.write(`progress: ${text(p)}\n`);
      }
    },
    done() {
      if (tty) {
        draw();
        stream.write('\n');
      }
    },
  };
}

/**
 * A loopback HTTP proxy in front of the simulator that records every response body, so a test can
 * learn the exact KS strings the simulator issued (the simulator's own request log redacts them).
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingProxy {
  /** `http://127.0.0.1:PORT` — replace the simulator's origin with this. */
  readonly origin: string;
  readonly responseBodies: string[];
  readonly requestBodies: string[];
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const to = new URL(target);
  const responseBodies: string[] = [];
  const requestBodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requestBodies.push(body.toString('utf8'));
      const upstream = httpRequest(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } },
        (up) => {
          const out: Buffer[] = [];
          up.on('data', (c: Buffer) => out.push(c));
          up.on('end', () => {
            const buf = Buffer.concat(out);
            responseBodies.push(buf.toString('utf8'));
            res.writeHead(up.statusCode ?? 502, up.headers);
            res.end(buf);
          });
          up.on('error', () => res.destroy());
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    responseBodies,
    requestBodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every KS v2 string (`djJ8…`, JSON-escaped slashes undone) found in the texts. */
export function extractKs(texts: ReadonlyArray<string>): string[] {
  const found = new Set<string>();
  for (const text of texts) {
    for (const m of text.replace(/\\\//g, '/').matchAll(/djJ8[A-Za-z0-9_\-+/=%]{16,}/g)) found.add(decodeURIComponent(m[0]));
  }
  return [...found];
}

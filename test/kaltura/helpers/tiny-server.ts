/** A tiny node:http server on 127.0.0.1:0 for transport edge cases; records every request. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TinyRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly form: URLSearchParams;
}

export interface TinyServer {
  readonly url: string;
  readonly requests: TinyRequest[];
  close(): Promise<void>;
}

export async function startTinyServer(handler: (req: TinyRequest, res: ServerResponse, index: number) => void | Promise<void>): Promise<TinyServer> {
  const requests: TinyRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const tiny: TinyRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, form: new URLSearchParams(body) };
      requests.push(tiny);
      void Promise.resolve(handler(tiny, res, requests.length - 1)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * A fault-injecting HTTP proxy in front of an S3 server, on a free loopback port. Each
 * request, at `rate`, meets one fault: an error status (500, 503, 429) instead of an answer,
 * a connection reset, a GET body cut short, a GET body with one bit flipped, or a delay.
 * `enforceIfNoneMatch` makes it refuse (412) a PUT or multipart completion carrying
 * `If-None-Match: *` for a key that exists, as AWS does. Requests are forwarded byte for
 * byte (headers included, so signatures hold). Counts what it did, and logs every request
 * line for tests that look for one (e.g. an AbortMultipartUpload).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultKind = 'status' | 'reset' | 'truncate' | 'bitflip' | 'delay';

export interface FaultProxyOptions {
  upstream: string;
  /** Probability that a request meets a fault (0..1). */
  rate?: number;
  /** Which faults to draw from (default all). */
  faults?: FaultKind[];
  enforceIfNoneMatch?: boolean;
  /** Seed of the fault sequence, so a failing run can be repeated. */
  seed?: number;
}

export class FaultProxy {
  readonly injected: Record<FaultKind, number> = { status: 0, reset: 0, truncate: 0, bitflip: 0, delay: 0 };
  readonly requests: string[] = [];
  preconditionsRefused = 0;
  private server?: Server;
  private readonly upstream: URL;
  private random: () => number;
  private readonly locks = new Map<string, Promise<void>>();

  constructor(private readonly options: FaultProxyOptions) {
    this.upstream = new URL(options.upstream);
    this.random = xorshift(options.seed ?? 1);
  }

  get endpoint(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  get totalFaults(): number {
    return Object.values(this.injected).reduce((a, b) => a + b, 0);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Change the fault rate (e.g. 0 for the final checks). */
  setRate(rate: number): void {
    this.options.rate = rate;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests.push(`${req.method} ${req.url}`);
    const fault = this.draw(req);
    if (fault === 'status') return this.errorStatus(req, res);
    if (fault === 'reset' && this.random() < 0.5) {
      req.socket.destroy(); // before any answer
      return;
    }
    if (fault === 'delay') await sleep(20 + Math.floor(this.random() * 200));
    if (this.options.enforceIfNoneMatch && createsKey(req) && req.headers['if-none-match'] === '*') {
      await this.conditionally(req, res, fault);
      return;
    }
    await this.forward(req, res, fault);
  }

  private draw(req: IncomingMessage): FaultKind | undefined {
    if (this.random() >= (this.options.rate ?? 0)) return undefined;
    const kinds = (this.options.faults ?? ['status', 'reset', 'truncate', 'bitflip', 'delay']).filter(
      (k) => req.method === 'GET' || (k !== 'truncate' && k !== 'bitflip'), // only bodies coming back are damaged
    );
    const kind = kinds[Math.floor(this.random() * kinds.length)];
    if (kind !== undefined) this.injected[kind]++;
    return kind;
  }

  private errorStatus(req: IncomingMessage, res: ServerResponse): void {
    const [status, code] = ([[500, 'InternalError'], [503, 'SlowDown'], [429, 'TooManyRequests']] as const)[Math.floor(this.random() * 3)];
    req.resume();
    res.writeHead(status, { 'Content-Type': 'application/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected</Message></Error>`);
  }

  /** One conditional create per key at a time: exists -> 412, else forward. */
  private async conditionally(req: IncomingMessage, res: ServerResponse, fault: FaultKind | undefined): Promise<void> {
    const key = req.url!.split('?')[0];
    const before = this.locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.locks.set(key, before.then(() => mine));
    await before;
    try {
      if (await this.exists(req)) {
        this.preconditionsRefused++;
        req.resume();
        res.writeHead(412, { 'Content-Type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>');
        return;
      }
      await this.forward(req, res, fault);
    } finally {
      release();
    }
  }

  /** HEAD of the key upstream, signed as nothing: s3rver answers unsigned HEADs. */
  private async exists(req: IncomingMessage): Promise<boolean> {
    const path = req.url!.split('?')[0];
    return new Promise<boolean>((resolve) => {
      const head = request({ host: this.upstream.hostname, port: this.upstream.port, method: 'HEAD', path }, (answer) => {
        answer.resume();
        resolve(answer.statusCode === 200);
      });
      head.on('error', () => resolve(false));
      head.end();
    });
  }

  private forward(req: IncomingMessage, res: ServerResponse, fault: FaultKind | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const out = request(
        { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          const length = Number(answer.headers['content-length'] ?? 0);
          const damage = answer.statusCode === 200 || answer.statusCode === 206 ? fault : undefined;
          this.relay(answer, res, damage, length).finally(resolve);
        },
      );
      out.on('error', () => {
        res.destroy();
        resolve();
      });
      // A client that goes away (killed mid-upload) must not leave the upstream request open.
      res.on('close', () => {
        out.destroy();
        resolve();
      });
      req.pipe(out);
    });
  }

  /** Copy the answer's body, damaged as the fault says. */
  private async relay(answer: IncomingMessage, res: ServerResponse, fault: FaultKind | undefined, length: number): Promise<void> {
    const cutAt = fault === 'truncate' || fault === 'reset' ? Math.floor(this.random() * Math.max(length, 1)) : -1;
    const flipAt = fault === 'bitflip' ? Math.floor(this.random() * Math.max(length, 1)) : -1;
    let at = 0;
    for await (const chunk of answer as AsyncIterable<Buffer>) {
      if (cutAt >= 0 && at + chunk.length > cutAt) {
        res.write(chunk.subarray(0, cutAt - at));
        answer.destroy();
        res.socket?.destroy(); // the client sees the body end early
        return;
      }
      if (flipAt >= at && flipAt < at + chunk.length) chunk[flipAt - at] ^= 1 << Math.floor(this.random() * 8);
      res.write(chunk);
      at += chunk.length;
    }
    res.end();
  }
}

function createsKey(req: IncomingMessage): boolean {
  return req.method === 'PUT' || (req.method === 'POST' && (req.url ?? '').includes('uploadId='));
}

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

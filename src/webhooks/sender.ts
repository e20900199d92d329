import http from 'node:http';
import https from 'node:https';
import { checkLiteralTarget, guardedLookup, SsrfError } from './ssrf';

export interface SendResult {
  /** HTTP status; undefined when no response came (network error, timeout, refusal). */
  status?: number;
  /** `Retry-After` in ms from now, when the response had a valid one. */
  retryAfterMs?: number;
  error?: string;
  /** The target was refused (SSRF rule, bad scheme): retrying cannot help. */
  refused?: boolean;
  durationMs: number;
}

/**
 * Keep-alive agents: a receiver that gets many deliveries reuses its connections. Every new
 * connection still resolves through the guarded lookup, so the address check holds for each.
 */
const agents = new Map<string, http.Agent>();
function agentFor(protocol: string, allowPrivate: boolean): http.Agent {
  const key = `${protocol}${allowPrivate}`; // a socket checked under one rule is never reused under the other
  let agent = agents.get(key);
  if (!agent) {
    const options = { keepAlive: true, maxSockets: 16, timeout: 60_000 };
    agents.set(key, (agent = protocol === 'https:' ? new https.Agent(options) : new http.Agent(options)));
  }
  return agent;
}

export interface SendOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: boolean;
  userAgent: string;
  now?: () => number;
}

/**
 * One POST. Redirects are not followed (a 3xx is an answer like any other); the timeout
 * covers connecting, sending and the response headers; the response body is not read (a
 * huge or endless body costs nothing): the socket is closed as soon as the status is known.
 */
export function sendWebhook(opts: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(opts.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SsrfError(`only http and https URLs are allowed, not ${url.protocol}`);
      checkLiteralTarget(url, opts.allowPrivate);
    } catch (e) {
      return resolve({ error: (e as Error).message, refused: true, durationMs: took() });
    }
    let settled = false;
    const done = (r: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, durationMs: took() });
    };
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, {
      method: 'POST',
      agent: agentFor(url.protocol, opts.allowPrivate),
      lookup: guardedLookup(opts.allowPrivate) as never,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(opts.body).toString(),
        'user-agent': opts.userAgent,
        ...opts.headers,
      },
    });
    let answered: { status: number; retryAfterMs?: number } | undefined;
    const timer = setTimeout(() => {
      if (answered) done(answered); // the status came; only the (small) body was slow
      req.destroy(new Error(`no response within ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'], opts.now?.() ?? Date.now());
      answered = { status, retryAfterMs };
      // A small answer is read to its end so that the connection can be reused; a large one is cut.
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared <= 64 * 1024) {
        res.resume();
        res.once('end', () => done({ status, retryAfterMs }));
        res.once('error', () => done({ status, retryAfterMs }));
      } else {
        res.destroy();
        req.destroy();
        done({ status, retryAfterMs });
      }
    });
    req.on('error', (err) => {
      const refused = err instanceof SsrfError || (err as { cause?: unknown }).cause instanceof SsrfError;
      done({ error: describe(err), refused });
    });
    req.end(opts.body);
  });
}

function describe(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}

/** `Retry-After`: delay seconds or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/**
 * Registry authentication (Docker's token spec, as every OCI registry implements it):
 * `WWW-Authenticate` challenges, the token request (anonymous, Basic with a user and
 * password, or an OAuth2 `refresh_token` grant for an identity token), and a token cache
 * per host and scope. HTTP itself is the client's; nothing here logs a secret.
 */
import type { RegistryCredential } from './credentials';

export type Challenge =
  | { scheme: 'bearer'; realm: string; service: string | null; scope: string | null }
  | { scheme: 'basic'; realm: string | null };

/**
 * Parses a `WWW-Authenticate` value: `Bearer realm="https://…",service="…",scope="a,b"`
 * (quoted values may hold commas and `\"`) or `Basic realm="…"`. Undefined when neither.
 */
export function parseWwwAuthenticate(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  const params: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)/gy;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2])) !== null && p[0] !== '') {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  }
  if (scheme === 'bearer') {
    if (!params.realm) return undefined;
    return { scheme: 'bearer', realm: params.realm, service: params.service ?? null, scope: params.scope ?? null };
  }
  if (scheme === 'basic') return { scheme: 'basic', realm: params.realm ?? null };
  return undefined;
}

/** `repository:<path>:pull`. */
export function pullScope(path: string): string {
  return `repository:${path}:pull`;
}

export interface TokenRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** Docker's client id for the refresh-token grant. */
export const CLIENT_ID = 'catalog-sync';

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * The token request for a bearer challenge: GET realm?service&scope (with Basic when a user
 * and password are known), or POST realm (form) `grant_type=refresh_token` for an identity token.
 */
export function tokenRequest(challenge: Extract<Challenge, { scheme: 'bearer' }>, scope: string, credential: RegistryCredential | undefined): TokenRequest {
  if (credential?.kind === 'identityToken') {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.identityToken, client_id: CLIENT_ID, scope });
    if (challenge.service) form.set('service', challenge.service);
    return { method: 'POST', url: challenge.realm, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() };
  }
  const url = new URL(challenge.realm);
  if (challenge.service) url.searchParams.set('service', challenge.service);
  url.searchParams.set('scope', scope);
  const headers: Record<string, string> = {};
  if (credential?.kind === 'basic') {
    url.searchParams.set('account', credential.username);
    headers.authorization = basicAuthorization(credential.username, credential.password);
  }
  return { method: 'GET', url: url.href, headers };
}

/** Default token lifetime when `expires_in` is missing (Docker's token spec: 60 s). */
export const DEFAULT_TOKEN_SECONDS = 60;

/** `{token | access_token, expires_in}` → the token and when to stop using it (10 % or 5 s early). */
export function parseTokenResponse(json: unknown, now: number): { token: string; expiresAt: number } {
  if (typeof json !== 'object' || json === null) throw new Error('the token answer is not a JSON object');
  const o = json as Record<string, unknown>;
  const token = typeof o.token === 'string' && o.token !== '' ? o.token : typeof o.access_token === 'string' ? o.access_token : '';
  if (token === '') throw new Error('the token answer has no "token" or "access_token"');
  const seconds = typeof o.expires_in === 'number' && o.expires_in > 0 ? o.expires_in : DEFAULT_TOKEN_SECONDS;
  const early = Math.min(5_000, seconds * 100);
  return { token, expiresAt: now + seconds * 1000 - early };
}

/** Bearer tokens per `host scope`, until they expire. */
export class TokenCache {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private key(host: string, scope: string): string {
    return `${host} ${scope}`;
  }

  get(host: string, scope: string): string | undefined {
    const t = this.tokens.get(this.key(host, scope));
    if (!t) return undefined;
    if (this.now() >= t.expiresAt) {
      this.tokens.delete(this.key(host, scope));
      return undefined;
    }
    return t.token;
  }

  set(host: string, scope: string, token: { token: string; expiresAt: number }): void {
    this.tokens.set(this.key(host, scope), token);
  }

  /** Forgets `token` (a 401 refused it). */
  invalidate(host: string, scope: string, token: string): void {
    if (this.tokens.get(this.key(host, scope))?.token === token) this.tokens.delete(this.key(host, scope));
  }

  /** Every cached token, for redaction. */
  all(): string[] {
    return [...this.tokens.values()].map((t) => t.token);
  }
}

/**
 * Registry credentials from a Docker `config.json` (the file `docker login`, podman and
 * skopeo write): `auths` entries with `auth` (base64 `user:password`), or
 * `username`/`password`, or `identitytoken` (an OAuth2 refresh token).
 *
 * Where: `REGISTRY_AUTH_FILE` (the variable skopeo and podman use), else
 * `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` when it exists. The secrets
 * live in private fields: logging, inspecting or `JSON.stringify`-ing the object shows the
 * hosts only.
 */
import fs from 'node:fs';
import path from 'node:path';

/** What a registry host was given: a user and password, or an identity (refresh) token. */
export type RegistryCredential =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'identityToken'; username: string | null; identityToken: string };

/** A malformed or unreadable credentials file; the message names the file, never a secret. */
export class CredentialsFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`registry credentials file ${file}: ${reason}`);
    this.name = 'CredentialsFileError';
  }
}

const DOCKER_HUB_KEYS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
/** Where credentials for Docker Hub images are filed (Docker writes `https://index.docker.io/v1/`). */
export const DOCKER_HUB_CREDENTIAL_HOST = 'docker.io';

/**
 * `ghcr.io`, `https://ghcr.io`, `https://ghcr.io/v2/`, `GHCR.IO` → `ghcr.io`; every
 * Docker Hub spelling (`https://index.docker.io/v1/`, `registry-1.docker.io`, …) → `docker.io`.
 */
export function credentialHost(key: string): string {
  let host = key.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  host = host.split('/')[0];
  return DOCKER_HUB_KEYS.has(host) ? DOCKER_HUB_CREDENTIAL_HOST : host;
}

export class RegistryCredentials {
  readonly #byHost: Map<string, RegistryCredential>;
  /** The file read, or null when none was. */
  readonly file: string | null;
  /** Things in the file that are not used, in words (`credsStore`, `credHelpers`). */
  readonly warnings: readonly string[];

  constructor(file: string | null, entries: Map<string, RegistryCredential>, warnings: string[] = []) {
    this.file = file;
    this.#byHost = entries;
    this.warnings = warnings;
  }

  static none(): RegistryCredentials {
    return new RegistryCredentials(null, new Map());
  }

  /** The credential for a registry host (`ghcr.io`, `127.0.0.1:5000`, `registry-1.docker.io`). */
  lookup(host: string): RegistryCredential | undefined {
    return this.#byHost.get(credentialHost(host));
  }

  /** Hosts that have credentials, sorted (no secrets). */
  hosts(): string[] {
    return [...this.#byHost.keys()].sort();
  }

  /** Every secret, for redaction of messages. */
  secrets(): string[] {
    const out: string[] = [];
    for (const c of this.#byHost.values()) out.push(c.kind === 'basic' ? c.password : c.identityToken);
    return out;
  }

  toJSON(): { file: string | null; hosts: string[] } {
    return { file: this.file, hosts: this.hosts() };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a `config.json` text. Throws {@link CredentialsFileError} (no secret in it) when malformed. */
export function parseDockerConfig(text: string, file: string): RegistryCredentials {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text, which holds the secrets: say where, not what.
    throw new CredentialsFileError(file, 'is not valid JSON');
  }
  if (!isObject(json)) throw new CredentialsFileError(file, 'must hold a JSON object (with "auths")');
  const warnings: string[] = [];
  if (typeof json.credsStore === 'string' && json.credsStore !== '') {
    warnings.push(
      `${file}: "credsStore": "${json.credsStore}" is not supported (credential helper programs are not run); ` +
        'entries kept there are not used: put them in "auths" (e.g. with podman login --authfile or skopeo login --authfile)',
    );
  }
  if (isObject(json.credHelpers) && Object.keys(json.credHelpers).length > 0) {
    warnings.push(
      `${file}: "credHelpers" (${Object.keys(json.credHelpers).sort().join(', ')}) are not supported (credential helper programs are not run); ` +
        'those registries are read anonymously unless "auths" has an entry for them',
    );
  }
  const entries = new Map<string, RegistryCredential>();
  if (json.auths === undefined) return new RegistryCredentials(file, entries, warnings);
  if (!isObject(json.auths)) throw new CredentialsFileError(file, '"auths" must be an object of registry → credentials');
  for (const [key, raw] of Object.entries(json.auths)) {
    const where = `"auths" entry ${JSON.stringify(key)}`;
    if (!isObject(raw)) throw new CredentialsFileError(file, `${where} must be an object`);
    for (const field of ['auth', 'username', 'password', 'identitytoken'] as const) {
      if (raw[field] !== undefined && typeof raw[field] !== 'string') throw new CredentialsFileError(file, `${where}: "${field}" must be a string`);
    }
    let username = typeof raw.username === 'string' && raw.username !== '' ? raw.username : null;
    let password = typeof raw.password === 'string' && raw.password !== '' ? raw.password : null;
    if (typeof raw.auth === 'string' && raw.auth !== '') {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(raw.auth.trim())) throw new CredentialsFileError(file, `${where}: "auth" is not base64`);
      const decoded = Buffer.from(raw.auth.trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) throw new CredentialsFileError(file, `${where}: "auth" must be base64 of "username:password"`);
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    const host = credentialHost(key);
    if (host === '') throw new CredentialsFileError(file, `${where}: the key names no registry host`);
    const identityToken = typeof raw.identitytoken === 'string' && raw.identitytoken !== '' ? raw.identitytoken : null;
    if (identityToken !== null) entries.set(host, { kind: 'identityToken', username, identityToken });
    else if (username !== null && password !== null) entries.set(host, { kind: 'basic', username, password });
    else if (username !== null || password !== null) {
      throw new CredentialsFileError(file, `${where} has a ${username !== null ? 'username without a password' : 'password without a username'}`);
    }
    // An empty entry ({}) is what `docker login` leaves when a credsStore holds the secret.
  }
  return new RegistryCredentials(file, entries, warnings);
}

type Env = Record<string, string | undefined>;

/**
 * The credentials file to read: `REGISTRY_AUTH_FILE` (must exist), else
 * `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json` — those two only when they exist.
 */
export function resolveAuthFile(env: Env): { file: string; explicit: boolean } | undefined {
  const explicit = env.REGISTRY_AUTH_FILE?.trim();
  if (explicit) return { file: path.resolve(explicit), explicit: true };
  const candidates: string[] = [];
  const dockerConfig = env.DOCKER_CONFIG?.trim();
  if (dockerConfig) candidates.push(path.join(dockerConfig, 'config.json'));
  const home = env.HOME?.trim();
  if (home) candidates.push(path.join(home, '.docker', 'config.json'));
  for (const file of candidates) if (fs.existsSync(file)) return { file: path.resolve(file), explicit: false };
  return undefined;
}

/** Reads and parses the file (or returns no credentials when there is none to read). */
export function loadRegistryCredentials(env: Env): RegistryCredentials {
  const where = resolveAuthFile(env);
  if (!where) return RegistryCredentials.none();
  let text: string;
  try {
    text = fs.readFileSync(where.file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CredentialsFileError(
      where.file,
      code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? 'error'})`,
    );
  }
  return parseDockerConfig(text, where.file);
}

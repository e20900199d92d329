/**
 * Turns Docker Hub JSON into {@link HubRepository} / {@link HubTag}. Lenient about content
 * (absent, null or mistyped scalar fields become null), strict about shape: a body that is
 * not the object it should be throws {@link HubShapeError}, which the client reports as a
 * `HubResponseError`.
 */
import type { HubRepository, HubTag, HubTagImage } from './hub-types';

export class HubShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubShapeError';
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return null;
}

function bool(v: unknown): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

function describeJsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/** Repository info, current shape or the older `/v2/repositories/{ns}/{repo}` one. */
export function parseRepository(json: unknown, namespace: string, repository: string): HubRepository {
  if (!isObject(json)) {
    throw new HubShapeError(`repository information should be a JSON object, got ${describeJsonType(json)}`);
  }
  if (typeof json.name !== 'string' && typeof json.namespace !== 'string') {
    throw new HubShapeError('the JSON object has neither "name" nor "namespace": it is not repository information');
  }
  return {
    namespace: str(json.namespace) ?? str(json.user) ?? namespace,
    repository: str(json.name) ?? repository,
    description: str(json.description),
    fullDescription: str(json.full_description),
    starCount: num(json.star_count) ?? 0,
    pullCount: num(json.pull_count) ?? 0,
    lastUpdated: str(json.last_updated),
    status: num(json.status),
    statusDescription: str(json.status_description),
    repositoryType: str(json.repository_type),
    isPrivate: bool(json.is_private),
    lastModified: str(json.last_modified),
    dateRegistered: str(json.date_registered),
    storageSize: num(json.storage_size),
  };
}

export interface ParsedTagPage {
  tags: HubTag[];
  /** `next` as given (absolute URL), or null. */
  next: string | null;
  count: number | null;
  /** Entries skipped because they had no usable name. */
  skipped: number;
}

/** One page of `…/tags` (`{count, next, previous, results[]}`). */
export function parseTagPage(json: unknown): ParsedTagPage {
  if (!isObject(json)) {
    throw new HubShapeError(`a tag page should be a JSON object, got ${describeJsonType(json)}`);
  }
  if (!Array.isArray(json.results)) {
    throw new HubShapeError(`"results" of the tag page should be an array, got ${describeJsonType(json.results)}`);
  }
  if (json.next !== undefined && json.next !== null && typeof json.next !== 'string') {
    throw new HubShapeError(`"next" of the tag page should be a URL or null, got ${describeJsonType(json.next)}`);
  }
  const tags: HubTag[] = [];
  let skipped = 0;
  json.results.forEach((entry, i) => {
    if (!isObject(entry)) {
      throw new HubShapeError(`results[${i}] of the tag page should be a JSON object, got ${describeJsonType(entry)}`);
    }
    const tag = parseTag(entry);
    if (tag) tags.push(tag);
    else skipped++;
  });
  return { tags, next: str(json.next) || null, count: num(json.count), skipped };
}

/** A tag, or null when it has no usable name. */
export function parseTag(json: Json): HubTag | null {
  const name = str(json.name);
  if (name === null || name === '') return null;
  const images: HubTagImage[] = [];
  if (Array.isArray(json.images)) {
    for (const img of json.images) if (isObject(img)) images.push(parseImage(img));
  }
  return {
    name,
    fullSize: num(json.full_size),
    lastUpdated: str(json.last_updated),
    tagStatus: str(json.tag_status),
    tagLastPushed: str(json.tag_last_pushed),
    digest: str(json.digest) || null,
    images,
    id: num(json.id),
    mediaType: str(json.media_type),
    contentType: str(json.content_type),
  };
}

function parseImage(json: Json): HubTagImage {
  return {
    architecture: str(json.architecture) || 'unknown',
    os: str(json.os) || 'unknown',
    variant: str(json.variant) || null,
    digest: str(json.digest) || null,
    size: num(json.size),
    osVersion: str(json.os_version) || null,
    status: str(json.status),
    lastPushed: str(json.last_pushed),
  };
}

/** `access_token` of `POST /v2/auth/token` (older servers: `token`). */
export function parseAccessToken(json: unknown): string {
  if (!isObject(json)) throw new HubShapeError(`the sign-in answer should be a JSON object, got ${describeJsonType(json)}`);
  const token = str(json.access_token) ?? str(json.token);
  if (!token) throw new HubShapeError('the sign-in answer has no "access_token"');
  return token;
}

/** The `exp` claim (epoch ms) of a JWT, when it can be decoded; the token is not verified. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const exp = isObject(payload) ? payload.exp : undefined;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The human part of a Docker Hub error body (`message`, `detail`, or a string `error`). */
export function errorBodyMessage(json: unknown): string | undefined {
  if (!isObject(json)) return undefined;
  for (const key of ['message', 'detail', 'error'] as const) {
    const v = json[key];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  return undefined;
}

/**
 * Image names: Docker Hub's and any OCI registry's.
 *
 * `nginx` and `org/name` are Docker Hub images (official images live in the `library`
 * namespace and are known by their bare name). A name whose first component contains a
 * `.` or a `:`, or is `localhost`, starts with a registry host: `ghcr.io/org/name`,
 * `quay.io/org/name`, `registry.example.com:5000/team/app`, `localhost:5000/tool`
 * (Docker's own rule, from distribution/reference). `docker.io/…`, `index.docker.io/…`
 * and `registry-1.docker.io/…` are Docker Hub spelled out and become the short form.
 *
 * This module is the one place that parses, validates and prints them, so the
 * configuration, the GraphQL inputs and the sync engine all agree.
 */

export const OFFICIAL_NAMESPACE = 'library';
/** The `registry` of every Docker Hub image. */
export const DOCKER_HUB_REGISTRY = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** One path component: lowercase letters and digits, separated by `.`, `_`, `__` or dashes. */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A host name (letters, digits, inner dashes, dot-separated) or a bracketed IPv6 address, with an optional port. */
const HOST = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;
/** distribution/reference caps the whole name at 255 characters. */
const MAX_NAME = 255;

export interface ImageName {
  /**
   * Registry host as written (with its port), lowercased: `docker.io` for every Docker Hub
   * image, else e.g. `ghcr.io` or `127.0.0.1:5000`.
   */
  readonly registry: string;
  /**
   * Repository path inside the registry, as the Distribution API wants it
   * (`/v2/<path>/…`): `library/nginx`, `org/name`, `team/sub/app`.
   */
  readonly path: string;
  /**
   * Docker Hub namespace (`library` for official images). For another registry: the path
   * without its last component (`''` when the path has one component).
   */
  readonly namespace: string;
  /** The last path component (Docker Hub: the repository inside the namespace). */
  readonly repository: string;
  /**
   * Canonical catalog name: `nginx` for `library/nginx`, `org/name` for other Docker Hub
   * images, `host/path` for every other registry (`ghcr.io/org/name`).
   */
  readonly name: string;
}

export class ImageNameError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`"${input}" is not a valid image name: ${reason}`);
    this.name = 'ImageNameError';
  }
}

/** True for Docker Hub images (read through Docker Hub's web API). */
export function isDockerHub(image: Pick<ImageName, 'registry'>): boolean {
  return image.registry === DOCKER_HUB_REGISTRY;
}

export function canonicalName(namespace: string, repository: string): string {
  return namespace === OFFICIAL_NAMESPACE ? repository : `${namespace}/${repository}`;
}

/** `docker.io/nginx:1.27` or `docker.io/org/name:tag` (as the Go scraper built them); `ghcr.io/org/name:tag` elsewhere. */
export function dockerRef(image: ImageName, tag: string): string {
  return isDockerHub(image) ? `docker.io/${image.name}:${tag}` : `${image.name}:${tag}`;
}

function looksLikeHost(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[');
}

/**
 * Parses `name` (official image), `org/name` (Docker Hub) or `host[:port]/path` (any
 * registry). Surrounding white space is ignored; anything else that breaks the naming
 * rules is an {@link ImageNameError}.
 */
export function parseImageName(raw: string): ImageName {
  const input = raw.trim();
  if (input === '') throw new ImageNameError(raw, 'it is empty');
  if (input.includes('@')) throw new ImageNameError(raw, 'give the repository only, without a tag or digest');
  if (input.includes('://')) throw new ImageNameError(raw, 'give the name without a scheme (ghcr.io/org/name, not https://…)');
  const parts = input.split('/');
  let registry = DOCKER_HUB_REGISTRY;
  if (parts.length > 1 && looksLikeHost(parts[0])) {
    const host = parts.shift()!;
    if (!HOST.test(host)) throw new ImageNameError(raw, `"${host}" is not a registry host name (host or host:port)`);
    const port = /:(\d+)$/.exec(host);
    if (port && (Number(port[1]) < 1 || Number(port[1]) > 65535)) throw new ImageNameError(raw, `port ${port[1]} is out of range`);
    registry = host.toLowerCase();
    if (DOCKER_HUB_ALIASES.has(registry)) registry = DOCKER_HUB_REGISTRY;
  }
  const rest = parts.join('/');
  if (/[A-Z]/.test(rest)) throw new ImageNameError(raw, 'it must be lowercase');
  if (rest.includes(':')) throw new ImageNameError(raw, 'give the repository only, without a tag or digest');

  if (registry === DOCKER_HUB_REGISTRY) {
    if (parts.length > 2) {
      throw new ImageNameError(raw, 'Docker Hub names have at most one "/" (namespace/repository)');
    }
    const [namespace, repository] = parts.length === 2 ? parts : [OFFICIAL_NAMESPACE, parts[0]];
    if (parts.length === 2 && (namespace.length < 2 || namespace.length > 255)) {
      throw new ImageNameError(raw, 'the namespace must be 2 to 255 characters long');
    }
    if (repository.length < 1 || repository.length > 255) {
      throw new ImageNameError(raw, 'the repository must be 1 to 255 characters long');
    }
    checkComponents(raw, [namespace, repository]);
    return { registry, path: `${namespace}/${repository}`, namespace, repository, name: canonicalName(namespace, repository) };
  }

  if (parts.some((p) => p === '')) throw new ImageNameError(raw, 'it has an empty path component');
  checkComponents(raw, parts);
  const name = `${registry}/${rest}`;
  if (name.length > MAX_NAME) throw new ImageNameError(raw, `the whole name must be at most ${MAX_NAME} characters long`);
  return { registry, path: rest, namespace: parts.slice(0, -1).join('/'), repository: parts[parts.length - 1], name };
}

function checkComponents(raw: string, components: readonly string[]): void {
  for (const component of components) {
    if (!COMPONENT.test(component)) {
      throw new ImageNameError(
        raw,
        `"${component}" must be lowercase letters and digits, separated by ".", "_", "__" or "-", ` +
          'and must start and end with a letter or digit',
      );
    }
  }
}

/** Parses a list and merges duplicates (`nginx` and `library/nginx` are one image), keeping first-seen order. */
export function parseImageNames(raws: readonly string[]): ImageName[] {
  const seen = new Map<string, ImageName>();
  for (const raw of raws) {
    const image = parseImageName(raw);
    if (!seen.has(image.name)) seen.set(image.name, image);
  }
  return [...seen.values()];
}

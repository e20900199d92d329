/**
 * Docker Hub image names.
 *
 * A tracked image is `namespace/repository` on Docker Hub. Official images live in the
 * `library` namespace and are known by their bare name (`nginx`), everything else by
 * `org/name`. This module is the one place that parses, validates and prints them, so
 * the configuration, the GraphQL inputs and the sync engine all agree.
 */

export const OFFICIAL_NAMESPACE = 'library';

/** One path component: lowercase letters and digits, separated by `.`, `_`, `__` or dashes. */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

export interface ImageName {
  /** Docker Hub namespace: `library` for official images. */
  readonly namespace: string;
  /** Repository name inside the namespace. */
  readonly repository: string;
  /** Canonical catalog name: `nginx` for `library/nginx`, `org/name` otherwise. */
  readonly name: string;
}

export class ImageNameError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`"${input}" is not a valid Docker Hub image name: ${reason}`);
    this.name = 'ImageNameError';
  }
}

export function canonicalName(namespace: string, repository: string): string {
  return namespace === OFFICIAL_NAMESPACE ? repository : `${namespace}/${repository}`;
}

/** `docker.io/nginx:1.27` or `docker.io/org/name:tag`, as the Go scraper built them. */
export function dockerRef(image: ImageName, tag: string): string {
  return `docker.io/${image.name}:${tag}`;
}

/**
 * Parses `name` (official image) or `org/name`. Surrounding white space is ignored;
 * anything else that breaks Docker Hub's naming rules is an {@link ImageNameError}.
 */
export function parseImageName(raw: string): ImageName {
  const input = raw.trim();
  if (input === '') throw new ImageNameError(raw, 'it is empty');
  if (/[A-Z]/.test(input)) throw new ImageNameError(raw, 'it must be lowercase');
  if (input.includes(':') || input.includes('@')) {
    throw new ImageNameError(raw, 'give the repository only, without a tag or digest');
  }
  const parts = input.split('/');
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
  for (const component of [namespace, repository]) {
    if (!COMPONENT.test(component)) {
      throw new ImageNameError(
        raw,
        `"${component}" must be lowercase letters and digits, separated by ".", "_", "__" or "-", ` +
          'and must start and end with a letter or digit',
      );
    }
  }
  return { namespace, repository, name: canonicalName(namespace, repository) };
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

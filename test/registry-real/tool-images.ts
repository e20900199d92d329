/**
 * The images the real-registry conformance tests push to `team/tool`: real OCI images built
 * with umoci (test/support/real-registry.ts). Tags are chosen so that lexical order
 * (`tags/list`) and version order differ (`1.10.0` > `1.9.1`), one is `latest`, one looks
 * like a cosign signature artifact and must be skipped, and the multi-platform ones are OCI
 * indexes of amd64 and arm64/v8.
 */
import { ImageConfigSpec, ImageSpec, PlatformSpec } from '../support/real-registry';

export const REPOSITORY = 'team/tool';

export const LABELS = {
  'org.opencontainers.image.title': 'tool',
  'org.opencontainers.image.description': 'A test tool served by a real registry',
  'org.opencontainers.image.licenses': 'Apache-2.0',
  'org.opencontainers.image.source': 'https://example.com/team/tool',
  'org.opencontainers.image.vendor': 'Team',
};

export function toolConfig(version: string, extra: Partial<ImageConfigSpec> = {}): ImageConfigSpec {
  return {
    labels: { ...LABELS, 'org.opencontainers.image.version': version },
    exposedPorts: ['8080/tcp', '53/udp'],
    volumes: ['/data', '/var/cache/tool'],
    entrypoint: ['/usr/bin/tool'],
    cmd: ['serve', '--port', '8080'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `TOOL_VERSION=${version}`],
    workingDir: '/srv/tool',
    user: '1000:1000',
    created: '2026-11-01T10:00:00Z',
    ...extra,
  };
}

export function twoPlatforms(config: ImageConfigSpec): PlatformSpec[] {
  return [
    { architecture: 'amd64', config },
    { architecture: 'arm64', variant: 'v8', config },
  ];
}

export const SIG_TAG = `sha256-${'ab'.repeat(32)}.sig`;

/** What is pushed first, in push order. */
export function initialImages(): ImageSpec[] {
  return [
    { repository: REPOSITORY, tag: '1.9.1', platforms: [{ architecture: 'amd64', config: toolConfig('1.9.1', { created: '2026-09-01T10:00:00Z' }) }] },
    { repository: REPOSITORY, tag: '1.10.0', platforms: twoPlatforms(toolConfig('1.10.0', { created: '2026-10-01T10:00:00Z' })), annotations: { 'org.opencontainers.image.description': 'index of 1.10.0' } },
    { repository: REPOSITORY, tag: '1.2.0', platforms: twoPlatforms(toolConfig('1.2.0', { created: '2026-05-01T10:00:00Z' })) },
    { repository: REPOSITORY, tag: 'latest', platforms: twoPlatforms(toolConfig('1.10.0')) },
    { repository: REPOSITORY, tag: SIG_TAG, platforms: [{ architecture: 'amd64', config: { labels: { 'dev.sigstore.cosign': 'looks like a signature' } } }] },
  ];
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../shared/logger';

export const TOKEN_FILE = 'admin-token';

export interface AdminToken {
  /** Checks an `Authorization` header value in constant time. */
  verify(authorization: string | undefined): boolean;
  /** Where the generated token is stored, when it was generated. */
  file?: string;
  generated: boolean;
}

/**
 * The bearer token every mutation needs: `CATALOG_ADMIN_TOKEN`, or one generated at first
 * start and kept in `<dataDir>/admin-token` (mode 0600). The token is printed (on `out`,
 * stderr) in full only when it is generated; later starts print where it is stored.
 */
export async function resolveAdminToken(
  configured: string | undefined,
  dataDir: string,
  logger: Logger,
  out: Pick<NodeJS.WritableStream, 'write'> = process.stderr,
): Promise<AdminToken> {
  if (configured !== undefined) {
    logger.info({ step: 'auth', source: 'CATALOG_ADMIN_TOKEN' }, 'mutations need the admin token from CATALOG_ADMIN_TOKEN');
    return { verify: verifier(configured), generated: false };
  }
  const file = path.join(dataDir, TOKEN_FILE);
  await fs.mkdir(dataDir, { recursive: true, mode: 0o755 });
  let token: string;
  let created = false;
  try {
    token = (await fs.readFile(file, 'utf8')).trim();
    if (token.length < 16) throw new Error(`${file} holds no usable token (delete it to generate a new one)`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    token = randomBytes(32).toString('base64url');
    try {
      await fs.writeFile(file, token + '\n', { mode: 0o600, flag: 'wx' });
      created = true;
    } catch (err) {
      // Another process sharing the data directory wrote it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      token = (await fs.readFile(file, 'utf8')).trim();
    }
  }
  await fs.chmod(file, 0o600);
  // In full only when generated (stderr often ends up in container logs, kept for long):
  // whoever started the service sees it once; later starts say where it is.
  out.write(
    created
      ? `\ncatalog-sync admin token (generated now, stored in ${file}, printed only this once):\n` +
          `  ${token}\n` +
          `Mutations need it:  curl -H "Authorization: Bearer $(cat ${file})" -H 'Content-Type: application/json' ...\n` +
          `Set CATALOG_ADMIN_TOKEN to choose your own.\n\n`
      : `catalog-sync admin token: generated earlier, stored in ${file} (not printed again; read it from that file).\n`,
  );
  logger.info({ step: 'auth', source: 'generated', file, created }, 'mutations need the generated admin token');
  return { verify: verifier(token), file, generated: created };
}

function verifier(token: string): (authorization: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (authorization) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    // Compare digests so that the comparison takes the same time whatever the length.
    const given = createHash('sha256').update(m ? m[1] : '').digest();
    return timingSafeEqual(given, expected) && m !== null;
  };
}

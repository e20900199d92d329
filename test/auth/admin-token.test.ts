import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveAdminToken } from '../../src/auth/admin-token';
import { createLogger } from '../../src/shared/logger';

function capture() {
  let text = '';
  return { out: { write: (chunk: string | Uint8Array) => ((text += String(chunk)), true) }, text: () => text };
}

test('the generated admin token is printed in full once; later starts print where it is stored, never the token', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-token-'));
  const logger = createLogger('silent');
  try {
    const first = capture();
    const generated = await resolveAdminToken(undefined, dir, logger, first.out);
    const file = path.join(dir, 'admin-token');
    const token = fs.readFileSync(file, 'utf8').trim();
    assert.equal(generated.generated, true);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.ok(first.text().includes(token), 'printed when generated');
    assert.ok(first.text().includes(file), 'with where it is stored');
    assert.ok(generated.verify(`Bearer ${token}`));

    for (let i = 0; i < 2; i++) {
      const later = capture();
      const again = await resolveAdminToken(undefined, dir, logger, later.out);
      assert.equal(again.generated, false);
      assert.ok(again.verify(`Bearer ${token}`), 'the same token');
      assert.ok(!later.text().includes(token), `start ${i + 2} does not print the token`);
      assert.ok(!later.text().includes(token.slice(0, 8)), 'not even a part of it');
      assert.match(later.text(), /generated earlier, stored in .*admin-token/);
      assert.ok(later.text().includes(file));
    }

    const configured = capture();
    const fromEnv = await resolveAdminToken('configured-token-0123456789', dir, logger, configured.out);
    assert.equal(configured.text(), '', 'CATALOG_ADMIN_TOKEN is never printed');
    assert.ok(fromEnv.verify('Bearer configured-token-0123456789'));
    assert.ok(!fromEnv.verify(`Bearer ${token}`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

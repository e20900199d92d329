import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { isDatabaseUnavailable, isPermanentConnectError } from '../../src/database/db-errors';
import { adminDatabaseUrl, createTestDatabase } from '../support/db';

/** Which database errors are a retryable outage (SERVICE_UNAVAILABLE) and which are not. */

test('outages are recognised through TypeORM and cause chains; bugs and bad statements are not', async () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  assert.equal(isDatabaseUnavailable(refused), true);
  assert.equal(isDatabaseUnavailable({ message: 'wrapped', driverError: refused }), true, "TypeORM's QueryFailedError");
  assert.equal(isDatabaseUnavailable(new Error('outer', { cause: refused })), true);
  for (const code of ['57P01', '57P02', '57P03', '57014', '53300', '08006']) assert.equal(isDatabaseUnavailable({ code, message: 'x' }), true, code);
  for (const message of ['Connection terminated unexpectedly', 'timeout exceeded when trying to connect', 'Query read timeout'])
    assert.equal(isDatabaseUnavailable(new Error(message)), true, message);
  assert.equal(isDatabaseUnavailable(new Error('Cannot read properties of undefined')), false);
  assert.equal(isDatabaseUnavailable(undefined), false);
  assert.equal(isPermanentConnectError({ code: '28P01' }), true);
  assert.equal(isPermanentConnectError(refused), false);
});

test('real server errors: a statement timeout is an outage, a syntax error or a unique violation is not', async () => {
  const db = await createTestDatabase();
  const client = new pg.Client({ connectionString: db.url, statement_timeout: 100 });
  await client.connect();
  try {
    const timeout = await client.query('SELECT pg_sleep(2)').catch((e) => e);
    assert.equal(timeout.code, '57014');
    assert.equal(isDatabaseUnavailable(timeout), true);
    const syntax = await client.query('SELEC 1').catch((e) => e);
    assert.equal(syntax.code, '42601');
    assert.equal(isDatabaseUnavailable(syntax), false);
    await client.query('CREATE TABLE t (id int PRIMARY KEY)');
    await client.query('INSERT INTO t VALUES (1)');
    const dup = await client.query('INSERT INTO t VALUES (1)').catch((e) => e);
    assert.equal(dup.code, '23505');
    assert.equal(isDatabaseUnavailable(dup), false);
  } finally {
    await client.end();
    await db.drop();
  }
  // A wrong password is permanent: start-up must not wait for it.
  const u = new URL(adminDatabaseUrl());
  u.password = 'nope';
  const bad = new pg.Client({ connectionString: u.toString() });
  const err = await bad.connect().catch((e) => e);
  assert.equal(isPermanentConnectError(err), true, String(err?.code));
});

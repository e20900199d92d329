import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keyset pages by name (the default order) read `(name, id)` straight from one index: no
 * sort of the rows that share a name prefix, however deep the page (`(name, id) > ($1, $2)`).
 */
export class ReadPathIndexes1764400000000 implements MigrationInterface {
  name = 'ReadPathIndexes1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ix_processing_resource_name_id ON processing_resource (name, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_processing_resource_name_id`);
  }
}

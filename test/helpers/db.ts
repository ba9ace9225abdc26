import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from '../../src/db/data-source';

export interface TestDatabase {
  url: string;
  db: DataSource;
  /** Closes the data source and drops the database. */
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.DURAFAX_TEST_PG_ADMIN_URL;
  if (!url) throw new Error('DURAFAX_TEST_PG_ADMIN_URL is not set: run tests through jest (global setup starts PostgreSQL)');
  return url;
}

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database of its own for one test file, on the run's PostgreSQL server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  const url = u.toString();
  await migrate(url);
  const db = createDataSource({ url, poolSize: 5, applicationName: 'durafax-test' });
  await db.initialize();
  return {
    url,
    db,
    drop: async () => {
      await db.destroy();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

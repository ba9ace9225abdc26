import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { DocumentRow } from './entities/document';
import { EmailOutboxRow } from './entities/email-outbox';
import { Fax } from './entities/fax';
import { FaxAttempt } from './entities/fax-attempt';
import { SupportActionRow, SupportLockoutRow, SupportLoginLinkRow, SupportSessionRow } from './entities/support';
import { WebhookEvent } from './entities/webhook-event';
import { Initial1732240000000 } from './migrations/1732240000000-initial';
import { SenderPages1796600000000 } from './migrations/1796600000000-sender-pages';
import { EmailOutbox1796700000000 } from './migrations/1796700000000-email-outbox';
import { Support1796800000000 } from './migrations/1796800000000-support';
import { FrontDoor1796900000000 } from './migrations/1796900000000-front-door';
import { Reconciliation1797000000000 } from './migrations/1797000000000-reconciliation';

export const ENTITIES = [Fax, FaxAttempt, DocumentRow, WebhookEvent, EmailOutboxRow, SupportSessionRow, SupportLockoutRow, SupportLoginLinkRow, SupportActionRow];
export const MIGRATIONS = [Initial1732240000000, SenderPages1796600000000, EmailOutbox1796700000000, Support1796800000000, FrontDoor1796900000000, Reconciliation1797000000000];

export interface DataSourceOptions {
  url: string;
  /** Connection pool size; the web and the worker each hold one pool. */
  poolSize?: number;
  applicationName?: string;
  /**
   * The longest wait for a connection from the pool, and for a statement (cancelled by the
   * server, or given up by the client when the server does not answer at all). Unset: 10 s
   * for a connection, statements unbounded (the worker's, whose activities have timeouts).
   */
  timeoutMs?: number;
}

/** A TypeORM data source for PostgreSQL. Schema changes come from migrations only. */
export function createDataSource(opts: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: opts.applicationName ?? 'durafax',
    extra: {
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: opts.timeoutMs ?? 10_000,
      ...(opts.timeoutMs ? { statement_timeout: opts.timeoutMs, query_timeout: opts.timeoutMs + 1_000 } : {}),
    },
  });
}

/** Opens the data source, runs pending migrations, returns the names applied. */
export async function migrate(url: string): Promise<string[]> {
  const ds = createDataSource({ url, poolSize: 1, applicationName: 'durafax-migrate' });
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}

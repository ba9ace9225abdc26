import type { ConnectionLike } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { loadTemporalConfig, type TemporalConfig } from '../config/config';
import { connectClient } from '../temporal/connection';
import { FAX_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

const { IndexedValueType } = temporal.api.enums.v1;

const INDEXED_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Double: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

const typeName = (type: number | null | undefined): string => Object.entries(INDEXED_TYPES).find(([, value]) => value === type)?.[0] ?? `type ${type}`;

/**
 * Temporal Cloud takes custom search attributes through its control plane (tcld or the Cloud
 * UI), not the OperatorService of a namespace's endpoint: an API key, or an endpoint under
 * tmprl.cloud, means Cloud.
 */
export function isTemporalCloud(config: TemporalConfig): boolean {
  return Boolean(config.apiKey) || /\.tmprl\.cloud(:\d+)?$/.test(config.address);
}

/** The tcld command that registers the fax search attributes on a Temporal Cloud namespace. */
export function tcldCommand(namespace: string): string {
  const flags = Object.entries(FAX_SEARCH_ATTRIBUTES).map(([name, type]) => ` \\\n    --search-attribute "${name}=${type}"`);
  return `tcld namespace search-attributes add --namespace ${namespace}${flags.join('')}`;
}

/**
 * Registers the fax search attributes on a namespace (OperatorService AddSearchAttributes).
 * Idempotent: attributes already registered with the right type are left alone. One with
 * another type is an error, and then nothing is added. Returns what it did, one line per
 * attribute.
 */
export async function registerSearchAttributes(connection: Pick<ConnectionLike, 'operatorService'>, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const existing = customAttributes ?? {};
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  const lines: string[] = [];
  const conflicts: string[] = [];
  for (const [name, type] of Object.entries(FAX_SEARCH_ATTRIBUTES)) {
    if (!(name in existing)) {
      missing[name] = INDEXED_TYPES[type];
      lines.push(`${name} (${type}): registered`);
    } else if (existing[name] === INDEXED_TYPES[type]) {
      lines.push(`${name} (${type}): already registered`);
    } else {
      conflicts.push(`${name} is registered as ${typeName(existing[name])}, but the fax workflow sets it as ${type}`);
    }
  }
  if (conflicts.length) {
    throw new Error(
      `namespace ${namespace} has search attributes of the wrong type:\n${conflicts.map((c) => `  - ${c}`).join('\n')}\n` +
        'Remove them (temporal operator search-attribute remove --name <name>) and run durafax temporal setup again.',
    );
  }
  if (Object.keys(missing).length) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return lines;
}

const USAGE = `Usage: durafax temporal setup

  Registers the search attributes the fax workflow sets (${Object.keys(FAX_SEARCH_ATTRIBUTES).join(', ')})
  on TEMPORAL_NAMESPACE at TEMPORAL_ADDRESS. For Temporal Cloud it prints the tcld command instead.
`;

/** `durafax temporal setup`: once per namespace, before the first worker of this version runs. */
export async function runTemporal(argv: string[]): Promise<void> {
  if (argv[0] !== 'setup') {
    process.stderr.write(argv[0] ? `unknown command "temporal ${argv[0]}"\n\n${USAGE}` : USAGE);
    process.exitCode = 2;
    return;
  }
  const config = loadTemporalConfig();
  if (isTemporalCloud(config)) {
    process.stdout.write(
      `Temporal Cloud registers search attributes through its control plane. Run this once (or add them in the Cloud UI):\n\n${tcldCommand(config.namespace)}\n`,
    );
    return;
  }
  const client = await connectClient(config);
  try {
    const lines = await registerSearchAttributes(client.connection, config.namespace);
    process.stdout.write(`Temporal at ${config.address}, namespace ${config.namespace}:\n${lines.map((l) => `  ${l}\n`).join('')}`);
  } finally {
    await client.connection.close();
  }
}

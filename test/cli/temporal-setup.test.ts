import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { isTemporalCloud, registerSearchAttributes, tcldCommand } from '../../src/cli/temporal-setup';
import { createLocalEnv } from '../helpers/temporal';

const { IndexedValueType } = temporal.api.enums.v1;
const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createLocalEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const customAttributes = async (namespace: string): Promise<Record<string, number>> =>
  (await env.connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};

test('durafax temporal setup registers the four fax search attributes once; a second run finds them', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'temporal', 'setup'], {
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default', TEMPORAL_API_KEY: '' },
  });
  expect(stdout).toContain('FaxStatus (Keyword): registered');
  expect(stdout).toContain('FaxPages (Int): registered');
  expect(await customAttributes('default')).toMatchObject({
    FaxStatus: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    FaxCountry: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    PaymentState: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    FaxPages: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  });
  expect(await registerSearchAttributes(env.connection, 'default')).toEqual([
    'FaxStatus (Keyword): already registered',
    'FaxCountry (Keyword): already registered',
    'PaymentState (Keyword): already registered',
    'FaxPages (Int): already registered',
  ]);
});

test('an attribute registered with another type is a clear error, and nothing is added', async () => {
  await env.connection.workflowService.registerNamespace({ namespace: 'wrong-types', workflowExecutionRetentionPeriod: msToTs('1 day') });
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'wrong-types',
    searchAttributes: { FaxPages: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
  });
  await expect(registerSearchAttributes(env.connection, 'wrong-types')).rejects.toThrow(
    /namespace wrong-types has search attributes of the wrong type:\n {2}- FaxPages is registered as Keyword, but the fax workflow sets it as Int/,
  );
  expect(Object.keys(await customAttributes('wrong-types'))).not.toContain('FaxStatus');
});

test('for Temporal Cloud it prints the tcld command instead of calling the namespace', async () => {
  expect(isTemporalCloud({ address: 'eu-west-1.aws.api.temporal.io:7233', namespace: 'fax.a1b2c', taskQueue: 'q', apiKey: 'key' })).toBe(true);
  expect(isTemporalCloud({ address: 'fax.a1b2c.tmprl.cloud:7233', namespace: 'fax.a1b2c', taskQueue: 'q' })).toBe(true);
  expect(isTemporalCloud({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'q' })).toBe(false);
  // Nothing listens at this address: the command must not try to connect.
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'temporal', 'setup'], {
    env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_NAMESPACE: 'fax.a1b2c', TEMPORAL_API_KEY: 'key' },
  });
  expect(stdout).toContain(tcldCommand('fax.a1b2c'));
  expect(tcldCommand('fax.a1b2c')).toBe(
    'tcld namespace search-attributes add --namespace fax.a1b2c \\\n' +
      '    --search-attribute "FaxStatus=Keyword" \\\n' +
      '    --search-attribute "FaxCountry=Keyword" \\\n' +
      '    --search-attribute "PaymentState=Keyword" \\\n' +
      '    --search-attribute "FaxPages=Int"',
  );
});

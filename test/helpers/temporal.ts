import fs from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';

/** The engine's launcher: what TestWorkflowEnvironment starts instead of a downloaded server. */
export const ENGINE_LAUNCHER = path.resolve(__dirname, '..', '..', 'bin', 'durafax-engine');

let runtimeInstalled = false;

/** Worker (sdk-core) logs at WARN, so workflow-task failures show up in test output. */
function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger((process.env.TEMPORAL_SDK_LOG as 'WARN' | undefined) ?? 'WARN') });
  } catch {
    // Another helper in this process installed it already.
  }
}

/**
 * The server binary to run: the engine by default; a real Temporal test server
 * (TEMPORAL_TEST_SERVER_PATH) or `temporal` CLI (TEMPORAL_CLI_PATH) when configured, so the
 * same tests run against real Temporal.
 */
function executable(kind: 'test-server' | 'cli'): string {
  const configured = kind === 'test-server' ? process.env.TEMPORAL_TEST_SERVER_PATH : process.env.TEMPORAL_CLI_PATH;
  if (configured) return configured;
  if (!fs.existsSync(path.resolve(__dirname, '..', '..', 'dist', 'engine', 'main.js'))) {
    throw new Error('the engine is not built: run `npm run build` (npm test builds first)');
  }
  return ENGINE_LAUNCHER;
}

export interface EnvOptions {
  /** Custom search attributes to register, name → type ('Keyword', 'Text', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList'). */
  searchAttributes?: Record<string, string>;
}

async function registerSearchAttributes(env: TestWorkflowEnvironment, attrs: Record<string, string> | undefined): Promise<void> {
  if (!attrs || !Object.keys(attrs).length) return;
  const types: Record<string, number> = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6, KeywordList: 7 };
  const searchAttributes: Record<string, number> = {};
  for (const [name, type] of Object.entries(attrs)) {
    if (!types[type]) throw new Error(`unknown search attribute type ${type} for ${name}`);
    searchAttributes[name] = types[type];
  }
  await env.connection.operatorService.addSearchAttributes({ namespace: env.namespace ?? 'default', searchAttributes });
}

/** A time-skipping environment (virtual clock, in memory) on the engine. */
export async function createTimeSkippingEnv(opts: EnvOptions = {}): Promise<TestWorkflowEnvironment> {
  installRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: executable('test-server') } },
  });
  await registerSearchAttributes(env, opts.searchAttributes);
  return env;
}

/** A dev-server environment (real time, in memory) on the engine, as `createLocal` starts `temporal server start-dev`. */
export async function createLocalEnv(opts: EnvOptions = {}): Promise<TestWorkflowEnvironment> {
  installRuntime();
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: executable('cli') } },
  });
  await registerSearchAttributes(env, opts.searchAttributes);
  return env;
}

import { ConfigError, loadConfig } from '../../src/config/config';

const base = { TEMPORAL_ADDRESS: '127.0.0.1:7233' };
const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig('ui', env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
};

test('the UI needs a Temporal frontend and no database; sandbox mode needs no token', () => {
  const config = loadConfig('ui', { ...base, DURAFAX_SANDBOX: '1' });
  expect(config.ui).toEqual({ host: '127.0.0.1', port: 8233, operatorToken: undefined });
  expect(problems({ DURAFAX_SANDBOX: '1' })).toEqual(['TEMPORAL_ADDRESS is required']);
});

test('outside sandbox mode the operator token is required, and must be long', () => {
  expect(problems(base)).toContain('UI_OPERATOR_TOKEN is required outside sandbox mode (the Temporal UI is for support only)');
  expect(problems({ ...base, UI_OPERATOR_TOKEN: 'short' })).toEqual(['UI_OPERATOR_TOKEN must be at least 32 characters']);
  const token = 'x'.repeat(40);
  expect(loadConfig('ui', { ...base, UI_OPERATOR_TOKEN: token, UI_HOST: '0.0.0.0', UI_PORT: '9000' }).ui).toEqual({ host: '0.0.0.0', port: 9000, operatorToken: token });
});

test('in sandbox mode, where it needs no login, the UI listens on loopback only', () => {
  expect(problems({ ...base, DURAFAX_SANDBOX: '1', UI_HOST: '0.0.0.0' })).toEqual(['UI_HOST must be a loopback address in sandbox mode, where the Temporal UI needs no login']);
});

/** The support user the shared stack is configured with (its SUPPORT_USERS), for the browser tests to sign in as. */
export const STACK_SUPPORT_USER = { name: 'agent', password: 'browser walk password' } as const;

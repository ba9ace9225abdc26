export * from './retries';
export * from './signals';
export * from './children';
export * from './durable';
export * from './updates';
export * from './attributes';
export * from './info';
export * from './limits';

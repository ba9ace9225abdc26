/** The embedded Temporal-compatible engine: see README.md in this folder. */
export { startEngine, type EngineOptions, type RunningEngine } from './server';

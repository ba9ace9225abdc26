/** The embedded Temporal-compatible engine: see README.md in this folder. */
export { startEngine, PortInUseError, type EngineOptions, type RunningEngine } from './server';
export { parseEngineArgs } from './cli-args';

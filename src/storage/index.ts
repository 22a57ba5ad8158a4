/**
 * Public surface of the storage layer. Why a barrel: services and the engine import the contract, errors
 * and path helpers from one place, and never reach into a driver folder (only main.ts wires concrete kinds,
 * through the registry).
 */
export type * from './driver.js';
export * from './errors.js';
export * from './paths.js';
export { DriverRegistry, builtinDriverRegistry, createDriver, driverKinds } from './registry.js';

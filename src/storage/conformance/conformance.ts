/**
 * The shared storage-driver conformance suite.
 *
 * Why one suite for every driver: the engine relies on the contract in driver.ts, not on a particular
 * backend; running the same behavioural checks against each driver (including the in-memory one used by
 * engine tests) is what makes drivers interchangeable. Cases skip ONLY on a declared capability, with the
 * reason written (`t.skip('driver does not declare rangeRead')`), never on the driver kind.
 *
 * Usage, in `<kind>/<kind>-driver.test.ts`:
 *   runConformance('posix', async () => ({ driver, cleanup }));
 * The factory is called once per case and must return a driver over fresh, empty storage.
 */
import { describe } from 'node:test';
import type { StorageDriver } from '../driver.js';
import { dataCases } from './data-cases.js';
import type { ConformanceContext, MakeDriver } from './helpers.js';
import { listChunkCases } from './list-chunk-cases.js';
import { namespaceCases } from './namespace-cases.js';
import { transferCases } from './transfer-cases.js';
import { batchTransferCases } from './batch-transfer-cases.js';
import { writerCases } from './writer-cases.js';

export type { DriverUnderTest, MakeDriver } from './helpers.js';

/** Register the conformance cases for one driver under `describe('storage conformance: <name>')`. */
export function runConformance(name: string, makeDriver: MakeDriver): void {
  const ctx: ConformanceContext = {
    async use(fn: (driver: StorageDriver) => Promise<void>): Promise<void> {
      const { driver, cleanup } = await makeDriver();
      try {
        await fn(driver);
      } finally {
        try {
          await driver.close();
        } finally {
          await cleanup();
        }
      }
    },
    usePair(fn) {
      return ctx.use((a) => ctx.use((b) => fn(a, b)));
    },
  };
  describe(`storage conformance: ${name}`, () => {
    writerCases(ctx);
    namespaceCases(ctx);
    listChunkCases(ctx);
    dataCases(ctx);
    transferCases(ctx);
    batchTransferCases(ctx);
  });
}

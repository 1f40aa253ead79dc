/** Random CDBs and parameter data never break a virtual device: every answer is GOOD or a sense condition. */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, parseSense, type Fixture } from "./test-support.ts";

let fx: Fixture;
beforeAll(async () => {
  fx = await fixture({
    libraries: [
      {
        name: "lib1",
        slots: 4,
        importExportSlots: 1,
        drives: [{ generation: 9, serial: "FZ90000001" }],
        cartridges: [{ barcode: "FZ0001L9", drive: 0 }, { barcode: "FZ0002L9", slot: 1 }, { barcode: "CLN001L1", slot: 2 }],
      },
    ],
    defaults: { capacityBytes: 16 * 1024 * 1024 },
    timing: { powerOnUnitAttention: false },
  });
});
afterAll(async () => {
  await fx.cleanup();
});

const OPCODES = [
  0x00, 0x01, 0x03, 0x04, 0x05, 0x07, 0x08, 0x0a, 0x10, 0x11, 0x12, 0x15, 0x16, 0x17, 0x19, 0x1a, 0x1b, 0x1d, 0x1e, 0x2b, 0x34, 0x37, 0x44,
  0x4c, 0x4d, 0x55, 0x5a, 0x8c, 0x8d, 0x91, 0x92, 0xa0, 0xa2, 0xa5, 0xb5, 0xb8,
];

const command = fc.record({
  opcode: fc.constantFrom(...OPCODES),
  rest: fc.uint8Array({ minLength: 0, maxLength: 15 }),
  direction: fc.constantFrom("none" as const, "in" as const, "out" as const),
  dataOut: fc.uint8Array({ maxLength: 96 }),
  dataInLength: fc.integer({ min: 0, max: 4096 }),
});

describe("robustness", () => {
  for (const id of ["lib1/drive0", "lib1/changer"]) {
    it(`${id} answers any CDB with GOOD or a well-formed sense, never an internal failure`, async () => {
      const device = fx.lib.device(id);
      await fc.assert(
        fc.asyncProperty(command, async (c) => {
          const cdb = Uint8Array.of(c.opcode, ...c.rest);
          // keep data transfers small: clamp READ/WRITE transfer lengths
          if ((c.opcode === 0x08 || c.opcode === 0x0a) && cdb.length >= 5) {
            cdb[2] = 0;
            cdb[3] = cdb[3]! & 0x0f;
          }
          if (c.opcode === 0x10 && cdb.length >= 5) {
            cdb[2] = 0;
            cdb[3] = 0;
          }
          const r = await device.execute({ cdb, direction: c.direction, dataOut: c.dataOut, dataInLength: c.dataInLength, timeoutMs: 1000 });
          expect([0, 2]).toContain(r.status);
          expect(r.data.length).toBeLessThanOrEqual(c.direction === "in" ? c.dataInLength : 0);
          if (r.status === 2) {
            const s = parseSense(r.sense);
            expect(s.key === 4 && s.asc === 0x44).toBe(false);
          }
          expect(device.lastInternalError).toBeUndefined();
        }),
        { seed: 20261126, numRuns: 1500 },
      );
    });
  }
});

import { afterEach, describe, expect, it } from "vitest";
import { DeviceService } from "../../src/core/device-service.ts";
import { conformanceSpec, DRIVE0_SERIAL, DRIVE1_SERIAL, LIB, sgIoTarget, type Target } from "./targets.ts";
import { describeConformance } from "./suite.ts";

describeConformance("SG_IO (koffi) through the forwarding library", sgIoTarget);

describe("SG_IO off the event loop", () => {
  let target: Target | undefined;
  afterEach(async () => {
    await target?.close();
    target = undefined;
  });

  it("answers the other drive and the changer while a throttled WRITE holds drive 0 in the ioctl", async () => {
    target = await sgIoTarget(conformanceSpec());
    const service = new DeviceService(target.source, { pollMs: 20 });
    await service.loadMedia({ changer: target.paths.changer, owner: "t", config: { exportSlots: [], ejectBeforeUnload: false }, driveNumber: 0, labelText: "TC0001L9", waitReady: true });
    target.library.setThrottle(`${LIB}/drive0`, 1024 * 1024); // 3 MiB take about 3 s
    let written = false;
    const write = service
      .withDrive(DRIVE0_SERIAL, { owner: "slow write" }, async (d) => {
        await d.rewind();
        await d.writeBlock(new Uint8Array(3 * 1024 * 1024));
      })
      .then(() => (written = true));
    await expect.poll(() => service.locks.holder(`drive ${DRIVE0_SERIAL}`)?.owner).toBe("slow write");
    const other = await service.driveStatus(DRIVE1_SERIAL);
    const changer = await service.changerStatus(target.paths.changer);
    expect({ written, other: other.serial, loaded: changer.status.drives[0]?.volumeTag }).toEqual({ written: false, other: DRIVE1_SERIAL, loaded: "TC0001L9" });
    await write;
    target.library.setThrottle(`${LIB}/drive0`, 0);
  });
});

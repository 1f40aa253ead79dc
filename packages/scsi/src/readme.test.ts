import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as scsi from "./index.ts";
import { hex } from "./testing/byte-builder.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README stays true", () => {
  it("every ScsiDevice method it lists exists", () => {
    const section = readme.slice(readme.indexOf("Methods:"), readme.indexOf("Timeouts ("));
    const names = [...section.matchAll(/`(\w+)(?:\(|`)/g)].map((m) => m[1] as string);
    expect(names.length).toBeGreaterThan(30);
    for (const n of names) expect(typeof (scsi.ScsiDevice.prototype as unknown as Record<string, unknown>)[n], n).toBe("function");
  });

  it("the documented CDB example holds", () => {
    expect(readme).toContain("`buildRead6Cdb({ length: 262144 })` is `08 02 04 00 00 00`");
    expect(hex(scsi.buildRead6Cdb({ length: 262144 }))).toBe("08 02 04 00 00 00");
  });

  it("the documented timeouts are the ones used", () => {
    const t = scsi.Timeouts;
    const fmt = (n: number) => n.toLocaleString("en").replace(/,/g, " ");
    for (const v of [t.TAPE_DEFAULT, t.SHORT, t.DEVICE_STATUS, t.QUERY, t.CHANGER, t.INITIALIZE_ELEMENT_STATUS]) expect(readme).toContain(fmt(v));
  });

  it("lists every error code and diagnostic kind", () => {
    const codes: scsi.ScsiErrorCode[] = ["NOT_READY", "UNIT_ATTENTION", "MEDIUM_ERROR", "HARDWARE_ERROR", "ILLEGAL_REQUEST", "DATA_PROTECT", "BLANK_CHECK", "VOLUME_OVERFLOW", "ABORTED_COMMAND", "SENSE", "TRANSPORT", "DECODE", "INVALID_ARGUMENT"];
    for (const c of codes) expect(readme).toContain(`\`${c}\``);
    for (const k of scsi.DIAG_KINDS) expect(readme).toContain(`\`${k}\``);
  });

  it("the ASC/ASCQ row count it gives is right", () => {
    expect(readme).toContain(`(the whole SPC table, ${scsi.ASC_ASCQ_TABLE.length} rows)`);
  });
});

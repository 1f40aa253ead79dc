/**
 * @tapefleet/scsi: pure SPC/SSC/SMC codecs (`buildXCdb(params)`, `decodeX(bytes)`,
 * `encodeX(params)`), spec tables, typed errors, and thin I/O glue over a ScsiTransport.
 */
export * from "./transport.ts";
export * from "./errors.ts";
export * from "./constants/opcodes.ts";
export * from "./constants/sense.ts";
export * from "./constants/asc-ascq-table.ts";
export * from "./constants/density.ts";
export * from "./constants/tape-alert.ts";
export * from "./constants/mam.ts";
export * from "./spc/sense-data.ts";
export * from "./spc/inquiry.ts";
export * from "./spc/mode.ts";
export * from "./spc/log.ts";
export * from "./spc/attribute.ts";
export * from "./ssc/position.ts";
export * from "./ssc/tape-commands.ts";
export * from "./ssc/encryption.ts";
export * from "./smc/element-status.ts";
export * from "./drive-status.ts";
export * from "./diag/hex-input.ts";
export * from "./diag/decode-diag.ts";
export * from "./io/scsi-device.ts";

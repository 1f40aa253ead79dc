/**
 * The virtual medium changer (SMC-3): element address assignment, READ ELEMENT STATUS with
 * volume tags and device identifiers, MOVE MEDIUM with the SMC error conditions,
 * INITIALIZE ELEMENT STATUS (WITH RANGE), mode pages 0x1D/0x1E/0x1F and LOG SENSE.
 */
import { concat } from "./bytes.ts";
import { VirtualDevice } from "./device.ts";
import { ElementMap, ElementType, TRANSPORT_ADDRESS, type ElementRef, type ElementTypeCode } from "./elements.ts";
import { inquiry, reportLuns } from "./inquiry.ts";
import { buildLogPage, logSenseHeaderCheck, supportedPagesPage, supportedSubpagesPage, tapeAlertPage2E } from "./log-pages.ts";
import { Asc, Opcode, PeripheralType, SenseKey } from "./scsi-codes.ts";
import { buildFixedSense, condition, invalidCdbField, invalidOpcode } from "./sense.ts";
import type { CartridgeRecord, DriveContent, ElementContent } from "./state.ts";
import type { DeviceInfo } from "./wire.ts";

/** What the changer needs from a drive it serves. */
export interface ChangerDrive {
  readonly info: DeviceInfo;
  readonly content: DriveContent | null;
  /** The cartridge may be taken out (ejected, or the drive ejects it itself). */
  readonly ejected: boolean;
  readonly cleaning: boolean;
  readonly faults: { offline: boolean; hardwareError: boolean };
  insertCartridge(record: CartridgeRecord, source: number | null): Promise<void>;
  /** Unload and take the cartridge out; returns its barcode. */
  removeCartridge(): Promise<string>;
}

export interface ChangerHost {
  cartridge(barcode: string): CartridgeRecord | undefined;
  persist(): Promise<void>;
}

export interface ChangerOptions {
  libraryName: string;
  vendor: string;
  product: string;
  revision: string;
  serial: string;
  requireEjectBeforeUnload: boolean;
  storage: (ElementContent | null)[];
  importExport: (ElementContent | null)[];
  drives: ChangerDrive[];
}

/** Changer TapeAlert flag 01h, library hardware A (SMC-3 TapeAlert for media changers). */
const CHANGER_ALERT_LIBRARY_HARDWARE_A = 0x01;
/** Volume tag field length (SMC-3 6.13: 32-byte identifier, 2 reserved, 2-byte sequence). */
const VOLTAG_LENGTH = 36;
/** DVCID identifier: T10 vendor id (8) + product (16) + serial (10). */
const DVCID_IDENTIFIER_LENGTH = 34;
/** SMC-3 medium type codes in element descriptor byte 9. */
const MEDIUM_TYPE = { data: 1, cleaning: 2, worm: 4 } as const;

export class VirtualChanger extends VirtualDevice {
  readonly info: DeviceInfo;
  readonly map: ElementMap;
  readonly storage: (ElementContent | null)[];
  readonly importExport: (ElementContent | null)[];
  readonly drives: ChangerDrive[];
  readonly requireEjectBeforeUnload: boolean;
  jammed = false;
  /** Changer TapeAlert flags (SMC-3 annex: flag n is bit n-1). */
  tapeAlerts = 0n;
  /** PREVENT ALLOW MEDIUM REMOVAL state: operators may not open the import/export station. */
  preventRemoval = false;

  constructor(
    private readonly host: ChangerHost,
    o: ChangerOptions,
  ) {
    super();
    this.info = { id: `${o.libraryName}/changer`, type: "changer", vendor: o.vendor, product: o.product, revision: o.revision, serial: o.serial };
    this.storage = o.storage;
    this.importExport = o.importExport;
    this.drives = o.drives;
    this.requireEjectBeforeUnload = o.requireEjectBeforeUnload;
    this.map = new ElementMap(o.storage.length, o.importExport.length, o.drives.length);
  }

  protected async dispatch(cdb: Uint8Array, dataOut: Uint8Array): Promise<Uint8Array | void> {
    const op = cdb[0]!;
    switch (op) {
      case Opcode.TEST_UNIT_READY:
        return;
      case Opcode.INQUIRY:
        return inquiry(cdb, { peripheralType: PeripheralType.MEDIUM_CHANGER, removable: false, ...this.info });
      case Opcode.REPORT_LUNS:
        return reportLuns(cdb);
      case Opcode.REQUEST_SENSE:
        return this.requestSense(cdb);
      case Opcode.MODE_SENSE_6:
      case Opcode.MODE_SENSE_10:
        return this.modeSense(cdb);
      case Opcode.MODE_SELECT_6:
      case Opcode.MODE_SELECT_10:
        return this.modeSelect(cdb, dataOut);
      case Opcode.READ_ELEMENT_STATUS:
        return this.readElementStatus(cdb);
      case Opcode.MOVE_MEDIUM:
        return this.moveMedium(cdb);
      case Opcode.INITIALIZE_ELEMENT_STATUS:
        if (cdb.length < 6) throw invalidCdbField(0);
        this.checkJam();
        return;
      case Opcode.INITIALIZE_ELEMENT_STATUS_WITH_RANGE:
        return this.initializeWithRange(cdb);
      case Opcode.POSITION_TO_ELEMENT:
        return this.positionToElement(cdb);
      case Opcode.PREVENT_ALLOW_MEDIUM_REMOVAL:
        if (cdb.length < 6) throw invalidCdbField(0);
        this.preventRemoval = (cdb[4]! & 0x03) !== 0;
        return;
      case Opcode.LOG_SENSE:
        return this.logSense(cdb);
      case Opcode.RESERVE_6:
      case Opcode.RELEASE_6:
      case Opcode.RESERVE_10:
      case Opcode.RELEASE_10:
        return;
      default:
        throw invalidOpcode();
    }
  }

  private requestSense(cdb: Uint8Array): Uint8Array {
    if (cdb.length < 6) throw invalidCdbField(0);
    if (cdb[1]! & 0x01) throw invalidCdbField(1, 0); // descriptor format not supported
    const ua = this.unitAttentions.shift();
    const sense = ua
      ? buildFixedSense({ key: SenseKey.UNIT_ATTENTION, code: ua })
      : buildFixedSense({ key: SenseKey.NO_SENSE, code: Asc.NO_ADDITIONAL_SENSE });
    return sense.subarray(0, cdb[4]!);
  }

  private checkJam(): void {
    if (this.jammed) {
      this.tapeAlerts |= 1n << BigInt(CHANGER_ALERT_LIBRARY_HARDWARE_A - 1);
      throw condition(SenseKey.HARDWARE_ERROR, Asc.MECHANICAL_POSITIONING_ERROR);
    }
  }

  // ---- mode pages (SMC-3 7.3) ----

  /** Element Address Assignment page 0x1D (SMC-3 7.3.4). */
  private page1D(changeable: boolean): Uint8Array {
    const b = new Uint8Array(20);
    b[0] = 0x1d;
    b[1] = 0x12;
    if (changeable) return b;
    const v = new DataView(b.buffer);
    v.setUint16(2, TRANSPORT_ADDRESS);
    v.setUint16(4, 1);
    v.setUint16(6, this.map.address(2, 0));
    v.setUint16(8, this.map.storageCount);
    v.setUint16(10, this.map.address(3, 0));
    v.setUint16(12, this.map.ieCount);
    v.setUint16(14, this.map.address(4, 0));
    v.setUint16(16, this.map.driveCount);
    return b;
  }

  /** Transport Geometry Parameters page 0x1E (SMC-3 7.3.6): one transport, no rotation. */
  private page1E(): Uint8Array {
    return Uint8Array.of(0x1e, 0x02, 0x00, 0x00);
  }

  /** Device Capabilities page 0x1F (SMC-3 7.3.3). */
  private page1F(changeable: boolean): Uint8Array {
    const b = new Uint8Array(20);
    b[0] = 0x1f;
    b[1] = 0x12;
    if (changeable) return b;
    b[2] = 0x0e; // StorDT, StorI/E, StorST (medium may be stored in these)
    // MOVE MEDIUM capabilities: bits DT(3) I/E(2) ST(1) MT(0) for each source type
    b[4] = 0x0e; // from MT
    b[5] = 0x0e; // from ST
    b[6] = 0x0e; // from I/E
    b[7] = 0x0e; // from DT
    return b;
  }

  private modeSense(cdb: Uint8Array): Uint8Array {
    const ten = cdb[0] === Opcode.MODE_SENSE_10;
    if (cdb.length < (ten ? 10 : 6)) throw invalidCdbField(0);
    const pc = cdb[2]! >> 6;
    const page = cdb[2]! & 0x3f;
    const subpage = cdb[3]!;
    const alloc = ten ? (cdb[7]! << 8) | cdb[8]! : cdb[4]!;
    if (pc === 3) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.SAVING_PARAMETERS_NOT_SUPPORTED, { field: { inCdb: true, byte: 2, bit: 7 } });
    if (subpage !== 0 && !(page === 0x3f && subpage === 0xff)) throw invalidCdbField(3);
    const changeable = pc === 1;
    let pages: Uint8Array[];
    switch (page) {
      case 0x1d:
        pages = [this.page1D(changeable)];
        break;
      case 0x1e:
        pages = [this.page1E()];
        break;
      case 0x1f:
        pages = [this.page1F(changeable)];
        break;
      case 0x3f:
        pages = [this.page1D(changeable), this.page1E(), this.page1F(changeable)];
        break;
      default:
        throw invalidCdbField(2);
    }
    const body = concat(pages);
    const headerLen = ten ? 8 : 4;
    const out = new Uint8Array(headerLen + body.length);
    if (ten) new DataView(out.buffer).setUint16(0, out.length - 2);
    else out[0] = out.length - 1;
    out.set(body, headerLen);
    return out.subarray(0, alloc);
  }

  private modeSelect(cdb: Uint8Array, data: Uint8Array): void {
    const ten = cdb[0] === Opcode.MODE_SELECT_10;
    if (cdb.length < (ten ? 10 : 6)) throw invalidCdbField(0);
    const len = ten ? (cdb[7]! << 8) | cdb[8]! : cdb[4]!;
    if (data.length < len) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.PARAMETER_LIST_LENGTH_ERROR);
    // no changeable changer parameters: accept a header-only list, refuse pages
    const headerLen = ten ? 8 : 4;
    if (len > headerLen) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.INVALID_FIELD_IN_PARAMETER_LIST, { field: { inCdb: false, byte: headerLen } });
  }

  private logSense(cdb: Uint8Array): Uint8Array {
    const { page, alloc } = logSenseHeaderCheck(cdb);
    let out: Uint8Array;
    if (page === 0x00) out = supportedPagesPage([0x00, 0x2e]);
    else if (page === 0x100) out = supportedSubpagesPage([0x00, 0x2e]);
    else if (page === 0x2e) {
      out = buildLogPage(0x2e, tapeAlertPage2E(this.tapeAlerts));
      this.tapeAlerts = 0n; // reading the TapeAlert page clears it
    }
    else throw invalidCdbField(2);
    return out.subarray(0, alloc);
  }

  // ---- element status (SMC-3 6.10) ----

  private content(ref: ElementRef): { barcode: string; source: number | null } | null {
    switch (ref.type) {
      case 1:
        return null;
      case 2:
        return this.storage[ref.index] ?? null;
      case 3:
        return this.importExport[ref.index] ?? null;
      case 4: {
        const c = this.drives[ref.index]!.content;
        return c ? { barcode: c.barcode, source: c.source } : null;
      }
    }
  }

  private descriptor(ref: ElementRef, voltag: boolean, dvcid: boolean): Uint8Array {
    const len = descriptorLength(ref.type, voltag, dvcid);
    const b = new Uint8Array(len);
    const v = new DataView(b.buffer);
    const c = this.content(ref);
    v.setUint16(0, ref.address);
    let flags = c ? 0x01 : 0x00;
    switch (ref.type) {
      case 2:
        flags |= 0x08; // Access
        break;
      case 3: {
        const ie = this.importExport[ref.index];
        flags |= 0x20 | 0x10 | 0x08; // InEnab, ExEnab, Access
        if (ie?.imported) flags |= 0x02; // ImpExp: placed by an operator
        break;
      }
      case 4: {
        const d = this.drives[ref.index]!;
        if (!c || d.ejected || !this.requireEjectBeforeUnload) flags |= 0x08; // Access
        if (d.faults.hardwareError || d.faults.offline) {
          flags |= 0x04; // Except
          b[4] = Asc.INTERNAL_TARGET_FAILURE.asc;
          b[5] = Asc.INTERNAL_TARGET_FAILURE.ascq;
        }
        break;
      }
    }
    b[2] = flags;
    if (c) {
      const rec = this.host.cartridge(c.barcode);
      let byte9 = rec ? MEDIUM_TYPE[rec.kind] : 0;
      if (c.source !== null) {
        byte9 |= 0x80; // SValid
        v.setUint16(10, c.source);
      }
      b[9] = byte9;
    }
    let o = 12;
    if (voltag) {
      if (c) b.set(asciiPad(c.barcode, 32), o);
      o += VOLTAG_LENGTH;
    }
    if (dvcid) {
      if (ref.type === 4) {
        const info = this.drives[ref.index]!.info;
        b[o] = 0x02; // code set: ASCII
        b[o + 1] = 0x01; // identifier type: T10 vendor id
        b[o + 3] = DVCID_IDENTIFIER_LENGTH;
        b.set(asciiPad(info.vendor, 8), o + 4);
        b.set(asciiPad(info.product, 16), o + 12);
        b.set(asciiPad(info.serial, 10), o + 28);
      }
    }
    return b;
  }

  private readElementStatus(cdb: Uint8Array): Uint8Array {
    if (cdb.length < 12) throw invalidCdbField(0);
    const voltag = (cdb[1]! & 0x10) !== 0;
    const typeCode = cdb[1]! & 0x0f;
    if (typeCode > ElementType.DATA_TRANSFER) throw invalidCdbField(1, 0);
    const start = (cdb[2]! << 8) | cdb[3]!;
    const count = (cdb[4]! << 8) | cdb[5]!;
    const dvcid = (cdb[6]! & 0x01) !== 0;
    const alloc = (cdb[7]! << 16) | (cdb[8]! << 8) | cdb[9]!;
    const selected = this.map
      .all()
      .filter((e) => (typeCode === 0 || e.type === typeCode) && e.address >= start)
      .slice(0, count);
    if (typeCode !== 0 && start !== 0 && !this.map.resolve(start) && selected.length === 0) {
      throw condition(SenseKey.ILLEGAL_REQUEST, Asc.INVALID_ELEMENT_ADDRESS, { field: { inCdb: true, byte: 2 } });
    }
    // group consecutive elements of one type into element status pages
    const pages: Uint8Array[] = [];
    let i = 0;
    while (i < selected.length) {
      const type = selected[i]!.type;
      const group: ElementRef[] = [];
      while (i < selected.length && selected[i]!.type === type) group.push(selected[i++]!);
      const descLen = descriptorLength(type, voltag, dvcid);
      const page = new Uint8Array(8 + descLen * group.length);
      const pv = new DataView(page.buffer);
      page[0] = type;
      page[1] = voltag ? 0x80 : 0x00; // PVolTag
      pv.setUint16(2, descLen);
      pv.setUint32(4, descLen * group.length); // byte 4 reserved, bytes 5..7 byte count
      group.forEach((e, k) => page.set(this.descriptor(e, voltag, dvcid), 8 + k * descLen));
      pages.push(page);
    }
    const body = concat(pages);
    const out = new Uint8Array(8 + body.length);
    const ov = new DataView(out.buffer);
    ov.setUint16(0, selected[0]?.address ?? 0);
    ov.setUint16(2, selected.length);
    ov.setUint32(4, body.length); // byte 4 reserved, bytes 5..7 byte count of report available
    out.set(body, 8);
    return out.subarray(0, alloc);
  }

  // ---- MOVE MEDIUM (SMC-3 6.6) ----

  private element(address: number, byte: number): ElementRef {
    const ref = this.map.resolve(address);
    if (!ref || ref.type === ElementType.TRANSPORT) {
      throw condition(SenseKey.ILLEGAL_REQUEST, Asc.INVALID_ELEMENT_ADDRESS, { field: { inCdb: true, byte } });
    }
    return ref;
  }

  private async moveMedium(cdb: Uint8Array): Promise<void> {
    if (cdb.length < 12) throw invalidCdbField(0);
    const v = new DataView(cdb.buffer, cdb.byteOffset, cdb.byteLength);
    const transport = v.getUint16(2);
    if (transport !== 0 && transport !== TRANSPORT_ADDRESS) {
      throw condition(SenseKey.ILLEGAL_REQUEST, Asc.INVALID_ELEMENT_ADDRESS, { field: { inCdb: true, byte: 2 } });
    }
    if (cdb[10]! & 0x01) throw invalidCdbField(10, 0); // INVERT: single-sided media
    const src = this.element(v.getUint16(4), 4);
    const dst = this.element(v.getUint16(6), 6);
    const moving = this.content(src);
    if (!moving) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.MEDIUM_SOURCE_ELEMENT_EMPTY);
    if (src.address === dst.address) return;
    if (this.content(dst)) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.MEDIUM_DESTINATION_ELEMENT_FULL);
    if (src.type === ElementType.DATA_TRANSFER) {
      const d = this.drives[src.index]!;
      if (d.cleaning || (this.requireEjectBeforeUnload && !d.ejected)) {
        throw condition(SenseKey.ILLEGAL_REQUEST, Asc.MEDIUM_REMOVAL_PREVENTED_BY_DATA_TRANSFER_ELEMENT);
      }
    }
    this.checkJam();
    // take out of the source
    let barcode: string;
    let origin: number | null;
    if (src.type === ElementType.DATA_TRANSFER) {
      origin = src.address;
      barcode = await this.drives[src.index]!.removeCartridge();
    } else {
      barcode = moving.barcode;
      origin = src.address;
      this.setSlot(src, null);
    }
    // put into the destination
    if (dst.type === ElementType.DATA_TRANSFER) {
      const record = this.host.cartridge(barcode)!;
      // a drive remembers the storage element the cartridge came from
      await this.drives[dst.index]!.insertCartridge(record, src.type === ElementType.DATA_TRANSFER ? moving.source : origin);
    } else {
      this.setSlot(dst, { barcode, source: origin, imported: false });
    }
    await this.host.persist();
  }

  private setSlot(ref: ElementRef, c: ElementContent | null): void {
    if (ref.type === ElementType.STORAGE) this.storage[ref.index] = c;
    else if (ref.type === ElementType.IMPORT_EXPORT) this.importExport[ref.index] = c;
  }

  private initializeWithRange(cdb: Uint8Array): void {
    if (cdb.length < 10) throw invalidCdbField(0);
    if (cdb[1]! & 0x01) {
      const start = (cdb[2]! << 8) | cdb[3]!;
      if (!this.map.resolve(start)) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.INVALID_ELEMENT_ADDRESS, { field: { inCdb: true, byte: 2 } });
    }
    this.checkJam();
  }

  private positionToElement(cdb: Uint8Array): void {
    if (cdb.length < 10) throw invalidCdbField(0);
    const transport = (cdb[2]! << 8) | cdb[3]!;
    if (transport !== 0 && transport !== TRANSPORT_ADDRESS) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.INVALID_ELEMENT_ADDRESS, { field: { inCdb: true, byte: 2 } });
    this.element((cdb[4]! << 8) | cdb[5]!, 4);
    this.checkJam();
  }
}

function descriptorLength(type: ElementTypeCode, voltag: boolean, dvcid: boolean): number {
  return 12 + (voltag ? VOLTAG_LENGTH : 0) + (dvcid ? 4 + (type === ElementType.DATA_TRANSFER ? DVCID_IDENTIFIER_LENGTH : 0) : 0);
}

function asciiPad(s: string, len: number): Uint8Array {
  const out = new Uint8Array(len).fill(0x20);
  for (let i = 0; i < Math.min(len, s.length); i++) out[i] = s.charCodeAt(i) & 0x7f;
  return out;
}

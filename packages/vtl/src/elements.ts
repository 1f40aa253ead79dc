/**
 * Element address assignment of a virtual changer (SMC-3 6.3.2): one transport, then
 * import/export, data transfer and storage elements in separate address ranges.
 */

export const ElementType = {
  ALL: 0,
  TRANSPORT: 1,
  STORAGE: 2,
  IMPORT_EXPORT: 3,
  DATA_TRANSFER: 4,
} as const;

export type ElementTypeCode = 1 | 2 | 3 | 4;

export const TRANSPORT_ADDRESS = 0x0001;
export const FIRST_IE_ADDRESS = 0x0010;
export const FIRST_DRIVE_ADDRESS = 0x0100;
export const FIRST_STORAGE_ADDRESS = 0x1000;

export interface ElementRef {
  type: ElementTypeCode;
  /** 0-based index within its type. */
  index: number;
  address: number;
}

export class ElementMap {
  constructor(
    readonly storageCount: number,
    readonly ieCount: number,
    readonly driveCount: number,
  ) {}

  resolve(address: number): ElementRef | undefined {
    if (address === TRANSPORT_ADDRESS) return { type: 1, index: 0, address };
    if (address >= FIRST_IE_ADDRESS && address < FIRST_IE_ADDRESS + this.ieCount) return { type: 3, index: address - FIRST_IE_ADDRESS, address };
    if (address >= FIRST_DRIVE_ADDRESS && address < FIRST_DRIVE_ADDRESS + this.driveCount) return { type: 4, index: address - FIRST_DRIVE_ADDRESS, address };
    if (address >= FIRST_STORAGE_ADDRESS && address < FIRST_STORAGE_ADDRESS + this.storageCount) return { type: 2, index: address - FIRST_STORAGE_ADDRESS, address };
    return undefined;
  }

  address(type: ElementTypeCode, index: number): number {
    switch (type) {
      case 1:
        return TRANSPORT_ADDRESS;
      case 2:
        return FIRST_STORAGE_ADDRESS + index;
      case 3:
        return FIRST_IE_ADDRESS + index;
      case 4:
        return FIRST_DRIVE_ADDRESS + index;
    }
  }

  /** Every element in ascending address order. */
  all(): ElementRef[] {
    const out: ElementRef[] = [{ type: 1, index: 0, address: TRANSPORT_ADDRESS }];
    for (let i = 0; i < this.ieCount; i++) out.push({ type: 3, index: i, address: FIRST_IE_ADDRESS + i });
    for (let i = 0; i < this.driveCount; i++) out.push({ type: 4, index: i, address: FIRST_DRIVE_ADDRESS + i });
    for (let i = 0; i < this.storageCount; i++) out.push({ type: 2, index: i, address: FIRST_STORAGE_ADDRESS + i });
    return out;
  }
}

import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { block, Cdb, Dev, fixture, kcq, singleDriveSpec, type Fixture } from "./test-support.ts";

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

function setEncryption(enc: number, dec: number, key: Buffer | null): Buffer {
  const keyLen = key ? key.length : 0;
  const p = Buffer.alloc(20 + keyLen);
  p.writeUInt16BE(0x0010, 0);
  p.writeUInt16BE(p.length - 4, 2);
  p[4] = 0x40; // scope: all I_T nexus
  p[6] = enc;
  p[7] = dec;
  p[8] = key ? 1 : 0;
  p.writeUInt16BE(keyLen, 18);
  if (key) key.copy(p, 20);
  return p;
}

async function spout(d: Dev, enc: number, dec: number, key: Buffer | null) {
  const p = setEncryption(enc, dec, key);
  return d.run(Cdb.spout(p.length), { out: p });
}

async function drive() {
  fx = await fixture(singleDriveSpec());
  const d = fx.dev("tape0");
  await d.clearUnitAttention();
  return d;
}

describe("tape data encryption", () => {
  it("advertises AES-GCM-256 and the supported pages", async () => {
    const d = await drive();
    const protos = await d.ok(Cdb.spin(0x00, 0x0000), { inLen: 64 });
    expect([...protos.subarray(8, 8 + protos.readUInt16BE(6))]).toEqual([0x00, 0x20]);
    const pages = await d.ok(Cdb.spin(0x20, 0x0000), { inLen: 64 });
    expect(pages.readUInt16BE(0)).toBe(0);
    expect(pages.readUInt16BE(2)).toBe(12);
    const caps = await d.ok(Cdb.spin(0x20, 0x0010), { inLen: 8192 });
    expect(caps.readUInt16BE(0)).toBe(0x0010);
    expect(caps.readUInt16BE(2)).toBe(caps.length - 4);
    const desc = caps.subarray(20);
    expect(desc[0]).toBe(1);
    expect(desc.readUInt16BE(2)).toBe(0x14);
    expect(desc[4]! & 0x03).toBe(2); // ENCRYPT_C
    expect((desc[4]! >> 2) & 0x03).toBe(2); // DECRYPT_C
    expect(desc.readUInt16BE(10)).toBe(32);
    expect(desc.readUInt32BE(20)).toBe(0x00010014);
  });

  it("stores encrypted blocks, reads them with the key, refuses without it or with a wrong one", async () => {
    const d = await drive();
    const key = randomBytes(32);
    await d.write(block(0)); // plain label block
    expect(kcq(await spout(d, 2, 3, key))).toBe("GOOD");
    const st = await d.ok(Cdb.spin(0x20, 0x0020), { inLen: 64 });
    expect([st.readUInt16BE(0), st[5], st[6], st[7]]).toEqual([0x0020, 2, 3, 1]);
    const secret = randomBytes(4096);
    await d.write(secret);
    await d.ok(Cdb.wfm(0));
    // the tape image does not contain the plaintext
    const image = await readFile(join(fx!.dir, "cartridges", "T00001L9.data"));
    expect(image.includes(secret.subarray(4, 64))).toBe(false);
    expect(image.includes(block(0).subarray(4, 64))).toBe(true);
    // mixed mode reads both
    await d.ok(Cdb.rewind());
    const nb0 = await d.ok(Cdb.spin(0x20, 0x0021), { inLen: 64 });
    expect(nb0[12]! & 0x0f).toBe(2); // not encrypted
    expect(Buffer.from((await d.read(1024)).data).equals(block(0))).toBe(true);
    const nb1 = await d.ok(Cdb.spin(0x20, 0x0021), { inLen: 64 });
    expect(Number(nb1.readBigUInt64BE(4))).toBe(1);
    expect(nb1[12]! & 0x0f).toBe(5); // encrypted, key available
    expect(Buffer.from((await d.read(4096)).data).equals(secret)).toBe(true);
    // no key
    await spout(d, 0, 0, null);
    await d.ok(Cdb.locate10(1));
    expect(kcq(await d.read(4096))).toBe("7/74/01");
    // wrong key
    await spout(d, 0, 3, randomBytes(32));
    await d.ok(Cdb.locate10(1));
    const nbw = await d.ok(Cdb.spin(0x20, 0x0021), { inLen: 64 });
    expect(nbw[12]! & 0x0f).toBe(6);
    expect(kcq(await d.read(4096))).toBe("7/74/03");
    // decrypt-only mode refuses plain blocks
    await spout(d, 0, 2, key);
    await d.ok(Cdb.rewind());
    expect(kcq(await d.read(1024))).toBe("7/74/02");
    expect(Buffer.from((await d.read(4096)).data).equals(secret)).toBe(true);
  });

  it("validates the Set Data Encryption page", async () => {
    const d = await drive();
    expect(kcq(await spout(d, 2, 3, randomBytes(16)))).toBe("5/26/00");
    expect(kcq(await spout(d, 1, 0, null))).toBe("5/26/00");
    expect(kcq(await spout(d, 0, 0, randomBytes(32)))).toBe("5/26/00");
    expect(kcq(await d.run(Cdb.spin(0x20, 0x0099), { inLen: 64 }))).toBe("5/24/00");
    expect(kcq(await d.run(Cdb.spin(0x30, 0x0000), { inLen: 64 }))).toBe("5/24/00");
  });
});

describe("medium auxiliary memory", () => {
  function attrs(b: Buffer): Map<number, { ro: boolean; format: number; value: Buffer }> {
    const out = new Map<number, { ro: boolean; format: number; value: Buffer }>();
    const end = 4 + b.readUInt32BE(0);
    for (let o = 4; o < end; ) {
      const len = b.readUInt16BE(o + 3);
      out.set(b.readUInt16BE(o), { ro: (b[o + 2]! & 0x80) !== 0, format: b[o + 2]! & 3, value: b.subarray(o + 5, o + 5 + len) });
      o += 5 + len;
    }
    return out;
  }

  it("reports manufacturer, serial, barcode, medium type, density, load count and MB written", async () => {
    const d = await drive();
    await d.write(Buffer.alloc(3 * 1024 * 1024));
    await d.ok(Cdb.wfm(0));
    const a = attrs(await d.ok(Cdb.readAttribute(), { inLen: 32768 }));
    expect(a.get(0x0400)!.value.toString()).toBe("FUJIFILM");
    expect(a.get(0x0401)!.value.toString().trim()).toBe(fx!.lib.cartridge("T00001L9").serial);
    expect(a.get(0x0806)!.value.toString().trim()).toBe("T00001L9");
    expect(a.get(0x0408)!.value[0]).toBe(0x00);
    expect(a.get(0x0405)!.value[0]).toBe(0x60);
    expect(a.get(0x0006)!.value[0]).toBe(0x60);
    expect(Number(a.get(0x0003)!.value.readBigUInt64BE(0))).toBe(1);
    expect(Number(a.get(0x0220)!.value.readBigUInt64BE(0))).toBe(3);
    expect(a.get(0x0400)!.ro).toBe(true);
    expect(a.get(0x0806)!.ro).toBe(false);
    // first attribute id filters
    const from = attrs(await d.ok(Cdb.readAttribute(0, 0x0800), { inLen: 32768 }));
    expect([...from.keys()].every((id) => id >= 0x0800)).toBe(true);
    // supported attribute list
    const sup = await d.ok(Cdb.readAttribute(5), { inLen: 32768 });
    const ids: number[] = [];
    for (let o = 4; o < 4 + sup.readUInt32BE(0); o += 2) ids.push(sup.readUInt16BE(o));
    expect(ids).toContain(0x0808);
    expect(kcq(await d.run(Cdb.readAttribute(0x1f), { inLen: 32768 }))).toBe("5/24/00");
  });

  it("writes application attributes 0x0800..0x0808, refuses read-only ones, persists", async () => {
    const d = await drive();
    const list = (entries: [number, number, Buffer][]) => {
      const body = Buffer.concat(entries.map(([id, fmt, v]) => Buffer.concat([Buffer.from([id >> 8, id & 0xff, fmt, v.length >> 8, v.length & 0xff]), v])));
      const out = Buffer.alloc(4);
      out.writeUInt32BE(body.length);
      return Buffer.concat([out, body]);
    };
    const w = list([
      [0x0800, 1, Buffer.from("Proxmox\0")],
      [0x0808, 2, Buffer.from("pool-a")],
    ]);
    await d.ok(Cdb.writeAttribute(w.length), { out: w });
    const a = attrs(await d.ok(Cdb.readAttribute(0, 0x0800), { inLen: 32768 }));
    expect(a.get(0x0800)!.value.toString()).toBe("Proxmox\0");
    expect(a.get(0x0808)!.value.length).toBe(160);
    expect(a.get(0x0808)!.value.subarray(0, 6).toString()).toBe("pool-a");
    const ro = list([[0x0400, 1, Buffer.from("ACME    ")]]);
    expect(kcq(await d.run(Cdb.writeAttribute(ro.length), { out: ro }))).toBe("5/26/00");
    const tooLong = list([[0x0800, 1, Buffer.alloc(9, 0x41)]]);
    expect(kcq(await d.run(Cdb.writeAttribute(tooLong.length), { out: tooLong }))).toBe("5/26/00");
    const clear = list([[0x0808, 2, Buffer.alloc(0)]]);
    await d.ok(Cdb.writeAttribute(clear.length), { out: clear });
    expect(attrs(await d.ok(Cdb.readAttribute(0, 0x0800), { inLen: 32768 })).has(0x0808)).toBe(false);
    expect(fx!.lib.cartridge("T00001L9").attributes["0800"]).toBeDefined();
  });
});

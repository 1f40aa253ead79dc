#!/usr/bin/env -S npx tsx
/**
 * Development tool for PBS datastores:
 *   datastore.ts sample DIR --size 2GiB [--seed N]
 *   datastore.ts ls DIR
 *   datastore.ts verify DIR
 */
import {
  createSampleDatastore,
  formatByteSize,
  formatNamespace,
  formatSnapshotTime,
  isDatastoreError,
  openDatastore,
  parseByteSize,
  verifyDatastore,
} from "@tapefleet/datastore";

const USAGE = `usage:
  datastore.ts sample DIR --size SIZE [--seed N]   create a sample datastore (SIZE like 64MiB, 2GiB)
  datastore.ts ls DIR                              list namespaces, groups and snapshots
  datastore.ts verify DIR                          verify every chunk's digest and referenced chunks`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined) throw new Error(`${name} needs a value`);
  return v;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, dir, ...rest] = argv;
  if (!cmd || !dir || cmd === "--help" || cmd === "-h") {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  switch (cmd) {
    case "sample": {
      const sizeText = option(rest, "--size");
      if (!sizeText) throw new Error("sample needs --size");
      const size = parseByteSize(sizeText);
      const seed = Number(option(rest, "--seed") ?? "1");
      if (!Number.isInteger(seed) || seed < 0) throw new Error("--seed must be a non-negative integer");
      let last = 0;
      const r = await createSampleDatastore(dir, {
        size,
        seed,
        onProgress: (n) => {
          if (process.stderr.isTTY && n - last > 64 * 1024 * 1024) {
            last = n;
            process.stderr.write(`\r${formatByteSize(n)} of chunks`);
          }
        },
      });
      if (process.stderr.isTTY) process.stderr.write("\n");
      const secs = r.elapsedMs / 1000;
      console.log(`datastore ${dir}: ${r.namespaces} namespaces, ${r.groups} groups, ${r.snapshots} finished snapshots`);
      console.log(`chunks: ${r.chunks} files, ${formatByteSize(r.chunkBytes)} stored (${formatByteSize(r.uniquePlainBytes)} plain), chunk size ${formatByteSize(r.chunkSize)}`);
      console.log(`references: ${r.chunkRefs} chunk references over ${formatByteSize(r.logicalBytes)} of archives (dedup ${(r.logicalBytes / r.uniquePlainBytes).toFixed(2)}x)`);
      console.log(`time: ${secs.toFixed(2)} s, ${(r.chunkBytes / 1048576 / secs).toFixed(1)} MiB/s stored, ${(r.uniquePlainBytes / 1048576 / secs).toFixed(1)} MiB/s plain`);
      return 0;
    }
    case "ls": {
      const ds = await openDatastore(dir, { name: "ls" });
      for (const ns of await ds.listNamespaces()) {
        console.log(`namespace ${ns.length === 0 ? "<root>" : formatNamespace(ns)}`);
        for (const g of await ds.listGroups(ns)) {
          console.log(`  ${g.type}/${g.id}  owner ${(await ds.readOwner(g)) ?? "-"}`);
          for (const s of await ds.listSnapshots(g)) {
            const flags = [s.finished ? "" : "unfinished", s.protected ? "protected" : ""].filter(Boolean).join(",");
            const files = await ds.listSnapshotFiles(s);
            console.log(`    ${formatSnapshotTime(s.time)}${flags ? ` [${flags}]` : ""}  ${files.join(" ")}`);
          }
        }
      }
      return 0;
    }
    case "verify": {
      const ds = await openDatastore(dir, { name: "verify" });
      const r = await verifyDatastore(ds);
      console.log(`chunks: ${r.chunks} (${r.digestChecked} digest checked, ${r.crcOnly} encrypted: CRC only), bad: ${r.bad.length}`);
      for (const b of r.bad) console.log(`  bad ${b.digest}: ${b.reason}`);
      console.log(`snapshots: ${r.snapshots}, missing chunks: ${r.missing.length}`);
      for (const m of r.missing) console.log(`  missing ${m.digest} (${m.snapshot})`);
      return r.bad.length === 0 && r.missing.length === 0 ? 0 : 1;
    }
    default:
      console.error(`unknown command ${cmd}\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(isDatastoreError(err) ? `error (${err.code}): ${err.message}` : `error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

/**
 * vtl: the virtual tape library command line.
 *
 *   vtl serve  --dir DIR [--spec FILE.json] --socket PATH   (creates DIR from the spec, or the default site, when empty)
 *   vtl create --dir DIR --spec FILE.json
 *   vtl list   --socket PATH
 *   vtl import --socket PATH --library NAME --barcode B [--slot N]   (operator: a shelf cartridge into an import/export slot)
 *   vtl remove --socket PATH --library NAME --slot N                 (operator: an import/export slot's cartridge onto the shelf)
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createLibrary, listVtlDevices, startVtlServer, vtlOperator, VtlError } from "../src/index.ts";

const USAGE = `usage:
  vtl serve  --dir DIR [--spec FILE.json] --socket PATH
  vtl create --dir DIR --spec FILE.json
  vtl list   --socket PATH
  vtl import --socket PATH --library NAME --barcode B [--slot N]
  vtl remove --socket PATH --library NAME --slot N`;

async function readSpec(file: string): Promise<unknown> {
  const text = await readFile(file, "utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new VtlError("VTL_SPEC_INVALID", `${file} is not valid JSON: ${(e as Error).message}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: { dir: { type: "string" }, spec: { type: "string" }, socket: { type: "string" }, library: { type: "string" }, barcode: { type: "string" }, slot: { type: "string" } },
    strict: true,
  });
  switch (command) {
    case "create": {
      if (!values.dir || !values.spec) break;
      const lib = await createLibrary(values.dir, await readSpec(values.spec));
      await lib.close();
      console.log(`created ${values.dir}: ${lib.listDevices().map((d) => d.id).join(", ")}`);
      return 0;
    }
    case "serve": {
      if (!values.dir || !values.socket) break;
      const server = await startVtlServer({
        dir: values.dir,
        socketPath: values.socket,
        ...(values.spec ? { spec: await readSpec(values.spec) } : {}),
      });
      console.log(JSON.stringify({ msg: "vtl serving", socket: values.socket, dir: values.dir, devices: server.library.listDevices().map((d) => d.id) }));
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await server.close();
      return 0;
    }
    case "import":
    case "remove": {
      if (!values.socket || !values.library) break;
      const slot = values.slot === undefined ? undefined : Number(values.slot);
      if (slot !== undefined && (!Number.isInteger(slot) || slot < 1)) throw new VtlError("VTL_STATE_INVALID", `--slot: '${values.slot}' is not a slot number (1, 2, …)`);
      if (command === "import") {
        if (!values.barcode) break;
        await vtlOperator(values.socket, { op: "import", library: values.library, barcode: values.barcode, ...(slot !== undefined ? { slot } : {}) });
        console.log(`${values.barcode} is in an import/export slot of ${values.library}`);
      } else {
        if (slot === undefined) break;
        console.log(`${await vtlOperator(values.socket, { op: "remove", library: values.library, slot })} taken out of import/export slot ${slot} onto the shelf`);
      }
      return 0;
    }
    case "list": {
      if (!values.socket) break;
      console.log(JSON.stringify(await listVtlDevices(values.socket), null, 2));
      return 0;
    }
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof VtlError ? `vtl: ${e.code}: ${e.message}` : e);
    process.exit(1);
  },
);

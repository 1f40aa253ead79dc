import { CONFIG_KIND_INFO, type ConfigKind } from "@tapefleet/api-types";
import { Command, InvalidArgumentError, Option } from "commander";
import type { CliContext, GlobalOptions } from "../context.ts";
import { renderKeyValue, renderTable } from "../table.ts";

/** How a field is given on the command line. */
export type FieldType = "string" | "int" | "bool" | "list";

export interface FieldSpec {
  /** API field name; the flag is `--<field>` (as in the PBS CLI). */
  field: string;
  type: FieldType;
  description: string;
  /** On `create`, default to env TAPEFLEET_DRIVE when not given. */
  driveFromEnv?: boolean;
}

/** A `<command> create|update|config|list|remove` group over one configuration kind. */
export interface ConfigGroupSpec {
  command: string;
  kind: ConfigKind;
  description: string;
  fields: readonly FieldSpec[];
  /** Columns of `list` (after the key). */
  listColumns: readonly string[];
}

/** Env var naming the default drive of commands that take `--drive`. */
export const DRIVE_ENV = "TAPEFLEET_DRIVE";

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off"]);

export function parseBool(value: string): boolean {
  const v = value.toLowerCase();
  if (TRUE_WORDS.has(v)) return true;
  if (FALSE_WORDS.has(v)) return false;
  throw new InvalidArgumentError("expected a boolean (true/false, 1/0, yes/no, on/off)");
}

export function parseInteger(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError("expected an integer");
  return Number(value);
}

function optionOf(f: FieldSpec): Option {
  switch (f.type) {
    case "bool":
      return new Option(`--${f.field} [bool]`, f.description).argParser(parseBool);
    case "int":
      return new Option(`--${f.field} <n>`, f.description).argParser(parseInteger);
    case "list":
      return new Option(`--${f.field} <value>`, `${f.description} (repeatable)`).argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    case "string":
      return new Option(`--${f.field} <value>`, f.description);
  }
}

/** Collect the given field options into an API body (kebab-case keys). */
function bodyOf(cmd: Command, spec: ConfigGroupSpec): Record<string, unknown> {
  const opts = cmd.opts();
  const body: Record<string, unknown> = {};
  for (const f of spec.fields) {
    const attr = new Option(`--${f.field}`).attributeName();
    if (opts[attr] !== undefined) body[f.field] = opts[attr];
  }
  return body;
}

const globalsOf = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

/** Register a configuration command group on `program`. */
export function registerConfigGroup(program: Command, ctx: CliContext, spec: ConfigGroupSpec): Command {
  const info = CONFIG_KIND_INFO[spec.kind];
  const path = `/config/${spec.kind}`;
  const group = program.command(spec.command).description(spec.description);
  const encode = encodeURIComponent;

  const create = group.command("create").description(`Create a ${info.title}.`).argument(`<${info.key}>`, `${info.title} ${info.key}`);
  for (const f of spec.fields) create.addOption(optionOf(f));
  create.action(async (key: string, _o: unknown, cmd: Command) => {
    const body = { [info.key]: key, ...bodyOf(cmd, spec) };
    for (const f of spec.fields) {
      const fromEnv = ctx.io.env[DRIVE_ENV];
      if (f.driveFromEnv && body[f.field] === undefined && fromEnv) body[f.field] = fromEnv;
    }
    const g = globalsOf(cmd);
    const created = await ctx.client(g).post(path, body);
    if (g.outputFormat !== "text") ctx.print(g, created, () => "");
  });

  const update = group.command("update").description(`Update a ${info.title}.`).argument(`<${info.key}>`, `${info.title} ${info.key}`);
  for (const f of spec.fields) update.addOption(optionOf(f));
  update.addOption(
    new Option("--delete <field>", `reset a field to its default (repeatable): ${info.deletable.join(", ")}`).argParser((v: string, prev: string[] | undefined) => [
      ...(prev ?? []),
      v,
    ]),
  );
  update.addOption(new Option("--digest <hex>", "refuse the update if the entry changed since it had this digest"));
  update.action(async (key: string, _o: unknown, cmd: Command) => {
    const body = bodyOf(cmd, spec);
    const del = cmd.opts()["delete"] as string[] | undefined;
    if (del) body["delete"] = del;
    const digest = cmd.opts()["digest"] as string | undefined;
    if (digest) body["digest"] = digest;
    const g = globalsOf(cmd);
    const updated = await ctx.client(g).put(`${path}/${encode(key)}`, body);
    if (g.outputFormat !== "text") ctx.print(g, updated, () => "");
  });

  group
    .command("config")
    .description(`Show a ${info.title}'s configuration.`)
    .argument(`<${info.key}>`, `${info.title} ${info.key}`)
    .action(async (key: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const data = await ctx.client(g).get<Record<string, unknown>>(`${path}/${encode(key)}`);
      ctx.print(g, data, (d) => renderKeyValue(d as Record<string, unknown>, [info.key, ...spec.fields.map((f) => f.field)]));
    });

  group
    .command("list")
    .description(`List ${info.title}s.`)
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const data = await ctx.client(g).get<Record<string, unknown>[]>(path);
      ctx.print(g, data, (d) => renderTable([info.key, ...spec.listColumns].map((key) => ({ key })), d as Record<string, unknown>[]));
    });

  group
    .command("remove")
    .description(`Remove a ${info.title}.`)
    .argument(`<${info.key}>`, `${info.title} ${info.key}`)
    .action(async (key: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      await ctx.client(g).delete(`${path}/${encode(key)}`);
      if (g.outputFormat !== "text") ctx.print(g, null, () => "");
    });

  return group;
}

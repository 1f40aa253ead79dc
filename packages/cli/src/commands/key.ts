import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { KeyListEntry, KeyShowReply } from "@tapefleet/api-types";
import { Command, InvalidArgumentError, Option } from "commander";
import type { CliContext, GlobalOptions } from "../context.ts";
import { CliError } from "../errors.ts";
import { renderKeyValue, renderTable } from "../table.ts";

const PATH = "/config/tape-encryption-keys";
const globalsOf = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

/** Where passwords come from: never the command line. */
interface PasswordOptions {
  passwordFd?: number;
  passwordStdin?: boolean;
}

function parseFd(value: string): number {
  if (!/^\d{1,6}$/.test(value)) throw new InvalidArgumentError("expected a file descriptor number");
  return Number(value);
}

const passwordOptions = (cmd: Command, lines: string): Command =>
  cmd
    .addOption(new Option("--password-fd <n>", `read ${lines} from file descriptor <n> (one per line)`).argParser(parseFd).conflicts("passwordStdin"))
    .addOption(new Option("--password-stdin", `read ${lines} from standard input (one per line)`));

/** Reads a line without echo from the controlling terminal (standard input must be a TTY). */
async function askHidden(ctx: CliContext, prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new CliError("no terminal to ask the password on: use --password-fd <n> or --password-stdin");
  // Echo goes off before the prompt shows, so nothing typed after the prompt is ever echoed.
  stdin.setRawMode(true);
  ctx.io.stderr(prompt);
  stdin.resume();
  stdin.setEncoding("utf8");
  try {
    return await new Promise<string>((done, fail) => {
      let text = "";
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === "\r" || ch === "\n") {
            stdin.off("data", onData);
            done(text);
            return;
          }
          if (ch === "\u0003" || ch === "\u0004") {
            stdin.off("data", onData);
            fail(new CliError("aborted"));
            return;
          }
          if (ch === "\u007f" || ch === "\b") text = [...text].slice(0, -1).join("");
          else text += ch;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    ctx.io.stderr("\n");
  }
}

/**
 * `count` secrets from the file descriptor, standard input (one per line), or
 * the terminal (each prompt of `prompts`; `confirm` asks the last one twice).
 */
async function readSecrets(ctx: CliContext, o: PasswordOptions, prompts: readonly string[], confirm: boolean): Promise<string[]> {
  let text: string | undefined;
  if (o.passwordFd !== undefined) {
    try {
      text = readFileSync(o.passwordFd, "utf8");
    } catch (err) {
      throw new CliError(`cannot read file descriptor ${o.passwordFd}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else if (o.passwordStdin) {
    if (!ctx.io.readStdin) throw new CliError("no standard input");
    text = await ctx.io.readStdin();
  }
  if (text !== undefined) {
    const lines = text.split(/\r?\n/);
    const out = prompts.map((_, i) => lines[i] ?? "");
    const missing = out.findIndex((l) => l === "");
    if (missing >= 0) throw new CliError(`expected ${prompts.length} password line${prompts.length > 1 ? "s" : ""}, line ${missing + 1} is empty or missing`);
    return out;
  }
  const out: string[] = [];
  for (const p of prompts) out.push(await askHidden(ctx, `${p}: `));
  if (confirm && (await askHidden(ctx, "Verify Password: ")) !== out[out.length - 1]) throw new CliError("passwords do not match");
  return out;
}

/** PBS `render_epoch`: local time, RFC 3339. */
function renderEpoch(value: unknown): unknown {
  if (typeof value !== "number") return value;
  const d = new Date(value * 1000);
  const off = -d.getTimezoneOffset();
  const p = (n: number) => String(Math.abs(n)).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${off >= 0 ? "+" : "-"}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
}

/**
 * `tapectl key create|list|show|update|remove|paperkey|import|restore`: tape
 * encryption keys (PBS `proxmox-tape key`). Passwords are asked on the
 * terminal without echo or read from a file descriptor / standard input,
 * never taken from the command line.
 */
export function registerKey(program: Command, ctx: CliContext): void {
  const group = program.command("key").description("Tape encryption keys.");
  const item = (fp: string) => `${PATH}/${encodeURIComponent(fp)}`;

  passwordOptions(
    group
      .command("create")
      .description("Create a random tape encryption key protected by a password (asked twice on the terminal).")
      .option("--hint <text>", "password hint"),
    "the password",
  ).action(async (o: PasswordOptions & { hint?: string }, cmd: Command) => {
    const [password] = await readSecrets(ctx, o, ["Encryption Key Password"], true);
    const g = globalsOf(cmd);
    const fingerprint = await ctx.client(g).post<string>(PATH, { ...(o.hint === undefined ? {} : { hint: o.hint }), password });
    ctx.print(g, fingerprint, (d) => `${String(d)}\n`);
  });

  group
    .command("list")
    .description("List tape encryption keys.")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const data = await ctx.client(g).get<KeyListEntry[]>(PATH);
      ctx.print(g, data, (d) => renderTable([{ key: "fingerprint" }, { key: "hint" }], d as unknown as Record<string, unknown>[]));
    });

  group
    .command("show")
    .description("Show a key: kdf, created, modified, fingerprint, hint.")
    .argument("<fingerprint>", "key fingerprint")
    .action(async (fp: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const data = await ctx.client(g).get<KeyShowReply>(item(fp));
      ctx.print(g, data, (d) => {
        const k = d as unknown as Record<string, unknown>;
        return renderKeyValue({ ...k, created: renderEpoch(k["created"]), modified: renderEpoch(k["modified"]) }, ["kdf", "created", "modified", "fingerprint", "hint"]);
      });
    });

  passwordOptions(
    group
      .command("update")
      .description("Change a key's hint and/or password (--change-password asks the current and the new one).")
      .argument("<fingerprint>", "key fingerprint")
      .option("--hint <text>", "new password hint")
      .option("--change-password", "change the password"),
    "the current and the new password",
  ).action(async (fp: string, o: PasswordOptions & { hint?: string; changePassword?: boolean }, cmd: Command) => {
    if (o.hint === undefined && !o.changePassword) throw new CliError("nothing to change: give --hint and/or --change-password");
    const body: Record<string, unknown> = {};
    if (o.hint !== undefined) body["hint"] = o.hint;
    if (o.changePassword) {
      const [current, next] = await readSecrets(ctx, o, ["Current Password", "New Password"], true);
      body["password"] = current;
      body["new-password"] = next;
    }
    const g = globalsOf(cmd);
    const data = await ctx.client(g).put(item(fp), body);
    if (g.outputFormat !== "text") ctx.print(g, data, () => "");
  });

  group
    .command("remove")
    .description("Remove a key (refused while a media pool encrypts with it).")
    .argument("<fingerprint>", "key fingerprint")
    .option("--force", "remove even if a media pool uses it")
    .action(async (fp: string, o: { force?: boolean }, cmd: Command) => {
      const g = globalsOf(cmd);
      await ctx.client(g).delete(`${item(fp)}${o.force ? "?force=1" : ""}`);
      if (g.outputFormat !== "text") ctx.print(g, null, () => "");
    });

  group
    .command("paperkey")
    .description("Print a paper key: the password-protected key file and its QR code.")
    .argument("<fingerprint>", "key fingerprint")
    .addOption(new Option("--format <format>", "paper key format (the global --output-format is tapectl's text/json switch)").choices(["text", "html"]).default("text"))
    .action(async (fp: string, o: { format: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const doc = await ctx.client(g).get<string>(`${item(fp)}/paperkey?output-format=${o.format}`);
      ctx.print(g, doc, (d) => String(d));
    });

  passwordOptions(
    group
      .command("import")
      .description("Import a key from a paper key or a KeyConfig JSON file ('-': standard input); its password must open it.")
      .argument("<file>", "paper key or KeyConfig JSON")
      .option("--hint <text>", "replace the password hint"),
    "the password",
  ).action(async (file: string, o: PasswordOptions & { hint?: string }, cmd: Command) => {
    if (file === "-" && o.passwordStdin) throw new CliError("the key file and the password cannot both come from standard input");
    let text: string;
    try {
      text = file === "-" ? await (ctx.io.readStdin ?? (() => Promise.reject(new Error("no standard input"))))() : await readFile(resolve(ctx.io.cwd, file), "utf8");
    } catch (err) {
      throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const [password] = await readSecrets(ctx, o, ["Encryption Key Password"], false);
    const g = globalsOf(cmd);
    const data = await ctx.client(g).post<KeyShowReply>(`${PATH}/import`, { "key-config": text, password, ...(o.hint === undefined ? {} : { hint: o.hint }) });
    ctx.print(g, data, (d) => `${(d as KeyShowReply).fingerprint}\n`);
  });

  passwordOptions(
    group
      .command("restore")
      .description("Restore a key from the tape in a drive: its media set label's key config, opened with the password (PBS proxmox-tape key restore).")
      .requiredOption("--drive <name>", "drive holding the encrypted tape")
      .option("--hint <text>", "replace the password hint"),
    "the password",
  ).action(async (o: PasswordOptions & { drive: string; hint?: string }, cmd: Command) => {
    const [password] = await readSecrets(ctx, o, ["Encryption Key Password"], false);
    const g = globalsOf(cmd);
    const fingerprint = await ctx.client(g).post<string>(`/tape/drive/${encodeURIComponent(o.drive)}/restore-key`, { password, ...(o.hint === undefined ? {} : { hint: o.hint }) });
    ctx.print(g, fingerprint, (d) => `${String(d)}\n`);
  });
}

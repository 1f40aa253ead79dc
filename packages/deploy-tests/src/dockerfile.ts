/**
 * A Dockerfile reader for static checks: instructions with their flags and
 * arguments (line continuations joined, comments and parser directives dropped),
 * grouped into build stages. It reads the syntax, it does not build.
 *
 * @see https://docs.docker.com/reference/dockerfile/ (instructions, exec and shell forms)
 */

export type DockerfileErrorCode = "EMPTY" | "BEFORE_FROM" | "EXEC_FORM" | "FLAG" | "CONTINUATION";

export class DockerfileError extends Error {
  constructor(
    readonly code: DockerfileErrorCode,
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = "DockerfileError";
  }
}

export interface Instruction {
  /** 1-based line where the instruction starts. */
  line: number;
  /** Upper-case keyword: FROM, RUN, COPY, … */
  keyword: string;
  /** `--name=value` flags before the arguments (`--link` alone gives value ""). */
  flags: Record<string, string>;
  /** Everything after the flags, continuation lines joined with a space. */
  args: string;
  /** The arguments in exec form (`["a", "b"]`), when they are written so. */
  exec?: string[];
}

export interface Stage {
  /** Index in file order. */
  index: number;
  /** `AS name`, lower-cased, when given. */
  name?: string;
  /** The image (or earlier stage) after FROM, unexpanded (`${NODE_IMAGE}`). */
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** `ARG` instructions before the first FROM, name → default value. */
  globalArgs: Record<string, string | undefined>;
  stages: Stage[];
  instructions: Instruction[];
}

const KEYWORD_RE = /^([A-Za-z]+)(?:\s+|$)([\s\S]*)$/;
const FLAG_RE = /^--([a-z][a-z-]*)(?:=(\S*))?(?:\s+|$)/;
/** Instructions whose arguments may start with `--flags`. */
const FLAGGED = new Set(["FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"]);

function splitFlags(keyword: string, rest: string, line: number): { flags: Record<string, string>; args: string } {
  const flags: Record<string, string> = {};
  if (!FLAGGED.has(keyword)) return { flags, args: rest };
  let args = rest;
  for (let m = FLAG_RE.exec(args); m !== null; m = FLAG_RE.exec(args)) {
    const name = m[1]!;
    if (name in flags) throw new DockerfileError("FLAG", line, `${keyword}: flag --${name} given twice`);
    flags[name] = m[2] ?? "";
    args = args.slice(m[0].length);
  }
  return { flags, args };
}

function execForm(args: string, keyword: string, line: number): string[] | undefined {
  const text = args.trim();
  if (!text.startsWith("[")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Docker runs a malformed JSON array in shell form; for a static check that is an error.
    throw new DockerfileError("EXEC_FORM", line, `${keyword}: arguments start with '[' but are not a JSON array of strings`);
  }
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === "string")) {
    throw new DockerfileError("EXEC_FORM", line, `${keyword}: exec form must be a JSON array of strings`);
  }
  return parsed as string[];
}

/** Reads a Dockerfile's text; throws {@link DockerfileError} only. */
export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split(/\r?\n/);
  const instructions: Instruction[] = [];
  let pending: { line: number; parts: string[] } | undefined;
  let directivesOpen = true;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (pending === undefined) {
      if (trimmed === "") {
        directivesOpen = false;
        continue;
      }
      if (trimmed.startsWith("#")) {
        // Parser directives (`# syntax=…`) and comments: neither is an instruction.
        if (!(directivesOpen && /^#\s*[a-z]+\s*=/.test(trimmed))) directivesOpen = false;
        continue;
      }
      directivesOpen = false;
      pending = { line: i + 1, parts: [] };
    } else if (trimmed.startsWith("#")) {
      continue; // comment lines inside a continued instruction are skipped
    } else if (trimmed === "") {
      continue; // empty continuation lines are skipped (with a warning, by BuildKit)
    }
    if (trimmed.endsWith("\\")) {
      pending.parts.push(trimmed.slice(0, -1).trim());
      continue;
    }
    pending.parts.push(trimmed);
    instructions.push(toInstruction(pending.line, pending.parts.filter((p) => p !== "").join(" ")));
    pending = undefined;
  }
  if (pending !== undefined) throw new DockerfileError("CONTINUATION", pending.line, "the file ends inside a continued instruction");
  if (instructions.length === 0) throw new DockerfileError("EMPTY", 1, "no instructions");

  const globalArgs: Record<string, string | undefined> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(ins.args);
      if (!m) throw new DockerfileError("EXEC_FORM", ins.line, `FROM: expected 'image [AS name]', got '${ins.args}'`);
      stages.push({ index: stages.length, from: m[1]!, instructions: [ins], ...(m[2] !== undefined ? { name: m[2].toLowerCase() } : {}) });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) {
      if (ins.keyword !== "ARG") throw new DockerfileError("BEFORE_FROM", ins.line, `${ins.keyword} before the first FROM (only ARG may come first)`);
      const eq = ins.args.indexOf("=");
      if (eq < 0) globalArgs[ins.args.trim()] = undefined;
      else globalArgs[ins.args.slice(0, eq).trim()] = ins.args.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
      continue;
    }
    stage.instructions.push(ins);
  }
  return { globalArgs, stages, instructions };
}

function toInstruction(line: number, text: string): Instruction {
  const m = KEYWORD_RE.exec(text);
  if (!m) throw new DockerfileError("EXEC_FORM", line, `not an instruction: '${text.slice(0, 40)}'`);
  const keyword = m[1]!.toUpperCase();
  const { flags, args } = splitFlags(keyword, m[2]!.trim(), line);
  const exec = execForm(args, keyword, line);
  return { line, keyword, flags, args, ...(exec !== undefined ? { exec } : {}) };
}

/** The instructions of a stage with this keyword, in order. */
export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword.toUpperCase());
}

/**
 * Sources and destination of a COPY/ADD instruction (exec or shell form),
 * e.g. `COPY a b ./dst/` → `{ sources: ["a", "b"], dest: "./dst/" }`.
 */
export function copyOperands(ins: Instruction): { sources: string[]; dest: string } {
  const parts = ins.exec ?? ins.args.split(/\s+/).filter((p) => p !== "");
  if (parts.length < 2) throw new DockerfileError("EXEC_FORM", ins.line, `${ins.keyword}: needs at least one source and a destination`);
  return { sources: parts.slice(0, -1), dest: parts.at(-1)! };
}

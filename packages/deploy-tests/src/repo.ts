/**
 * Paths of the checkout and readers for the deployment files.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

/** Root of the tapefleet checkout. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** `deploy/` of the checkout. */
export const DEPLOY_DIR = join(REPO_ROOT, "deploy");

export class YamlFileError extends Error {
  constructor(
    readonly code: "YAML",
    message: string,
  ) {
    super(message);
    this.name = "YamlFileError";
  }
}

/**
 * Every document of a YAML text (YAML 1.2 core schema, as Kubernetes and
 * Compose read it for these files); empty documents are dropped. A syntax
 * error anywhere is a {@link YamlFileError} naming the source and the line.
 */
export function parseYamlDocuments(text: string, where: string): unknown[] {
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const out: unknown[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) throw new YamlFileError("YAML", `${where}: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** Every document of a YAML file. */
export function readYamlDocuments(path: string): unknown[] {
  return parseYamlDocuments(readFileSync(path, "utf8"), path);
}

/**
 * Schema checks of Kubernetes objects without a cluster, two ways:
 *
 * - {@link validateObjects}: the JSON-schema validators that `kubernetes-models`
 *   compiles from the Kubernetes OpenAPI document (types, required fields,
 *   formats). Like the API server's schema, they accept unknown fields.
 * - {@link typeCheckObjects}: each object as a TypeScript literal of the
 *   package's interface for its kind, compiled with excess-property checks: an
 *   unknown or misspelt field anywhere (`readinessProbes`, `secretKeyref`) is an
 *   error, as it is for `kubectl apply --validate=strict`.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface SchemaProblem {
  /** `Kind/name`. */
  object: string;
  message: string;
}

export class SchemaError extends Error {
  constructor(
    readonly code: "UNKNOWN_KIND" | "NOT_AN_OBJECT",
    message: string,
  ) {
    super(message);
    this.name = "SchemaError";
  }
}

export function objectName(o: K8sObject): string {
  return `${o.kind}/${o.metadata?.name ?? "?"}`;
}

/** `kubernetes-models` module of an apiVersion and kind: `apps/v1` + `Deployment` → `kubernetes-models/apps/v1/Deployment`. */
export function modelModule(apiVersion: string, kind: string): string {
  if (!/^([a-z0-9.-]+\/)?v\d+((alpha|beta)\d+)?$/.test(apiVersion)) throw new SchemaError("UNKNOWN_KIND", `apiVersion '${apiVersion}' is not group/version`);
  if (!/^[A-Z][A-Za-z0-9]*$/.test(kind)) throw new SchemaError("UNKNOWN_KIND", `kind '${kind}' is not a Kubernetes kind name`);
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/** Checks that a parsed YAML document has the shape of a Kubernetes object. */
export function asK8sObject(doc: unknown, where: string): K8sObject {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new SchemaError("NOT_AN_OBJECT", `${where}: a document is not a mapping`);
  const o = doc as Record<string, unknown>;
  if (typeof o["apiVersion"] !== "string" || typeof o["kind"] !== "string") throw new SchemaError("NOT_AN_OBJECT", `${where}: a document has no apiVersion/kind`);
  return o as K8sObject;
}

type ModelClass = new (data: unknown) => { validate(): void };

/** Validates every object with the compiled OpenAPI schema of its kind. */
export async function validateObjects(objects: readonly K8sObject[]): Promise<SchemaProblem[]> {
  const problems: SchemaProblem[] = [];
  for (const o of objects) {
    let Model: ModelClass | undefined;
    try {
      const mod = (await import(modelModule(o.apiVersion, o.kind))) as Record<string, unknown>;
      Model = mod[o.kind] as ModelClass | undefined;
    } catch (err) {
      problems.push({ object: objectName(o), message: `no schema for ${o.apiVersion} ${o.kind}: ${(err as Error).message}` });
      continue;
    }
    if (Model === undefined) {
      problems.push({ object: objectName(o), message: `no schema for ${o.apiVersion} ${o.kind}` });
      continue;
    }
    try {
      new Model(o).validate();
    } catch (err) {
      problems.push({ object: objectName(o), message: (err as Error).message });
    }
  }
  return problems;
}

const PACKAGE_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * Compiles the objects as literals of their `kubernetes-models` interfaces and
 * returns the compiler's complaints (unknown fields, wrong types), one per
 * problem, naming the object.
 */
export function typeCheckObjects(objects: readonly K8sObject[]): SchemaProblem[] {
  const file = join(PACKAGE_DIR, "src", "__k8s_objects__.ts");
  const imports: string[] = [];
  const bodies: string[] = [];
  const ranges: { start: number; end: number; name: string }[] = [];
  const kinds = new Map<string, string>();
  for (const o of objects) {
    const key = `${o.apiVersion} ${o.kind}`;
    if (!kinds.has(key)) {
      const alias = `T${kinds.size}`;
      kinds.set(key, alias);
      imports.push(`import type { I${o.kind} as ${alias} } from "${modelModule(o.apiVersion, o.kind)}";`);
    }
  }
  let line = imports.length;
  objects.forEach((o, i) => {
    const text = `export const o${i}: ${kinds.get(`${o.apiVersion} ${o.kind}`)!} = ${JSON.stringify(o, null, 1)};`;
    const lines = text.split("\n").length;
    ranges.push({ start: line, end: line + lines - 1, name: objectName(o) });
    bodies.push(text);
    line += lines;
  });
  const source = [...imports, ...bodies].join("\n") + "\n";

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) =>
    name === file ? ts.createSourceFile(name, source, lang, true) : getSourceFile(name, lang, onError, create);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === file ? source : readFile(name));

  const program = ts.createProgram([file], options, host);
  const sf = program.getSourceFile(file)!;
  const problems: SchemaProblem[] = [];
  for (const d of ts.getPreEmitDiagnostics(program, sf)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (d.file === undefined || d.start === undefined) {
      problems.push({ object: "(program)", message });
      continue;
    }
    const at = d.file.getLineAndCharacterOfPosition(d.start).line;
    const range = ranges.find((r) => at >= r.start && at <= r.end);
    const fieldLine = source.split("\n")[at]?.trim() ?? "";
    problems.push({ object: range?.name ?? "(imports)", message: `${message} [at ${fieldLine.slice(0, 80)}]` });
  }
  return problems;
}

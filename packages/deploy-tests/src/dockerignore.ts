/**
 * The build-context filter of a `.dockerignore` file: which paths of the context
 * the builder leaves out. Patterns follow Go's `filepath.Match` plus `**` (any
 * number of path segments); `!pattern` re-includes; the last matching line wins;
 * a pattern that matches a directory leaves out everything under it.
 *
 * @see https://docs.docker.com/build/concepts/context/#dockerignore-files
 */

interface Rule {
  negate: boolean;
  re: RegExp;
  source: string;
}

function globToRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        // `**/` : zero or more whole segments; `**` at the end: anything.
        if (pattern[i + 2] === "/") {
          re += "(?:.*/)?";
          i += 2;
        } else {
          re += ".*";
          i += 1;
        }
      } else {
        re += "[^/]*";
      }
    } else if (c === "?") {
      re += "[^/]";
    } else if (c === "\\" && i + 1 < pattern.length) {
      re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  // A match of a directory covers what is below it.
  return new RegExp(`^${re}(?:/.*)?$`);
}

function clean(path: string): string {
  return path
    .split("/")
    .filter((s) => s !== "" && s !== ".")
    .join("/");
}

export interface DockerIgnore {
  /** True when the builder leaves this context path (relative, `/`-separated) out. */
  ignores(path: string): boolean;
  /** The patterns, in file order (for messages). */
  patterns: readonly string[];
}

/** Reads a `.dockerignore` text (comments and empty lines skipped). */
export function parseDockerIgnore(text: string): DockerIgnore {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const negate = line.startsWith("!");
    const pattern = clean(negate ? line.slice(1).trim() : line);
    if (pattern === "") continue;
    rules.push({ negate, re: globToRegExp(pattern), source: line });
  }
  return {
    patterns: rules.map((r) => r.source),
    ignores(path: string): boolean {
      const p = clean(path);
      let ignored = false;
      for (const r of rules) if (r.re.test(p)) ignored = !r.negate;
      return ignored;
    },
  };
}

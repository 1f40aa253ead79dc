import { describe, expect, it } from "vitest";
import { copyOperands, DockerfileError, instructionsOf, parseDockerfile } from "./dockerfile.ts";

const SAMPLE = [
  "# syntax=docker/dockerfile:1",
  "# a comment",
  "ARG BASE=node:20-bookworm-slim",
  "ARG PLAIN",
  "",
  "FROM ${BASE} AS Build",
  "RUN apt-get update \\",
  "    # comment inside a continued instruction",
  " && apt-get install -y tini",
  "COPY --chown=1:1 --link a b ./dst/",
  "",
  "FROM ${BASE}",
  "COPY --from=build /app /app",
  'HEALTHCHECK --interval=30s CMD ["node", "/h.mjs"]',
  'ENTRYPOINT ["/usr/bin/tini", "--", "/e.sh"]',
  "USER 10001:10001",
].join("\n");

describe("parseDockerfile", () => {
  const df = parseDockerfile(SAMPLE);

  it("reads global ARGs before the first FROM", () => {
    expect(df.globalArgs).toEqual({ BASE: "node:20-bookworm-slim", PLAIN: undefined });
  });

  it("groups instructions into stages with lower-cased names", () => {
    expect(df.stages.map((s) => [s.index, s.name, s.from])).toEqual([
      [0, "build", "${BASE}"],
      [1, undefined, "${BASE}"],
    ]);
    expect(df.stages[0]!.instructions.map((i) => i.keyword)).toEqual(["FROM", "RUN", "COPY"]);
  });

  it("joins continuation lines and skips comments inside them", () => {
    const run = instructionsOf(df.stages[0]!, "run")[0]!;
    expect(run.args).toBe("apt-get update && apt-get install -y tini");
    expect(run.line).toBe(7);
  });

  it("splits flags from arguments, including value-less flags", () => {
    const copy = instructionsOf(df.stages[0]!, "COPY")[0]!;
    expect(copy.flags).toEqual({ chown: "1:1", link: "" });
    expect(copyOperands(copy)).toEqual({ sources: ["a", "b"], dest: "./dst/" });
  });

  it("reads exec form as a string array", () => {
    const hc = instructionsOf(df.stages[1]!, "HEALTHCHECK")[0]!;
    expect(hc.flags).toEqual({ interval: "30s" });
    expect(hc.args).toBe('CMD ["node", "/h.mjs"]');
    const ep = instructionsOf(df.stages[1]!, "ENTRYPOINT")[0]!;
    expect(ep.exec).toEqual(["/usr/bin/tini", "--", "/e.sh"]);
    expect(copyOperands({ ...ep, keyword: "COPY" })).toEqual({ sources: ["/usr/bin/tini", "--"], dest: "/e.sh" });
  });

  it("rejects what a static check cannot trust, with the line", () => {
    const cases: [string, string, number][] = [
      ["", "EMPTY", 1],
      ["# only a comment\n", "EMPTY", 1],
      ["RUN true\nFROM x", "BEFORE_FROM", 1],
      ["FROM x\nRUN a \\", "CONTINUATION", 2],
      ['FROM x\nCMD ["a", 1]', "EXEC_FORM", 2],
      ['FROM x\nCMD ["a", ', "EXEC_FORM", 2],
      ["FROM x\nCOPY --from=a --from=b s d", "FLAG", 2],
      ["FROM x y z", "EXEC_FORM", 1],
      ["FROM x\n-- not an instruction", "EXEC_FORM", 2],
    ];
    for (const [text, code, line] of cases) {
      let caught: unknown;
      try {
        parseDockerfile(text);
      } catch (err) {
        caught = err;
      }
      expect(caught, text).toBeInstanceOf(DockerfileError);
      expect((caught as DockerfileError).code, text).toBe(code);
      expect((caught as DockerfileError).line, text).toBe(line);
    }
  });

  it("needs a source and a destination for COPY", () => {
    const df2 = parseDockerfile("FROM x\nCOPY onlyone");
    expect(() => copyOperands(instructionsOf(df2.stages[0]!, "COPY")[0]!)).toThrow(DockerfileError);
  });

  it("accepts CRLF line ends", () => {
    expect(parseDockerfile("FROM a AS b\r\nUSER 1\r\n").stages[0]!.instructions.map((i) => i.args)).toEqual(["a AS b", "1"]);
  });
});

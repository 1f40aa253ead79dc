import { z } from "zod";

/**
 * The `delete` parameter of an update request (as PBS has it): the optional
 * fields to reset to their defaults, as an array or a comma-separated text.
 */
export function deleteList<const F extends string>(deletable: readonly F[]) {
  return z
    .union([z.string(), z.array(z.string())], { error: "must be a list of field names" })
    .transform((v, ctx): F[] => {
      const names = (typeof v === "string" ? v.split(/[\s,;]+/) : v).filter((s) => s !== "");
      const out: F[] = [];
      for (const n of names) {
        if (!(deletable as readonly string[]).includes(n)) {
          ctx.addIssue({ code: "custom", message: `cannot delete '${n}': deletable fields are ${deletable.join(", ")}` });
          return z.NEVER;
        }
        if (!out.includes(n as F)) out.push(n as F);
      }
      return out;
    })
    .meta({ description: `Fields to reset to their defaults: ${deletable.join(", ")}.`, examples: [[deletable[0]]] });
}

/** Refinement shared by the update schemas: a field is either set or deleted, not both. */
export function noSetAndDelete(v: Record<string, unknown> & { delete?: string[] | undefined }, ctx: z.RefinementCtx): void {
  for (const d of v.delete ?? []) {
    if (v[d] !== undefined) ctx.addIssue({ code: "custom", path: ["delete"], message: `cannot set and delete '${d}' at once` });
  }
}

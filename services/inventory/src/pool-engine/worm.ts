/**
 * WORM rules (§6.8): WORM media only in pools with `retention keep`, never mixed with
 * normal media in one pool, never erased or overwritten.
 *
 * @see ../../../../../shared/reference/pbs-tape-format.md §6.8
 */
import { WormPolicyError } from "./errors.ts";
import { indexInventory, mediumPool } from "./inventory-index.ts";
import { type PoolPolicy, poolPolicy } from "./pool-policy.ts";
import type { Medium, PoolConfig } from "./types.ts";

/** What kind of media a pool holds. */
export type PoolMediaKind = "empty" | "worm" | "normal" | "mixed";

/** The kind of media assigned to pool `poolName` (by label pool or set label pool). */
export function poolMediaKind(poolName: string, media: readonly Medium[]): PoolMediaKind {
  let worm = false;
  let normal = false;
  for (const m of media) {
    if (mediumPool(m) !== poolName) continue;
    if (m.worm === true) worm = true;
    else normal = true;
  }
  return worm ? (normal ? "mixed" : "worm") : normal ? "normal" : "empty";
}

/**
 * Checks the WORM rules of a pool's media.
 *
 * @throws {WormPolicyError} `rule: "mixed"` when the pool holds WORM and normal media,
 * `rule: "retention"` when it holds WORM media and its retention is not `keep`.
 */
export function checkPoolWorm(pool: PoolConfig, media: readonly Medium[]): void {
  indexInventory(media);
  checkWormIn(poolPolicy(pool), media);
}

/** {@link checkPoolWorm} on validated media. */
export function checkWormIn(policy: PoolPolicy, media: readonly Medium[]): void {
  const own = media.filter((m) => mediumPool(m) === policy.name);
  const worm = own.filter((m) => m.worm === true).map((m) => m.label.labelText);
  if (worm.length === 0) return;
  const normal = own.filter((m) => m.worm !== true).map((m) => m.label.labelText);
  if (normal.length > 0) {
    throw new WormPolicyError(
      "mixed",
      policy.name,
      [...worm, ...normal],
      `pool '${policy.name}' mixes WORM media (${worm.join(", ")}) and normal media (${normal.join(", ")})`,
    );
  }
  if (policy.retention.kind !== "keep") {
    const retention = policy.retention.kind === "span" ? policy.retention.text : policy.retention.kind;
    throw new WormPolicyError(
      "retention",
      policy.name,
      worm,
      `pool '${policy.name}' holds WORM media (${worm.join(", ")}) but its retention is '${retention}': WORM pools must use 'keep'`,
    );
  }
}

/** Whether a medium may be erased (formatted) or overwritten: never for WORM media. */
export function isErasable(medium: Medium): boolean {
  return medium.worm !== true;
}

/** @throws {WormPolicyError} `rule: "erase"` for a WORM medium. */
export function assertErasable(medium: Medium): void {
  if (!isErasable(medium)) {
    throw new WormPolicyError(
      "erase",
      mediumPool(medium),
      [medium.label.labelText],
      `medium '${medium.label.labelText}' is WORM: it cannot be erased or overwritten`,
    );
  }
}

/**
 * Who may talk to whom under a set of NetworkPolicies of one namespace: the
 * semantics of `networking.k8s.io/v1` for the selectors these manifests use
 * (podSelector and namespaceSelector with matchLabels, ipBlock, numeric ports).
 * A pod that no policy of a type selects is open in that direction; a selected
 * pod admits what any rule of any selecting policy admits.
 *
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
import type { K8sObject } from "./k8s-schema.ts";

/** One end of a connection: a pod (in this or another namespace) or a host outside the cluster. */
export type Peer =
  | { kind: "pod"; labels: Record<string, string>; namespace: "same" | { labels: Record<string, string> } }
  | { kind: "external" };

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}

interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface PolicyPort {
  port?: number | string;
  endPort?: number;
  protocol?: string;
}

interface PolicyRule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: PolicyPort[];
}

interface PolicySpec {
  podSelector: LabelSelector;
  policyTypes?: ("Ingress" | "Egress")[];
  ingress?: PolicyRule[];
  egress?: PolicyRule[];
}

export class PolicyError extends Error {
  constructor(
    readonly code: "UNSUPPORTED",
    message: string,
  ) {
    super(message);
    this.name = "PolicyError";
  }
}

function selects(sel: LabelSelector | undefined, labels: Record<string, string>, what: string): boolean {
  if (sel === undefined) return true;
  if (sel.matchExpressions !== undefined && sel.matchExpressions.length > 0) throw new PolicyError("UNSUPPORTED", `${what}: matchExpressions are not evaluated here`);
  return Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

function peerMatches(p: PolicyPeer, peer: Peer, what: string): boolean {
  if (p.ipBlock !== undefined) return peer.kind === "external";
  if (peer.kind === "external") return false;
  if (p.namespaceSelector === undefined) {
    // A podSelector alone means pods of the policy's namespace.
    return peer.namespace === "same" && selects(p.podSelector, peer.labels, what);
  }
  const nsLabels = peer.namespace === "same" ? {} : peer.namespace.labels;
  const nsOk = Object.keys(p.namespaceSelector.matchLabels ?? {}).length === 0 || (peer.namespace !== "same" && selects(p.namespaceSelector, nsLabels, what));
  return nsOk && selects(p.podSelector, peer.labels, what);
}

function portMatches(ports: PolicyPort[] | undefined, port: number, what: string): boolean {
  if (ports === undefined || ports.length === 0) return true;
  return ports.some((p) => {
    if (p.protocol !== undefined && p.protocol !== "TCP") return false;
    if (p.port === undefined) return true;
    if (typeof p.port === "string") throw new PolicyError("UNSUPPORTED", `${what}: named port '${p.port}' is not evaluated here`);
    return p.endPort === undefined ? p.port === port : port >= p.port && port <= p.endPort;
  });
}

function typesOf(spec: PolicySpec): ("Ingress" | "Egress")[] {
  if (spec.policyTypes !== undefined) return spec.policyTypes;
  return spec.egress !== undefined ? ["Ingress", "Egress"] : ["Ingress"];
}

function allowed(policies: readonly K8sObject[], direction: "Ingress" | "Egress", pod: Record<string, string>, peer: Peer, port: number): boolean {
  let selected = false;
  for (const np of policies) {
    if (np.kind !== "NetworkPolicy") continue;
    const spec = np["spec"] as PolicySpec;
    const what = `NetworkPolicy/${np.metadata?.name ?? "?"}`;
    if (!typesOf(spec).includes(direction) || !selects(spec.podSelector, pod, what)) continue;
    selected = true;
    const rules = (direction === "Ingress" ? spec.ingress : spec.egress) ?? [];
    for (const rule of rules) {
      const peers = direction === "Ingress" ? rule.from : rule.to;
      const peerOk = peers === undefined || peers.length === 0 || peers.some((p) => peerMatches(p, peer, what));
      if (peerOk && portMatches(rule.ports, port, what)) return true;
    }
  }
  return !selected;
}

/** May `from` open a TCP connection to port `port` of the pod with labels `pod`? (ingress side only) */
export function ingressAllowed(policies: readonly K8sObject[], pod: Record<string, string>, from: Peer, port: number): boolean {
  return allowed(policies, "Ingress", pod, from, port);
}

/** May the pod with labels `pod` open a TCP connection to `to` on `port`? (egress side only) */
export function egressAllowed(policies: readonly K8sObject[], pod: Record<string, string>, to: Peer, port: number): boolean {
  return allowed(policies, "Egress", pod, to, port);
}

/** Both sides of a connection between two pods of the namespace. */
export function connectionAllowed(policies: readonly K8sObject[], from: Record<string, string>, to: Record<string, string>, port: number): boolean {
  return (
    egressAllowed(policies, from, { kind: "pod", labels: to, namespace: "same" }, port) &&
    ingressAllowed(policies, to, { kind: "pod", labels: from, namespace: "same" }, port)
  );
}

import { describe, expect, it } from "vitest";
import type { K8sObject } from "./k8s-schema.ts";
import { connectionAllowed, egressAllowed, ingressAllowed, PolicyError, type Peer } from "./network-policy.ts";

function np(name: string, spec: Record<string, unknown>): K8sObject {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name }, spec };
}

const web = { app: "web" };
const db = { app: "db" };
const other = { app: "other" };
const external: Peer = { kind: "external" };
const pod = (labels: Record<string, string>): Peer => ({ kind: "pod", labels, namespace: "same" });

describe("network policy evaluation", () => {
  it("leaves pods open when no policy selects them", () => {
    expect(ingressAllowed([], db, external, 5432)).toBe(true);
    expect(egressAllowed([np("x", { podSelector: { matchLabels: web }, policyTypes: ["Egress"] })], db, external, 1)).toBe(true);
  });

  it("denies everything a default-deny selects", () => {
    const deny = [np("deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] })];
    expect(ingressAllowed(deny, db, pod(web), 5432)).toBe(false);
    expect(egressAllowed(deny, web, external, 443)).toBe(false);
  });

  it("admits the union of the selecting policies' rules, by peer and port", () => {
    const ps = [
      np("deny", { podSelector: {}, policyTypes: ["Ingress"] }),
      np("db", { podSelector: { matchLabels: db }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: { matchLabels: web } }], ports: [{ port: 5432 }] }] }),
      np("web", { podSelector: { matchLabels: web }, policyTypes: ["Ingress"], ingress: [{ ports: [{ port: 80, protocol: "TCP" }] }] }),
    ];
    expect(ingressAllowed(ps, db, pod(web), 5432)).toBe(true);
    expect(ingressAllowed(ps, db, pod(web), 5433)).toBe(false);
    expect(ingressAllowed(ps, db, pod(other), 5432)).toBe(false);
    expect(ingressAllowed(ps, db, external, 5432)).toBe(false);
    expect(ingressAllowed(ps, web, external, 80)).toBe(true);
    expect(ingressAllowed(ps, web, pod(other), 81)).toBe(false);
    expect(ingressAllowed(ps, other, pod(web), 80)).toBe(false);
  });

  it("reads namespaceSelector and ipBlock peers", () => {
    const ps = [
      np("e", {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { k8s: "dns" } } }], ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }] },
          { to: [{ namespaceSelector: { matchLabels: { team: "infra" } } }], ports: [{ port: 6000, endPort: 6010 }] },
          { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 443 }] },
        ],
      }),
    ];
    const dnsElsewhere: Peer = { kind: "pod", labels: { k8s: "dns" }, namespace: { labels: { name: "kube-system" } } };
    expect(egressAllowed(ps, web, dnsElsewhere, 53)).toBe(true);
    expect(egressAllowed(ps, web, pod({ k8s: "dns" }), 53)).toBe(true);
    expect(egressAllowed(ps, web, pod(other), 53)).toBe(false);
    const infra: Peer = { kind: "pod", labels: {}, namespace: { labels: { team: "infra" } } };
    expect(egressAllowed(ps, web, infra, 6005)).toBe(true);
    expect(egressAllowed(ps, web, infra, 6011)).toBe(false);
    expect(egressAllowed(ps, web, pod({}), 6005)).toBe(false);
    expect(egressAllowed(ps, web, external, 443)).toBe(true);
    expect(egressAllowed(ps, web, pod({}), 443)).toBe(false);
  });

  it("defaults policyTypes as the API server does", () => {
    expect(ingressAllowed([np("i", { podSelector: {} })], web, external, 1)).toBe(false);
    expect(egressAllowed([np("i", { podSelector: {} })], web, external, 1)).toBe(true);
    expect(egressAllowed([np("e", { podSelector: {}, egress: [] })], web, external, 1)).toBe(false);
  });

  it("needs both ends for a connection inside the namespace", () => {
    const ps = [
      np("deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
      np("in", { podSelector: { matchLabels: db }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: { matchLabels: web } }] }] }),
    ];
    expect(connectionAllowed(ps, web, db, 5432)).toBe(false);
    ps.push(np("out", { podSelector: { matchLabels: web }, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: { matchLabels: db } }] }] }));
    expect(connectionAllowed(ps, web, db, 5432)).toBe(true);
    expect(connectionAllowed(ps, db, web, 5432)).toBe(false);
  });

  it("refuses selectors it does not evaluate instead of guessing", () => {
    const expr = [np("x", { podSelector: { matchExpressions: [{ key: "a", operator: "Exists" }] } })];
    expect(() => ingressAllowed(expr, web, external, 1)).toThrow(PolicyError);
    const named = [np("y", { podSelector: {}, ingress: [{ ports: [{ port: "http" }] }] })];
    expect(() => ingressAllowed(named, web, external, 1)).toThrow(PolicyError);
  });
});

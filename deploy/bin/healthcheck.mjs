// Container health check of the tapefleet image (Dockerfile HEALTHCHECK): exits 0
// when the service's /healthz answers 200 within the timeout, 1 otherwise.
// Port: TAPEFLEET_HTTP_PORT; else 8007 for the api-gateway and 8080 for the other
// services (as deploy/bin/entrypoint.sh sets them); when TAPEFLEET_SERVICE is not
// set either (service given as an argument), both ports are tried.
// The one-shot `migrate` has no listener and is always healthy while it runs.

const GATEWAY_PORT = 8007;
const HEALTH_PORT = 8080;
const TIMEOUT_MS = 4000;

const env = process.env;
const service = env.TAPEFLEET_SERVICE ?? "";

if (service === "migrate") process.exit(0);

let ports;
if (env.TAPEFLEET_HTTP_PORT) ports = [Number(env.TAPEFLEET_HTTP_PORT)];
else if (service === "api-gateway") ports = [GATEWAY_PORT];
else if (service !== "") ports = [HEALTH_PORT];
else ports = [HEALTH_PORT, GATEWAY_PORT];

async function healthy(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

for (const port of ports) {
  if (await healthy(port)) process.exit(0);
}
process.stderr.write(`healthcheck: /healthz did not answer 200 on 127.0.0.1 port ${ports.join(" or ")}\n`);
process.exit(1);

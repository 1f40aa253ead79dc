/**
 * A device agent process serving only the data path rpcs over the virtual
 * library in TAPEFLEET_VTL_DIR, publishing commit records on NATS
 * (TAPEFLEET_NATS_URL, TAPEFLEET_NATS_PREFIX). Prints one JSON line with its
 * gRPC address when serving. Used by the tests that kill an agent mid-write.
 */
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { Bus, createLogger } from "@tapefleet/common";
import { addService, DeviceAgentService, type ServiceImpl } from "@tapefleet/proto";
import { openLibrary } from "@tapefleet/vtl";
import { natsCommitPublisher, sessionServiceImpl, virtualLibraryDrives } from "../../../src/sessions/index.ts";

const dir = process.env["TAPEFLEET_VTL_DIR"];
const natsUrl = process.env["TAPEFLEET_NATS_URL"];
const prefix = process.env["TAPEFLEET_NATS_PREFIX"];
if (!dir || !natsUrl || !prefix) {
  process.stderr.write("session-agent: TAPEFLEET_VTL_DIR, TAPEFLEET_NATS_URL and TAPEFLEET_NATS_PREFIX are required\n");
  process.exit(2);
}
const library = await openLibrary(dir);
const bus = await Bus.connect({ url: natsUrl, prefix, name: "device-agent", logger: createLogger({ service: "session-agent", level: "silent" }) });
const server = new Server();
addService(server, DeviceAgentService, sessionServiceImpl({ drives: virtualLibraryDrives(library), publisher: await natsCommitPublisher(bus), readyPollMs: 10 }) as ServiceImpl<typeof DeviceAgentService>);
const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
process.stdout.write(`${JSON.stringify({ msg: "serving", address: `127.0.0.1:${port}` })}\n`);

import { sgIoTarget } from "./targets.ts";
import { describeConformance } from "./suite.ts";

describeConformance("SG_IO (koffi) through the forwarding library", sgIoTarget);

import { inProcessTarget } from "./targets.ts";
import { describeConformance } from "./suite.ts";

describeConformance("in-process virtual library transport", inProcessTarget());

import { poolConformance } from "../../src/harness/conformance.ts";
import { referenceAdapter, referenceMultiplexedAdapter } from "./adapter.ts";

poolConformance(referenceAdapter, { seed: 2025 });
poolConformance(referenceMultiplexedAdapter, { seed: 2025 });

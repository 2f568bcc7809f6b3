/**
 * The rule catalogue, in published order.
 *
 * @module
 */
import type { Rule } from "../rule.ts";
import { CFG_RULES } from "./cfg.ts";
import { CLS_RULES } from "./cls.ts";
import { CLS_CMAP_RULES } from "./cls_cmap.ts";
import { ERR_RULES } from "./err.ts";
import { EVT_RULES } from "./evt.ts";
import { EVT_ORDER_RULES } from "./evt_order.ts";
import { EXP_RULES } from "./exp.ts";
import { INF_RULES } from "./inf.ts";
import { LIM_RULES } from "./lim.ts";
import { LIM_MINIMUM_RULES } from "./lim_minimum.ts";
import { LIV_RULES } from "./liv.ts";
import { LSE_REPEAT_RULES, LSE_RULES } from "./lse.ts";
import { LSE_HOLDER_RULES } from "./lse_holders.ts";
import { err6 } from "./err_retry.ts";
import { ORD_RULES } from "./ord.ts";
import { STA_RULES } from "./sta.ts";
import { TMO_RULES } from "./tmo.ts";

/**
 * Every rule the kit checks, grouped and in id order.
 *
 * @example Ids are unique
 * ```ts
 * import assert from "node:assert/strict";
 * import { RULES } from "./mod.ts";
 *
 * assert.equal(new Set(RULES.map((r) => r.id)).size, RULES.length);
 * ```
 */
export const RULES: readonly Rule[] = Object.freeze([
  ...LIM_RULES,
  ...LIM_MINIMUM_RULES,
  ...LSE_RULES,
  ...LSE_HOLDER_RULES,
  ...LSE_REPEAT_RULES,
  ...EXP_RULES,
  ...ORD_RULES,
  ...INF_RULES,
  ...TMO_RULES,
  ...ERR_RULES,
  err6,
  ...LIV_RULES,
  ...CLS_RULES,
  ...CLS_CMAP_RULES,
  ...STA_RULES,
  ...EVT_RULES,
  ...EVT_ORDER_RULES,
  ...CFG_RULES,
]);

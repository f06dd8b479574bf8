/** Pure scheduling rules: trigger rules, retry timing, and ti dependency checks. */
export { countUpstream, evaluateTriggerRule } from './trigger-rules.ts';
export type { RuleDecision, UpstreamCounts } from './trigger-rules.ts';
export { MAX_RETRY_DELAY_S, canRetry, retryDelayMs } from './retry.ts';
export type { RetryKey, RetryPolicy } from './retry.ts';
export { pythonUtcDatetimeStr } from './python-datetime.ts';
export * from './deps/index.ts';
export { readyAfterUpstreamSuccess, type StateToken } from './ready-condition.ts';

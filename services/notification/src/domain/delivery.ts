// When a failed send is tried again, and when it is given up.

export interface DeliveryPolicy {
  maxAttempts: number;
  /** wait before retry n (the last one repeats) */
  retryDelaysMs: readonly number[];
}

export type AfterFailure = { status: 'pending'; nextAttemptAt: Date } | { status: 'failed' };

/**
 * After the `attempts`-th send failed: try again after the policy's delay (±20% jitter, so a
 * burst of failures does not come back as a burst), or give up once the attempts are spent or
 * the error says retrying cannot help.
 */
export function afterFailure(
  policy: DeliveryPolicy,
  attempts: number,
  permanent: boolean,
  now: Date,
  random: () => number = Math.random,
): AfterFailure {
  if (permanent || attempts >= policy.maxAttempts) return { status: 'failed' };
  const delays = policy.retryDelaysMs;
  const base = delays.length ? (delays[Math.min(attempts - 1, delays.length - 1)] as number) : 1000;
  const jittered = Math.round(base * (0.8 + 0.4 * random()));
  return { status: 'pending', nextAttemptAt: new Date(now.getTime() + jittered) };
}

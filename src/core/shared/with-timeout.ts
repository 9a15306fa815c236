// A promise bounded in time: KV reads and D1 calls must not hold a request or the collector forever.

/**
 * `promise`, or a rejection with `onTimeout()` once `ms` milliseconds have passed; the timer is cleared
 * either way. The promise itself is not cancelled (nothing here can): its result is only ignored.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

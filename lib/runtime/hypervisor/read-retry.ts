import { HypervisorError, isVmNotFound } from "./errors";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs a read-only hypervisor call, again after a failure or a timeout, up to `retries` more times with
 * `pauseMs` between (as Vagrant retries vmrun's reads). A tool that cannot be started, a VM that does not
 * exist, or an error that is not the hypervisor's will not change on retry and is thrown at once. Never
 * for calls that change state: a retried start or revert can do the work twice.
 */
export async function retryRead<T>(call: () => Promise<T>, retries: number, pauseMs: number): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const retryable = err instanceof HypervisorError && err.kind !== "spawn" && !isVmNotFound(err);
      if (!retryable || attempt >= retries) throw err;
      await sleep(pauseMs);
    }
  }
}

import { getEnv } from './config.server.ts'

/**
 * The framework-floor routes (/healthz/echo, /healthz/form) exist for the benchmarks, which
 * start the server with VIGIL_BENCH_ROUTES=1; anywhere else they are not there.
 */
export function benchOnly() {
  if (!getEnv().benchRoutes) throw new Response('Not found', { status: 404 })
}

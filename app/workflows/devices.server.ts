import type { Handle } from '#db/client.server.ts'
import type { Locale } from '#db/schema.ts'

/**
 * Called by startSession once the password or a passkey passed (ADR 019 §12): records the
 * browser's vigil_device cookie and queues the new-device email. Foundation stub: part P3
 * replaces the body; the signature is the contract.
 */
export async function noteSignInDevice(
  _db: Handle,
  _input: { organizerId: number; request: Request; lang: Locale; device: string; now?: number },
): Promise<{ setCookie: string | null }> {
  return { setCookie: null }
}

import type { Handle, Tx } from '#db/client.server.ts'
import type { Locale } from '#db/schema.ts'
import type { Language } from '~/utils/i18n.ts'
import type { Localized } from './campaigns.server.ts'

/**
 * Whom a petition addresses (issue 17): offices and people in public roles, translated per field.
 * Foundation stub: the signatures are final, Part B fills in the bodies.
 */

/** A target as the campaign page shows it: each field in `lang` or the campaign's default language. */
export type PublicTarget = { id: number; name: Localized; role: Localized; note: Localized }

export async function listPublicTargets(_db: Handle, _args: { campaignId: number; lang: Language; defaultLocale: Locale }): Promise<PublicTarget[]> {
  return []
}

/** The targets Vigil writes to (those with an address), each with its name in its own language. */
export async function listTargetRecipients(_tx: Tx, _args: { campaignId: number }): Promise<{ id: number; email: string; locale: Locale; name: string }[]> {
  return []
}

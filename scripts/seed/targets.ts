import type { DB } from '../../db/client.server.ts'

/**
 * The demo campaign's targets (the Department of Homeland Security and Congress, in en/de/es).
 * Added once; returns what it created for the seed's summary line, or null.
 * Foundation stub: Part B fills it in.
 */
export async function seedTargets(_db: DB, _args: { campaignId: number }): Promise<string | null> {
  return null
}

import { eq } from 'drizzle-orm'
import type { DB } from '../../db/client.server.ts'
import { execute, firstRow } from '../../db/query.server.ts'
import { campaigns, campaignTargets, campaignTargetTranslations, type Locale } from '../../db/schema.ts'
import { transaction } from '../../db/transaction.server.ts'

type Texts = Record<Locale, { name: string; role: string; note: string }>

// Addresses under the reserved .example domain: the demo's milestone emails land in the outbox, never at an office.
const DEMO_TARGETS: { email: string; texts: Texts }[] = [
  {
    email: 'homeland-security@targets.example',
    texts: {
      en: { name: 'U.S. Department of Homeland Security', role: 'Office of the Secretary', note: 'It carries out the removals the petition asks to end.' },
      de: { name: 'US-Heimatschutzministerium', role: 'Leitung des Ministeriums', note: 'Es führt die Abschiebungen durch, deren Ende die Petition fordert.' },
      es: { name: 'Departamento de Seguridad Nacional de EE. UU.', role: 'Dirección del Departamento', note: 'Lleva a cabo las expulsiones que la petición pide detener.' },
    },
  },
  {
    email: 'judiciary-committees@targets.example',
    texts: {
      en: { name: 'U.S. Congress', role: 'House and Senate Judiciary Committees', note: 'It can repeal or amend the Alien Enemies Act of 1798.' },
      de: { name: 'US-Kongress', role: 'Justizausschüsse von Repräsentantenhaus und Senat', note: 'Er kann den Alien Enemies Act von 1798 aufheben oder ändern.' },
      es: { name: 'Congreso de EE. UU.', role: 'Comisiones de Justicia de la Cámara de Representantes y del Senado', note: 'Puede derogar o reformar la Ley de Enemigos Extranjeros de 1798.' },
    },
  },
]

/**
 * The demo campaign's targets (the Department of Homeland Security and Congress, in en/de/es).
 * Added once; returns what it created for the seed's summary line, or null.
 */
export async function seedTargets(db: DB, { campaignId }: { campaignId: number }): Promise<string | null> {
  return transaction(db, async (tx) => {
    // Look before inserting: a campaign that has targets (the demo's, or the team's own) keeps them.
    if (await firstRow(tx.select({ id: campaignTargets.id }).from(campaignTargets).where(eq(campaignTargets.campaignId, campaignId)).limit(1))) return null
    // Dated with the campaign, so two seeds of the same history are the same rows.
    const campaign = await firstRow(tx.select({ createdAt: campaigns.createdAt }).from(campaigns).where(eq(campaigns.id, campaignId)))
    if (!campaign) return null
    for (const [position, target] of DEMO_TARGETS.entries()) {
      const at = campaign.createdAt + position
      const row = await firstRow(
        tx.insert(campaignTargets).values({ campaignId, email: target.email, locale: 'en', position, createdAt: at, updatedAt: at }).returning({ id: campaignTargets.id }),
      )
      for (const [locale, text] of Object.entries(target.texts) as [Locale, Texts[Locale]][]) {
        await execute(tx.insert(campaignTargetTranslations).values({ targetId: row!.id, locale, ...text }))
      }
    }
    return `targets: ${DEMO_TARGETS.map((t) => t.texts.en.name).join(', ')}`
  })
}

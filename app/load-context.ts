import type { DB } from '../db/client.server.ts'
import type { Language } from './utils/i18n.ts'

/** What the server hands every loader and action (see server/index.ts). */
export type VigilLoadContext = {
  cspNonce: string
  lang: Language
  /** A country guessed from Accept-Language ("de-AT" → AT), to preselect in forms; part of the page cache key. */
  countryHint: string | null
  /** The client's address, for rate limits only: hash it before storing, never log it. */
  clientIp: string
  /** The database: loaders and actions pass it to the models and workflows they call (they never open it themselves). */
  db: DB
}

declare module '@remix-run/node' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends VigilLoadContext {}
}

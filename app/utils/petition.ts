import type { Language } from './i18n.ts'

/** What the petition panel shows: built by the petition workflow, drawn by components/petition-panel.tsx. */
export type PetitionData = {
  open: boolean
  /** Supporters may be at risk (issue 16): no names anywhere, no postal code asked. */
  atRisk: boolean
  target: string
  text: { value: string; lang: Language }
  confirmed: number
  goal: number
  recent: { name: string | null; country: string }[]
  messages: { id: number; name: string | null; country: string; message: string; replies: string[] }[]
  organizationName: string
  suggestedCountry: string | null
}

import type { ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import type { Language } from '~/utils/i18n.ts'
import type { Localized } from './campaign-view.tsx'

/** A target as app/models/targets.server.ts's listPublicTargets returns it. */
export type TargetsListItem = { id: number; name: Localized; role: Localized; note: Localized }

/**
 * "To:" and whom the petition addresses, in the petition panel instead of the old one-line target.
 * A field not written in the reader's language comes in the campaign's and says so with `lang`.
 */
export function TargetsList({ targets, lang }: { targets: TargetsListItem[]; lang: Language }): ReactNode {
  const { t } = useTranslation()
  const marked = (text: Localized) => (text.lang === lang ? undefined : text.lang)
  return (
    <div className="targets-list">
      <p className="panel__target">{t('targets.to')}</p>
      <ul>
        {targets.map((target) => (
          <li key={target.id}>
            <strong lang={marked(target.name)}>{target.name.value}</strong>
            {target.role.value ? (
              <>
                {', '}
                <span lang={marked(target.role)}>{target.role.value}</span>
              </>
            ) : null}
            {target.note.value ? (
              <>
                <br />
                <span className="muted" lang={marked(target.note)}>
                  {target.note.value}
                </span>
              </>
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  )
}

import type { ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { ResponsiveImage } from '~/components/responsive-image.tsx'
import type { ImageSet } from '~/utils/image-set.ts'
import { formatDate, type Language } from '~/utils/i18n.ts'

/** An answer as app/models/responses.server.ts's listPublicResponses returns it (PublicResponse). */
export type TargetResponseItem = {
  id: number
  responder: string
  respondedOn: string
  lang: Language
  title: string
  bodyHtml: string
  document: { type: 'pdf'; path: string; bytes: number } | { type: 'image'; path: string; image: ImageSet } | null
}

/** "240 kB", "2.4 MB": what a download costs, in the reader's notation. */
function fileSize(bytes: number, lang: Language) {
  const mb = bytes / (1024 * 1024)
  return mb >= 1
    ? new Intl.NumberFormat(lang, { style: 'unit', unit: 'megabyte', maximumFractionDigits: 1 }).format(mb)
    : new Intl.NumberFormat(lang, { style: 'unit', unit: 'kilobyte', maximumFractionDigits: 0 }).format(Math.max(1, Math.round(bytes / 1024)))
}

/**
 * The target's answer, above the timeline, in the manner of the UK Parliament's "Government
 * responded": who answered and when, the text, and the letter as received. The campaign page
 * wraps it in the `#response` anchor (app/components/campaign-view.tsx), so the panel carries no id.
 */
export function TargetResponses({ responses, lang }: { responses: TargetResponseItem[]; lang: Language }): ReactNode {
  const { t } = useTranslation()
  if (responses.length === 0) return null
  return (
    <section className="response-panel" aria-labelledby="response-title">
      <h2 id="response-title" className="response-panel__heading">
        {t('responses.heading', { count: responses.length })}
      </h2>
      {responses.map((response) => (
        <article key={response.id} className="response-panel__answer" lang={response.lang} aria-labelledby={`response-${response.id}-title`}>
          <p className="response-panel__by" lang={lang}>
            {t('responses.responded', { responder: response.responder, date: formatDate(response.respondedOn, lang) })}
          </p>
          <h3 id={`response-${response.id}-title`}>{response.title}</h3>
          <div className="prose" dangerouslySetInnerHTML={{ __html: response.bodyHtml }} />
          {response.document?.type === 'pdf' ? (
            <p className="response-panel__document" lang={lang}>
              {/* /media serves it as a download (Content-Disposition: attachment) under a sandbox. */}
              <a href={response.document.path} download>
                {t('responses.downloadPdf', { size: fileSize(response.document.bytes, lang) })}
              </a>
            </p>
          ) : response.document?.type === 'image' ? (
            <figure className="response-panel__letter">
              <ResponsiveImage image={response.document.image} alt={t('responses.letterAlt', { responder: response.responder })} lang={lang} layout="timeline" />
            </figure>
          ) : null}
        </article>
      ))}
    </section>
  )
}

import { useFormMetadata } from '@conform-to/react'
import { useEffect, useRef } from 'react'
import { useTranslation } from 'react-i18next'
import { useHydrated } from '~/utils/use-hydrated.ts'


/**
 * The GOV.UK error summary: at the top of a form with errors, "There is a problem" and a
 * link to each invalid field. A page the server sent with errors (no JavaScript) lands on
 * it through `autofocus`. Once the app runs, it takes the focus once for each answer the
 * server sends back with errors (`serverResult`, Conform's lastResult), and never while
 * someone types (their input revalidates the form and may show it again); for errors found
 * in the browser, Conform focuses the first invalid field. `labels` names the fields, in
 * the form's order; form-level errors come first, unlinked.
 */
export function ErrorSummary({ labels, serverResult }: { labels: Record<string, string>; serverResult?: unknown }) {
  const { t } = useTranslation()
  const form = useFormMetadata()
  const hydrated = useHydrated()
  const byField = Object.entries(form.allErrors).filter(([name, errors]) => name !== '' && errors.length > 0)
  const order = Object.keys(labels)
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length)
  byField.sort(([a], [b]) => rank(a) - rank(b))
  const formErrors = form.errors ?? []
  const shown = byField.length > 0 || formErrors.length > 0
  const summary = useRef<HTMLDivElement>(null)
  const focusedFor = useRef<unknown>(null)
  useEffect(() => {
    if (!hydrated || !shown || !serverResult || focusedFor.current === serverResult) return
    focusedFor.current = serverResult
    summary.current?.focus()
  }, [hydrated, shown, serverResult])
  if (!shown) return null
  return (
    <div ref={summary} className="error-summary" id={`${form.id}-error-summary`} role="alert" tabIndex={-1} autoFocus={!hydrated} aria-labelledby={`${form.id}-error-summary-title`}>
      <h2 id={`${form.id}-error-summary-title`}>{t('forms.errorSummary')}</h2>
      {formErrors.length > 0 ? (
        <ul id={form.errorId} className="field__errors">
          {formErrors.map((error) => (
            <li key={error}>{error}</li>
          ))}
        </ul>
      ) : null}
      <ul>
        {byField.flatMap(([name, errors]) =>
          errors.map((error) => (
            <li key={`${name}:${error}`}>
              <a href={`#${form.id}-${name}`}>{labels[name] ? `${labels[name]}: ${error}` : error}</a>
            </li>
          )),
        )}
      </ul>
    </div>
  )
}

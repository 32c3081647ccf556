import { useForm, type SubmissionResult } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { Form } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { ConformForm, TextField } from '~/components/ui/field.tsx'
import { totpCodeSchema } from '~/utils/two-factor-schemas.ts'

export type TotpSetup = { qr: string; key: string }

/**
 * Setting up an authenticator app without JavaScript: a button that makes a secret, then the
 * QR code (a data: image) with the key beside it for typing in by hand, and a form for the
 * first code. Used by the forced set-up page and the security page.
 */
export function TotpSetupPanel({ setup, lastResult }: { setup: TotpSetup | null; lastResult?: SubmissionResult<string[]> }) {
  const { t } = useTranslation()
  const [form, fields] = useForm({
    id: 'totp-confirm',
    lastResult,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: totpCodeSchema(t) }),
    shouldRevalidate: 'onSubmit',
  })
  if (!setup) {
    return (
      <Form method="post" className="stack">
        <p>{t('twoFactor.appIntro')}</p>
        <button type="submit" name="intent" value="totp-start" className="button">
          {t('twoFactor.appStart')}
        </button>
      </Form>
    )
  }
  return (
    <div className="stack">
      <ol className="stack">
        <li>
          <p>{t('twoFactor.scan')}</p>
          <img src={setup.qr} alt={t('twoFactor.qrAlt')} width={240} height={240} />
        </li>
        <li>
          <p>{t('twoFactor.manual')}</p>
          <p>
            <code className="copyable" data-testid="totp-key">
              {setup.key}
            </code>
          </p>
        </li>
        <li>
          <ConformForm form={form} className="stack" lastResult={lastResult} summary={{ code: t('twoFactor.code') }}>
            <input type="hidden" name="intent" value="totp-confirm" />
            <TextField meta={fields.code} label={t('twoFactor.confirmCode')} hint={t('twoFactor.codeHint')} autoComplete="one-time-code" inputMode="numeric" />
            <button type="submit" className="button">
              {t('twoFactor.confirm')}
            </button>
          </ConformForm>
        </li>
      </ol>
    </div>
  )
}

/** Recovery codes, shown once (in the answer to the POST that made them), never again. */
export function RecoveryCodesPanel({ codes }: { codes: string[] }) {
  const { t } = useTranslation()
  return (
    <section className="notice notice--success stack" role="status" aria-labelledby="recovery-codes-title">
      <h2 id="recovery-codes-title">{t('twoFactor.codesTitle')}</h2>
      <p>{t('twoFactor.codesIntro', { count: codes.length })}</p>
      <ul className="copyable" data-testid="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <p>{t('twoFactor.codesOnce')}</p>
    </section>
  )
}

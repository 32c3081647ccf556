import { Form, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { ErrorList } from './ui/field.tsx'

/**
 * An image upload (JPEG, PNG or WebP; re-encoded by the server) with a Remove button while
 * there is one: the campaign's image and the team's logo. `name` is the file field's.
 */
export function ImageUploadForm({ name, hint, error, hasImage }: { name: string; hint: string; error: string | null | undefined; hasImage: boolean }) {
  const navigation = useNavigation()
  const { t } = useTranslation()
  return (
    <Form method="post" encType="multipart/form-data" className="stack">
      <div className="field">
        <label htmlFor={name}>{t('admin.image.choose')}</label>
        <p className="field__hint" id={`${name}-hint`}>
          {hint}
        </p>
        <input
          id={name}
          name={name}
          type="file"
          accept="image/jpeg,image/png,image/webp"
          aria-describedby={`${name}-hint ${name}-error`}
          aria-invalid={error ? true : undefined}
        />
        <ErrorList id={`${name}-error`} errors={error ? [error] : undefined} />
      </div>
      <div className="row">
        <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
          {t('admin.image.upload')}
        </button>
        {hasImage ? (
          <button type="submit" name="intent" value="remove" className="button button--quiet">
            {t('admin.image.remove')}
          </button>
        ) : null}
      </div>
    </Form>
  )
}

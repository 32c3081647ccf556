import {
  getInputProps,
  getSelectProps,
  getTextareaProps,
  type FieldMetadata,
} from '@conform-to/react'
import type { ReactNode } from 'react'

export function ErrorList({ id, errors }: { id?: string; errors?: string[] }) {
  if (!errors?.length) return null
  return (
    <ul id={id} className="field__errors">
      {errors.map((e) => (
        <li key={e}>{e}</li>
      ))}
    </ul>
  )
}

type Common = { label: ReactNode; hint?: ReactNode; className?: string }

function Shell({ meta, label, hint, className, children }: Common & { meta: FieldMetadata<unknown>; children: ReactNode }) {
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={meta.id}>{label}</label>
      {hint ? (
        <p className="field__hint" id={`${meta.id}-hint`}>
          {hint}
        </p>
      ) : null}
      {children}
      <ErrorList id={meta.errorId} errors={meta.errors} />
    </div>
  )
}

export function TextField({
  meta,
  type = 'text',
  ...rest
}: Common & {
  meta: FieldMetadata<string | number | null | undefined>
  type?: 'text' | 'email' | 'password' | 'number' | 'date' | 'url'
  autoComplete?: string
}) {
  const { key, ...props } = getInputProps(meta as FieldMetadata<string>, { type, ariaDescribedBy: rest.hint ? `${meta.id}-hint` : undefined })
  return (
    <Shell meta={meta as FieldMetadata<unknown>} {...rest}>
      <input key={key} {...props} autoComplete={rest.autoComplete} />
    </Shell>
  )
}

export function TextAreaField({ meta, rows = 6, ...rest }: Common & { meta: FieldMetadata<string | null | undefined>; rows?: number }) {
  const { key, ...props } = getTextareaProps(meta as FieldMetadata<string>, { ariaDescribedBy: rest.hint ? `${meta.id}-hint` : undefined })
  return (
    <Shell meta={meta as FieldMetadata<unknown>} {...rest}>
      <textarea key={key} rows={rows} {...props} />
    </Shell>
  )
}

export function SelectField({
  meta,
  options,
  ...rest
}: Common & { meta: FieldMetadata<string | null | undefined>; options: { value: string; label: string }[] }) {
  const { key, ...props } = getSelectProps(meta as FieldMetadata<string>)
  return (
    <Shell meta={meta as FieldMetadata<unknown>} {...rest}>
      <select key={key} {...props}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Shell>
  )
}

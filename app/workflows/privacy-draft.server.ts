/**
 * The first draft of the privacy policy, in Markdown, written from what this instance really
 * does: its campaigns' retention periods, whether payments and mail go to Stripe and Resend
 * (live) or stay on the server (demo), the cookies Vigil sets (session-cookie.ts,
 * auth-cookies.server.ts, thanks-cookie.server.ts, utils/i18n.ts, the My data cookie), the keyed address hashes of the
 * rate limits, what My data (/me) shows and what forgetting keeps for how long
 * (VIGIL_DONATION_RECORDS_YEARS), at-risk mode with its shorter retention, and what is stored
 * encrypted at rest (ADR 017).
 * The team reviews and saves it; only then is the saved text what the page shows for good.
 */
import type { Handle } from '#db/client.server.ts'
import type { Locale } from '#db/schema.ts'
import { listRetentionPeriods } from '~/models/site-settings.server.ts'
import { LINK_TTL_MS, SESSION_TTL_MS as MY_DATA_TTL_MS } from '~/models/my-data.server.ts'
import { SESSION_TTL_MS } from '~/models/organizers.server.ts'
import { CEREMONY_COOKIE_MAX_AGE_S, DEVICE_COOKIE_MAX_AGE_S } from '~/utils/auth-cookies.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { RETENTION_DAYS } from '~/utils/schemas.ts'
import { THANKS_TTL_MS } from '~/utils/thanks-cookie.server.ts'

type Facts = {
  team: string
  live: boolean
  periods: { title: string; retentionDays: number; atRisk: boolean }[]
  sessionDays: number
  /** The organisers' browser cookie (new-device emails) and the passkey ceremony's. */
  deviceDays: number
  ceremonyMinutes: number
  thanksMinutes: number
  /** My data: how long its emailed link and the session it opens last. */
  linkMinutes: number
  meMinutes: number
  /** How long a forgotten donor's accounting record stays. */
  donationYears: number
}

const DEFAULT_RETENTION_DAYS = RETENTION_DAYS.default
const AT_RISK_RETENTION_DAYS = RETENTION_DAYS.atRisk

export async function generatePrivacyDraft(db: Handle, { locale, teamName }: { locale: Locale; teamName: string }) {
  const env = getEnv()
  const facts: Facts = {
    team: teamName,
    live: env.mode === 'live',
    periods: await listRetentionPeriods(db, { locale }),
    sessionDays: Math.round(SESSION_TTL_MS / 86_400_000),
    deviceDays: Math.round(DEVICE_COOKIE_MAX_AGE_S / 86_400),
    ceremonyMinutes: Math.round(CEREMONY_COOKIE_MAX_AGE_S / 60),
    thanksMinutes: Math.round(THANKS_TTL_MS / 60_000),
    linkMinutes: Math.round(LINK_TTL_MS / 60_000),
    meMinutes: Math.round(MY_DATA_TTL_MS / 60_000),
    donationYears: env.donationRecordsYears,
  }
  return drafts[locale](facts).trim() + '\n'
}

const list = (items: string[]) => items.map((item) => `- ${item}`).join('\n')

const drafts: Record<Locale, (f: Facts) => string> = {
  en: (f) => `
## Who is responsible

${f.team} runs this website. You can reach us through the [contact page](/contact); our address is in the [imprint](/imprint).

## What we store when you sign a petition, and why

To count your signature and to make sure it is really yours, we store your first and last name, your email address, your country, your postal code if you give one, your message of support if you write one, your language and whether your name may be shown publicly. Your email address is never shown publicly. We send you one email to confirm your signature (and, if you have not confirmed after a day, one reminder). If you ask for updates, we record that consent with its date and send updates until you unsubscribe (every update has a one-click unsubscribe link).

## How long we keep it

${
  f.periods.length
    ? `When a campaign stops collecting signatures, we keep the signers' details for a set number of days, then delete names, postal codes, messages, email addresses and the confirmation emails; only the country, the status and the dates stay, so that the totals stay the same:\n\n${list(f.periods.map((p) => `“${p.title}”: ${p.retentionDays} days after it closes${p.atRisk ? ' (supporters may be at risk)' : ''}`))}`
    : `When a campaign stops collecting signatures, we keep the signers' details for ${DEFAULT_RETENTION_DAYS} days (${AT_RISK_RETENTION_DAYS} days for a campaign whose supporters may be at risk), then delete names, postal codes, messages, email addresses and the confirmation emails; only the country, the status and the dates stay, so that the totals stay the same.`
}

Supporters who have nothing else with us (no other signature, no donation, no wish to hear a campaign's news) are then deleted entirely. While a campaign is collecting signatures, you can withdraw your signature yourself on [My data](/me) (see below).

## Campaigns whose supporters may be at risk

When being known to support a campaign could endanger people, the team runs it in at-risk mode (the campaign's sign form says so). Then its pages show no names: recent signers and messages of support show only the country, and there is no donor wall. The form does not ask for your postal code. With a gift, no name and no email address go to the payment provider beyond what the payment needs, and your receipt carries a name only if you type one. The team's downloads of signatures and donations leave out names and email addresses unless an owner chooses to include them, which is recorded. Signers' details are deleted ${AT_RISK_RETENTION_DAYS} days after the campaign closes unless the team sets another period (the list above gives each campaign's).

## Donations

${
  f.live
    ? 'Donations are paid through Stripe (Stripe Payments Europe, Ltd.), which receives your card or bank details; we never see them. We keep your email address, the amount, the date, the fund you chose and, if you gave them, the name for your receipt and a name or message for the donor wall. We keep donation records as long as accounting law requires; they are not deleted automatically.'
    : 'This site runs in demo mode: no payment is made and no payment details leave this server. In live mode, donations are paid through Stripe, and we would keep your email address, the amount, the date and the fund you chose for our accounts.'
}

## Email

${
  f.live
    ? 'Emails are sent through Resend (Resend, Inc., USA), which receives your email address and the content of each email to deliver it, and tells us whether it was delivered. An address that bounces or complains is kept on a suppression list so that we never write to it again.'
    : 'This site runs in demo mode: emails are not sent but kept in an outbox on this server, where the team can read them.'
}

## My data: see it, take it, withdraw it, be forgotten

On [My data](/me), linked from every page and every email, you type your email address. If we hold anything for it, we email it a link that works once, for ${f.linkMinutes} minutes; we give the same answer for every address, so nobody can use the page to find out who signed. The link opens a page with everything we hold about that address: your signatures (campaign, date, status, whether your name is shown, your message), your donations (date, amount, fund, monthly or not, receipt number), your consents and their history, whether we have blocked your address after bounces or complaints, and the emails we sent you (subject and date). You can download all of it as a file (JSON) or as a page to read or print.

${list([
  'You can **withdraw your signature yourself** while its campaign is collecting signatures: it stops counting at once, and your message and any replies leave the page. After the campaign has closed, it stays counted and is anonymised on its retention date (above).',
  `**Forget me** (after one confirmation): monthly gifts are cancelled at Stripe first; then we delete your email address, name, country and language, your consents, unconfirmed signatures, the emails we sent you and your links to My data. A block on your address (after bounces or complaints) stays, but only as a keyed hash that cannot be turned back into the address, so that we never write to it again. Confirmed signatures stay counted, anonymised, because each counted a real person at the time. Of your donations we keep only the accounting record, without your name, message or address: the amount, currency, dates, receipt number and Stripe’s payment ids, for ${f.donationYears} years, as accounting law requires. A later request for your address finds nothing.`,
])}

## How your data is protected in our database

Your email address, your name, your postal code, your message of support and the team's replies to it, the names and message you give with a donation, and the content and recipient of every email we send you are stored encrypted (AES-256-GCM) under a key that is kept in the server's configuration, never in the database or its backups. A copy of the database alone therefore names nobody. To find your records (when you sign again, ask for your data or unsubscribe) we store keyed hashes of your email address and of the words of your name, which cannot be turned back into them without that key. What stays readable in the database is what counts and dates need: your country and language, statuses, dates, amounts and receipt numbers.

## Protection against abuse

To limit how often one connection can sign, donate or try to log in, we store a keyed hash of your IP address (computed with a secret only this server knows), never the address itself. Requests for a My data link are also counted under a keyed hash of the email address typed, never the address itself. A hash counts only within its time window (ten minutes to one day). The hash stored with a signature is deleted with its other details when the campaign's retention period ends. Our server logs contain no email or IP addresses.

## Cookies

We use no tracking or advertising cookies, and this site loads nothing from other companies (no fonts, scripts, analytics or embeds).

${list([
  `\`vigil_lang\`: set only when you choose a language with the language links, to keep showing the site in that language; kept for one year.`,
  `\`vigil_thanks\`: set when you confirm your signature, so the thanks page can greet you by your first name; only sent to that page and valid for ${f.thanksMinutes} minutes.`,
  `\`vigil_me\`: set when you open your link on My data, so its pages know it is you; only sent to those pages and valid for ${f.meMinutes} minutes or until you sign out.`,
  `\`vigil_session\`: only for the team's organisers who log in to the back office; kept for ${f.sessionDays} days or until they log out.`,
  `\`vigil_device\`: only for the team's organisers, set when they log in to the back office and only sent to its pages: a random number that lets us email them when their account is used from a browser it was not used from before; kept for ${f.deviceDays} days after their last login.`,
  `\`vigil_webauthn\`: only for the team's organisers, while they add or use a passkey in the back office; only sent to its pages and valid for ${f.ceremonyMinutes} minutes.`,
])}

## Your rights

You may ask us what we store about you, have it corrected or deleted, object to its use and withdraw a consent at any time. Much of it you can do yourself on [My data](/me): see and download your data, withdraw a signature, be forgotten. You also have the right to complain to a data-protection authority. For anything else, write to us through the [contact page](/contact).
`,
  de: (f) => `
## Verantwortlich

Diese Website wird von ${f.team} betrieben. Sie erreichen uns über die [Kontaktseite](/contact); unsere Anschrift steht im [Impressum](/imprint).

## Was wir speichern, wenn Sie eine Petition unterzeichnen, und warum

Um Ihre Unterschrift zu zählen und sicherzustellen, dass sie wirklich von Ihnen stammt, speichern wir Ihren Vor- und Nachnamen, Ihre E-Mail-Adresse, Ihr Land, Ihre Postleitzahl (falls angegeben), Ihre Unterstützungsnachricht (falls geschrieben), Ihre Sprache und ob Ihr Name öffentlich gezeigt werden darf. Ihre E-Mail-Adresse wird nie öffentlich gezeigt. Wir senden Ihnen eine E-Mail zur Bestätigung Ihrer Unterschrift (und, falls Sie nach einem Tag nicht bestätigt haben, eine Erinnerung). Wenn Sie Neuigkeiten wünschen, speichern wir diese Einwilligung mit Datum und schreiben Ihnen, bis Sie sich abmelden (jede Neuigkeit enthält einen Abmeldelink).

## Wie lange wir das speichern

${
  f.periods.length
    ? `Wenn eine Kampagne keine Unterschriften mehr sammelt, bewahren wir die Angaben der Unterzeichnenden eine festgelegte Zahl von Tagen auf und löschen dann Namen, Postleitzahlen, Nachrichten, E-Mail-Adressen und die Bestätigungs-E-Mails; nur Land, Status und Daten bleiben, damit die Zahlen gleich bleiben:\n\n${list(f.periods.map((p) => `„${p.title}“: ${p.retentionDays} Tage nach ihrem Ende${p.atRisk ? ' (Unterstützende könnten gefährdet sein)' : ''}`))}`
    : `Wenn eine Kampagne keine Unterschriften mehr sammelt, bewahren wir die Angaben der Unterzeichnenden ${DEFAULT_RETENTION_DAYS} Tage auf (${AT_RISK_RETENTION_DAYS} Tage bei einer Kampagne, deren Unterstützende gefährdet sein könnten) und löschen dann Namen, Postleitzahlen, Nachrichten, E-Mail-Adressen und die Bestätigungs-E-Mails; nur Land, Status und Daten bleiben, damit die Zahlen gleich bleiben.`
}

Unterstützerinnen und Unterstützer, die sonst nichts mit uns verbindet (keine andere Unterschrift, keine Spende, kein Wunsch nach Neuigkeiten), werden dann vollständig gelöscht. Solange eine Kampagne Unterschriften sammelt, können Sie Ihre Unterschrift unter [Meine Daten](/me) selbst zurückziehen (siehe unten).

## Kampagnen, deren Unterstützende gefährdet sein könnten

Wenn es Menschen gefährden könnte, als Unterstützende einer Kampagne bekannt zu werden, führt das Team sie im Schutzmodus (das Unterschriftenformular der Kampagne weist darauf hin). Dann zeigen ihre Seiten keine Namen: Neue Unterschriften und Unterstützungsnachrichten zeigen nur das Land, und es gibt keine Spendenwand. Das Formular fragt nicht nach Ihrer Postleitzahl. Bei einer Spende gehen weder Name noch E-Mail-Adresse an den Zahlungsdienst, außer dem, was die Zahlung braucht, und Ihre Quittung trägt nur dann einen Namen, wenn Sie einen eingeben. Die Downloads des Teams (Unterschriften und Spenden) enthalten keine Namen und E-Mail-Adressen, es sei denn, eine Inhaberin oder ein Inhaber wählt sie ausdrücklich; das wird protokolliert. Die Angaben der Unterzeichnenden werden ${AT_RISK_RETENTION_DAYS} Tage nach dem Ende der Kampagne gelöscht, sofern das Team keine andere Frist festlegt (die Liste oben nennt die Frist jeder Kampagne).

## Spenden

${
  f.live
    ? 'Spenden werden über Stripe (Stripe Payments Europe, Ltd.) bezahlt, das Ihre Karten- oder Kontodaten erhält; wir sehen sie nie. Wir speichern Ihre E-Mail-Adresse, den Betrag, das Datum, den gewählten Fonds und, falls angegeben, den Namen für Ihre Quittung sowie einen Namen oder eine Nachricht für die Spendenwand. Spendendaten bewahren wir so lange auf, wie es das Buchhaltungsrecht verlangt; sie werden nicht automatisch gelöscht.'
    : 'Diese Website läuft im Demo-Modus: Es wird nichts bezahlt und keine Zahlungsdaten verlassen diesen Server. Im Live-Betrieb würden Spenden über Stripe bezahlt, und wir würden Ihre E-Mail-Adresse, den Betrag, das Datum und den gewählten Fonds für unsere Buchhaltung speichern.'
}

## E-Mail

${
  f.live
    ? 'E-Mails werden über Resend (Resend, Inc., USA) versandt, das Ihre E-Mail-Adresse und den Inhalt jeder E-Mail zur Zustellung erhält und uns meldet, ob sie zugestellt wurde. Adressen, die unzustellbar sind oder sich beschweren, kommen auf eine Sperrliste, damit wir ihnen nie wieder schreiben.'
    : 'Diese Website läuft im Demo-Modus: E-Mails werden nicht versandt, sondern in einem Postausgang auf diesem Server aufbewahrt, wo das Team sie lesen kann.'
}

## Meine Daten: einsehen, mitnehmen, zurückziehen, vergessen werden

Unter [Meine Daten](/me), verlinkt auf jeder Seite und in jeder E-Mail, geben Sie Ihre E-Mail-Adresse ein. Wenn wir etwas dazu gespeichert haben, schicken wir an diese Adresse einen Link, der einmal und ${f.linkMinutes} Minuten lang funktioniert; wir antworten auf jede Adresse gleich, damit niemand über diese Seite herausfinden kann, wer unterschrieben hat. Der Link öffnet eine Seite mit allem, was wir zu dieser Adresse speichern: Ihre Unterschriften (Kampagne, Datum, Status, ob Ihr Name gezeigt wird, Ihre Nachricht), Ihre Spenden (Datum, Betrag, Fonds, monatlich oder nicht, Quittungsnummer), Ihre Einwilligungen mit ihrem Verlauf, ob wir Ihre Adresse nach Unzustellbarkeit oder Beschwerden gesperrt haben, und die E-Mails, die wir Ihnen geschickt haben (Betreff und Datum). Sie können alles als Datei (JSON) oder als Seite zum Lesen oder Drucken herunterladen.

${list([
  'Sie können **Ihre Unterschrift selbst zurückziehen**, solange die Kampagne Unterschriften sammelt: Sie zählt sofort nicht mehr, und Ihre Nachricht und etwaige Antworten verschwinden von der Seite. Nach dem Ende der Kampagne bleibt sie gezählt und wird zu ihrem Aufbewahrungsdatum (oben) anonymisiert.',
  `**Vergessen Sie mich** (nach einer Bestätigung): Monatliche Spenden werden zuerst bei Stripe beendet; dann löschen wir Ihre E-Mail-Adresse, Ihren Namen, Ihr Land und Ihre Sprache, Ihre Einwilligungen, unbestätigte Unterschriften, die E-Mails an Sie und Ihre Links zu Meine Daten. Eine Sperre Ihrer Adresse (nach Unzustellbarkeit oder Beschwerden) bleibt, aber nur als Hash mit Schlüssel, aus dem sich die Adresse nicht zurückgewinnen lässt, damit wir nie wieder an sie schreiben. Bestätigte Unterschriften bleiben anonymisiert gezählt, denn jede zählte zu ihrer Zeit einen wirklichen Menschen. Von Ihren Spenden behalten wir nur den Buchungsbeleg, ohne Ihren Namen, Ihre Nachricht oder Adresse: Betrag, Währung, Daten, Quittungsnummer und die Zahlungs-IDs von Stripe, ${f.donationYears} Jahre lang, wie es das Buchhaltungsrecht verlangt. Eine spätere Anfrage für Ihre Adresse findet nichts mehr.`,
])}

## Wie Ihre Daten in unserer Datenbank geschützt sind

Ihre E-Mail-Adresse, Ihr Name, Ihre Postleitzahl, Ihre Botschaft und die Antworten des Teams darauf, die Namen und die Nachricht zu einer Spende sowie Inhalt und Empfänger jeder E-Mail, die wir Ihnen schicken, speichern wir verschlüsselt (AES-256-GCM), mit einem Schlüssel, der in der Konfiguration des Servers liegt, nie in der Datenbank oder ihren Sicherungen. Eine Kopie der Datenbank allein nennt deshalb niemanden. Um Ihre Einträge zu finden (wenn Sie erneut unterschreiben, Ihre Daten anfordern oder sich abmelden), speichern wir Hashes mit Schlüssel Ihrer E-Mail-Adresse und der Wörter Ihres Namens, aus denen sie sich ohne diesen Schlüssel nicht zurückgewinnen lassen. Lesbar bleibt in der Datenbank, was Zählungen und Daten brauchen: Ihr Land und Ihre Sprache, Status, Daten, Beträge und Quittungsnummern.

## Schutz vor Missbrauch

Um zu begrenzen, wie oft eine Verbindung unterschreiben, spenden oder sich anmelden kann, speichern wir einen verschlüsselten Hash Ihrer IP-Adresse (mit einem Schlüssel, den nur dieser Server kennt), nie die Adresse selbst. Anfragen nach einem Link für Meine Daten zählen wir außerdem unter einem solchen Hash der eingegebenen E-Mail-Adresse, nie unter der Adresse selbst. Ein Hash zählt nur innerhalb seines Zeitfensters (zehn Minuten bis ein Tag). Der mit einer Unterschrift gespeicherte Hash wird mit ihren übrigen Angaben gelöscht, wenn die Aufbewahrungsfrist der Kampagne endet. Unsere Server-Logs enthalten keine E-Mail- oder IP-Adressen.

## Cookies

Wir verwenden keine Tracking- oder Werbe-Cookies, und diese Website lädt nichts von anderen Unternehmen (keine Schriften, Skripte, Statistikdienste oder eingebetteten Inhalte).

${list([
  `\`vigil_lang\`: wird nur gesetzt, wenn Sie über die Sprachlinks eine Sprache wählen, damit die Website in dieser Sprache bleibt; gespeichert für ein Jahr.`,
  `\`vigil_thanks\`: wird gesetzt, wenn Sie Ihre Unterschrift bestätigen, damit die Dankesseite Sie mit Vornamen begrüßen kann; nur an diese Seite gesendet und ${f.thanksMinutes} Minuten gültig.`,
  `\`vigil_me\`: wird gesetzt, wenn Sie Ihren Link für Meine Daten öffnen, damit deren Seiten Sie erkennen; nur an diese Seiten gesendet und ${f.meMinutes} Minuten gültig oder bis Sie sich abmelden.`,
  `\`vigil_session\`: nur für Organisatorinnen und Organisatoren des Teams, die sich im Backoffice anmelden; ${f.sessionDays} Tage gültig oder bis zur Abmeldung.`,
  `\`vigil_device\`: nur für Organisatorinnen und Organisatoren des Teams, gesetzt bei der Anmeldung im Backoffice und nur an dessen Seiten gesendet: eine Zufallszahl, damit wir ihnen eine E-Mail schicken können, wenn ihr Konto von einem Browser aus benutzt wird, von dem aus es bisher nicht benutzt wurde; gespeichert für ${f.deviceDays} Tage nach der letzten Anmeldung.`,
  `\`vigil_webauthn\`: nur für Organisatorinnen und Organisatoren des Teams, während sie im Backoffice einen Passkey hinzufügen oder benutzen; nur an dessen Seiten gesendet und ${f.ceremonyMinutes} Minuten gültig.`,
])}

## Ihre Rechte

Sie können Auskunft darüber verlangen, was wir über Sie speichern, es berichtigen oder löschen lassen, der Verarbeitung widersprechen und eine Einwilligung jederzeit widerrufen. Vieles davon können Sie unter [Meine Daten](/me) selbst tun: Ihre Daten einsehen und herunterladen, eine Unterschrift zurückziehen, vergessen werden. Sie haben außerdem das Recht, sich bei einer Datenschutzaufsichtsbehörde zu beschweren. Für alles andere schreiben Sie uns über die [Kontaktseite](/contact).
`,
  es: (f) => `
## Responsable

Este sitio web lo gestiona ${f.team}. Puedes escribirnos desde la [página de contacto](/contact); nuestra dirección está en el [aviso legal](/imprint).

## Qué guardamos cuando firmas una petición, y por qué

Para contar tu firma y asegurarnos de que es realmente tuya, guardamos tu nombre y apellidos, tu correo electrónico, tu país, tu código postal si lo das, tu mensaje de apoyo si lo escribes, tu idioma y si tu nombre puede mostrarse públicamente. Tu correo nunca se muestra públicamente. Te enviamos un correo para confirmar tu firma (y, si no la has confirmado después de un día, un recordatorio). Si pides novedades, guardamos ese consentimiento con su fecha y te escribimos hasta que te des de baja (cada novedad tiene un enlace para darte de baja).

## Cuánto tiempo lo guardamos

${
  f.periods.length
    ? `Cuando una campaña deja de recoger firmas, guardamos los datos de quienes firmaron durante un número fijo de días y después borramos nombres, códigos postales, mensajes, correos electrónicos y los correos de confirmación; solo quedan el país, el estado y las fechas, para que los totales no cambien:\n\n${list(f.periods.map((p) => `«${p.title}»: ${p.retentionDays} días después de cerrarse${p.atRisk ? ' (quienes apoyan podrían estar en peligro)' : ''}`))}`
    : `Cuando una campaña deja de recoger firmas, guardamos los datos de quienes firmaron durante ${DEFAULT_RETENTION_DAYS} días (${AT_RISK_RETENTION_DAYS} días en una campaña cuyos apoyos podrían estar en peligro) y después borramos nombres, códigos postales, mensajes, correos electrónicos y los correos de confirmación; solo quedan el país, el estado y las fechas, para que los totales no cambien.`
}

Las personas que no tienen nada más con nosotros (ninguna otra firma, ninguna donación, ningún deseo de recibir novedades) se borran entonces por completo. Mientras una campaña recoge firmas, puedes retirar tu firma tú mismo o tú misma en [Mis datos](/me) (ver más abajo).

## Campañas cuyos apoyos podrían estar en peligro

Si darse a conocer como apoyo de una campaña puede poner en peligro a alguien, el equipo la lleva en modo de protección (el formulario de firma de la campaña lo indica). Entonces sus páginas no muestran nombres: las firmas recientes y los mensajes de apoyo muestran solo el país, y no hay muro de donantes. El formulario no te pide el código postal. Con una donación, ni tu nombre ni tu correo llegan al proveedor de pagos más allá de lo que el pago necesita, y tu recibo lleva un nombre solo si lo escribes. Las descargas del equipo (firmas y donaciones) no incluyen nombres ni correos, salvo que una persona propietaria decida incluirlos, y eso queda registrado. Los datos de quienes firmaron se borran ${AT_RISK_RETENTION_DAYS} días después del cierre de la campaña, salvo que el equipo fije otro plazo (la lista de arriba da el de cada campaña).

## Donaciones

${
  f.live
    ? 'Las donaciones se pagan a través de Stripe (Stripe Payments Europe, Ltd.), que recibe los datos de tu tarjeta o cuenta; nosotros nunca los vemos. Guardamos tu correo, el importe, la fecha, el fondo que elegiste y, si los diste, el nombre para tu recibo y un nombre o mensaje para el muro de donantes. Conservamos los registros de donaciones el tiempo que exige la ley contable; no se borran automáticamente.'
    : 'Este sitio funciona en modo demo: no se paga nada y ningún dato de pago sale de este servidor. En modo real, las donaciones se pagarían a través de Stripe y guardaríamos tu correo, el importe, la fecha y el fondo que elegiste para nuestra contabilidad.'
}

## Correo electrónico

${
  f.live
    ? 'Los correos se envían a través de Resend (Resend, Inc., EE. UU.), que recibe tu dirección y el contenido de cada correo para entregarlo y nos dice si se entregó. Una dirección que rebota o se queja pasa a una lista de bloqueo para que no volvamos a escribirle.'
    : 'Este sitio funciona en modo demo: los correos no se envían, sino que se guardan en una bandeja de salida en este servidor, donde el equipo puede leerlos.'
}

## Mis datos: verlos, llevártelos, retirar tu firma, que te olvidemos

En [Mis datos](/me), enlazado en cada página y cada correo, escribes tu correo electrónico. Si guardamos algo sobre él, le enviamos un enlace que funciona una vez, durante ${f.linkMinutes} minutos; damos la misma respuesta para cualquier dirección, para que nadie pueda usar la página para saber quién firmó. El enlace abre una página con todo lo que guardamos sobre esa dirección: tus firmas (campaña, fecha, estado, si se muestra tu nombre, tu mensaje), tus donaciones (fecha, importe, fondo, mensual o no, número de recibo), tus consentimientos con su historial, si hemos bloqueado tu dirección por rebotes o quejas, y los correos que te enviamos (asunto y fecha). Puedes descargarlo todo como archivo (JSON) o como página para leer o imprimir.

${list([
  'Puedes **retirar tu firma tú mismo o tú misma** mientras la campaña recoge firmas: deja de contar al momento, y tu mensaje y las respuestas desaparecen de la página. Después del cierre de la campaña, sigue contando y se anonimiza en su fecha de conservación (arriba).',
  `**Olvídame** (tras una confirmación): primero cancelamos en Stripe las donaciones mensuales; después borramos tu correo, tu nombre, tu país y tu idioma, tus consentimientos, las firmas sin confirmar, los correos que te enviamos y tus enlaces a Mis datos. Un bloqueo de tu dirección (por rebotes o quejas) se mantiene, pero solo como un hash con clave del que no se puede recuperar la dirección, para que nunca volvamos a escribirle. Las firmas confirmadas siguen contando, anonimizadas, porque cada una contó a una persona real en su momento. De tus donaciones guardamos solo el registro contable, sin tu nombre, mensaje ni dirección: el importe, la moneda, las fechas, el número de recibo y los identificadores de pago de Stripe, durante ${f.donationYears} años, como exige la ley contable. Una solicitud posterior para tu dirección ya no encuentra nada.`,
])}

## Cómo protegemos tus datos en nuestra base de datos

Tu correo electrónico, tu nombre, tu código postal, tu mensaje de apoyo y las respuestas del equipo, los nombres y el mensaje que das con una donación, y el contenido y destinatario de cada correo que te enviamos se guardan cifrados (AES-256-GCM) con una clave que está en la configuración del servidor, nunca en la base de datos ni en sus copias de seguridad. Por eso una copia de la base de datos por sí sola no nombra a nadie. Para encontrar tus registros (cuando vuelves a firmar, pides tus datos o te das de baja) guardamos hashes con clave de tu correo y de las palabras de tu nombre, de los que no se pueden recuperar sin esa clave. Lo que queda legible en la base de datos es lo que necesitan los recuentos y las fechas: tu país e idioma, estados, fechas, importes y números de recibo.

## Protección contra abusos

Para limitar cuántas veces una conexión puede firmar, donar o intentar iniciar sesión, guardamos un hash con clave de tu dirección IP (calculado con un secreto que solo conoce este servidor), nunca la dirección en sí. Las solicitudes de un enlace de Mis datos también se cuentan con un hash así del correo escrito, nunca con el correo en sí. Un hash solo cuenta dentro de su ventana de tiempo (de diez minutos a un día). El hash guardado con una firma se borra con el resto de sus datos cuando termina el plazo de conservación de la campaña. Los registros de nuestro servidor no contienen correos ni direcciones IP.

## Cookies

No usamos cookies de seguimiento ni de publicidad, y este sitio no carga nada de otras empresas (ni fuentes, ni scripts, ni analítica, ni contenidos incrustados).

${list([
  `\`vigil_lang\`: solo se guarda cuando eliges un idioma con los enlaces de idioma, para seguir mostrándote el sitio en ese idioma; dura un año.`,
  `\`vigil_thanks\`: se guarda cuando confirmas tu firma, para que la página de agradecimiento te salude por tu nombre; solo se envía a esa página y vale ${f.thanksMinutes} minutos.`,
  `\`vigil_me\`: se guarda cuando abres tu enlace de Mis datos, para que sus páginas sepan que eres tú; solo se envía a esas páginas y vale ${f.meMinutes} minutos o hasta que cierras sesión.`,
  `\`vigil_session\`: solo para las personas del equipo que inician sesión en la administración; dura ${f.sessionDays} días o hasta que cierran sesión.`,
  `\`vigil_device\`: solo para las personas del equipo, se guarda cuando inician sesión en la administración y solo se envía a sus páginas: un número aleatorio que nos permite escribirles cuando su cuenta se usa desde un navegador desde el que no se había usado antes; dura ${f.deviceDays} días desde su último inicio de sesión.`,
  `\`vigil_webauthn\`: solo para las personas del equipo, mientras agregan o usan una llave de acceso en la administración; solo se envía a sus páginas y vale ${f.ceremonyMinutes} minutos.`,
])}

## Tus derechos

Puedes preguntarnos qué guardamos sobre ti, pedir que lo corrijamos o lo borremos, oponerte a su uso y retirar un consentimiento en cualquier momento. Buena parte puedes hacerla tú en [Mis datos](/me): ver y descargar tus datos, retirar una firma, pedir que te olvidemos. También tienes derecho a reclamar ante una autoridad de protección de datos. Para todo lo demás, escríbenos desde la [página de contacto](/contact).
`,
}
